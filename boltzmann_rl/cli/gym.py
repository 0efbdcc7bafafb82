"""The ``gym`` subcommand: train and evaluate an agent on a gymnasium environment.

A thin layer over :func:`boltzmann_rl.gym.run_gym`: it parses the arguments, runs,
and prints the summary (``--json``: one JSON object) or writes the per-episode
table, the evaluations, the summary and a learning-curve plot (``--out DIR``).
Ctrl-C stops training; what was collected is still printed and written, and the
exit code is 130.

Examples
--------
>>> import json, contextlib, io
>>> from boltzmann_rl.cli import main
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     code = main(["gym", "FrozenLake-v1", "--policy", "greedy", "--episodes", "10",
...                  "--eval-episodes", "2", "--json"])
>>> code, json.loads(out.getvalue())["episodes"]
(0, 10)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from boltzmann_rl.cli._types import nonnegative_int, output_folder, positive_int
from boltzmann_rl.gym.agents import ALGORITHMS, ANNEAL

__all__ = ["parse_env_kwarg", "register"]


def parse_env_kwarg(text: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE``: ``true``/``false``/``none``, numbers, else the string.

    Examples
    --------
    >>> from boltzmann_rl.cli.gym import parse_env_kwarg
    >>> parse_env_kwarg("map_name=8x8"), parse_env_kwarg("is_slippery=false")
    (('map_name', '8x8'), ('is_slippery', False))
    >>> parse_env_kwarg("max_steps=50")
    ('max_steps', 50)
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE with KEY a Python identifier, got {text!r}"
        )
    raw = raw.strip()
    lower = raw.lower()
    value: Any
    if lower in ("true", "false"):
        value = lower == "true"
    elif lower == "none":
        value = None
    else:
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw
    return key, value


def _alpha(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text  # a schedule in the text form; the agent parses and checks it


def _run(args: argparse.Namespace) -> int:
    from boltzmann_rl.gym import run_gym

    if args.out is not None:
        output_folder(args.out)  # a bad --out fails now, not after the run
    env_kwargs = dict(args.env_kwarg or [])
    agent_kwargs: dict[str, Any] = {}
    if args.tilings is not None:
        agent_kwargs["tilings"] = args.tilings
    if args.tiles is not None:
        agent_kwargs["tiles"] = args.tiles
    episodes = args.episodes
    if episodes is None and args.steps is None:
        episodes = 1000
    result = run_gym(
        args.env_id,
        args.agent,
        args.policy,
        env_kwargs=env_kwargs,
        episodes=episodes,
        steps=args.steps,
        alpha=args.alpha,
        gamma=args.gamma,
        seed=args.seed,
        eval_episodes=args.eval_episodes,
        eval_every=args.eval_every,
        initial_value=args.initial_value,
        anneal=args.anneal,
        alpha_by=args.alpha_by,
        num_envs=args.num_envs,
        vectorization=args.vectorization,
        max_episode_steps=args.max_episode_steps,
        agent_kwargs=agent_kwargs,
    )
    summary = result.summary()
    info = sys.stderr if args.json else sys.stdout
    if args.json:
        print(json.dumps(summary))
    else:
        _print_summary(summary)
    if args.out is not None:
        paths = result.write(args.out)
        print(f"wrote {', '.join(str(p) for p in paths)}", file=info)
    if result.interrupted:
        print(
            f"interrupted after {summary['episodes']} episodes; results so far above",
            file=sys.stderr,
        )
        from boltzmann_rl.cli import interrupted_code

        return interrupted_code()  # 130 after Ctrl-C, 143 after SIGTERM
    return 0


def _print_summary(summary: dict[str, Any]) -> None:
    def fmt(v: Any) -> str:
        return "n/a" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)

    ci = summary["eval_return_ci"]
    evaluation = fmt(summary["eval_return"])
    if ci is not None:
        evaluation += f" ± {fmt(ci)} (95% CI, {summary['eval_episodes']} episodes)"
    rows = [
        ("env", summary["env"]),
        ("agent", summary["agent"]),
        ("policy", summary["policy"]),
        ("episodes", f"{summary['episodes']} ({summary['steps']} steps, {summary['seconds']} s)"),
        ("train return, last 100", fmt(summary["train_return_last100"])),
        ("greedy return", evaluation),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")


def register(subparsers: Any) -> None:
    """Add the ``gym`` subcommand to the ``boltzmann-rl`` parser.

    Examples
    --------
    >>> import argparse
    >>> from boltzmann_rl.cli import gym
    >>> parser = argparse.ArgumentParser()
    >>> gym.register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["gym", "Taxi-v4", "--policy", "greedy", "--alpha", "0.5"])
    >>> args.agent, args.alpha, args.env_kwarg
    ('qlearning', 0.5, [])
    """
    p = subparsers.add_parser(
        "gym",
        help="train Q-learning / SARSA / Expected SARSA with a policy on a gymnasium env",
        description="Train a tabular agent (tile-coded for Box observations) driven by a "
        "Boltzmann, ε-greedy, greedy or other policy on a gymnasium environment, then "
        "evaluate it greedily. Example: boltzmann-rl gym FrozenLake-v1 --agent sarsa "
        "--policy 'boltzmann(temperature=exp(1, 0.01, 4000))' --anneal episode "
        "--episodes 8000 --json",
    )
    p.add_argument("env_id", metavar="ENV_ID", help="a gymnasium id, e.g. FrozenLake-v1")
    p.add_argument(
        "--agent",
        choices=list(ALGORITHMS),
        default="qlearning",
        help="the learning rule (default: qlearning); soft-qlearning and mellowmax back up "
        "with the policy's own parameter (a Boltzmann policy's fixed temperature, a "
        "mellowmax policy's omega)",
    )
    p.add_argument(
        "--policy",
        required=True,
        metavar="SPEC",
        help="policy in the text form, e.g. 'boltzmann(temperature=0.1)', "
        "'egreedy(epsilon=linear(1.0, 0.05, 500))', 'greedy'",
    )
    p.add_argument(
        "--episodes", type=positive_int, default=None, help="training episodes (default 1000)"
    )
    p.add_argument("--steps", type=positive_int, default=None, help="or a budget of steps")
    p.add_argument(
        "--alpha",
        type=_alpha,
        default=0.1,
        metavar="A",
        help="step size in (0, 1] or a schedule, e.g. 'inverse(1, 10)' (default 0.1)",
    )
    p.add_argument(
        "--alpha-by",
        choices=list(ANNEAL),
        default="visits",
        help="what an alpha schedule counts (default: visits of the state-action pair)",
    )
    p.add_argument("--gamma", type=float, default=0.99, metavar="G", help="discount (0.99)")
    p.add_argument("--seed", type=nonnegative_int, default=0, metavar="S", help="seed (0)")
    p.add_argument(
        "--eval-episodes",
        type=nonnegative_int,
        default=100,
        metavar="M",
        help="greedy evaluation episodes (default 100)",
    )
    p.add_argument(
        "--eval-every",
        type=positive_int,
        default=None,
        metavar="E",
        help="evaluate greedily every E training episodes (default: a tenth of the episodes)",
    )
    p.add_argument(
        "--anneal",
        choices=list(ANNEAL),
        default="step",
        help="what a temperature / epsilon schedule counts: global steps, episodes, or "
        "visits of the current state (default: step)",
    )
    p.add_argument(
        "--initial-value", type=float, default=0.0, help="initial action values (default 0)"
    )
    p.add_argument(
        "--env-kwarg",
        type=parse_env_kwarg,
        action="extend",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="environment keyword arguments, e.g. --env-kwarg map_name=8x8 is_slippery=false",
    )
    p.add_argument(
        "--max-episode-steps",
        type=positive_int,
        default=None,
        help="time limit (default: the registered one, or 1000 for envs without)",
    )
    p.add_argument(
        "--num-envs", type=positive_int, default=None, help="train on a vector env of N copies"
    )
    p.add_argument(
        "--vectorization", choices=["sync", "async"], default="sync", help="vector env kind"
    )
    p.add_argument("--tilings", type=positive_int, default=None, help="tile coder (Box obs)")
    p.add_argument("--tiles", type=positive_int, default=None, help="tiles per dimension")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="write episodes.csv, evaluations.csv, summary.json and learning_curve.png",
    )
    p.set_defaults(func=_run)
