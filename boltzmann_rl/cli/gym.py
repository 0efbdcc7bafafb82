"""The ``gym`` subcommand: train and evaluate an agent on a gymnasium environment.

A thin layer over :func:`boltzmann_rl.gym.run_gym`: it parses the arguments, runs,
and prints the summary (``--json``: one JSON object) or writes the per-episode
table, the evaluations, the summary and a learning-curve plot (``--out DIR``).
The summary names the learner that was built (a table, or a tile coder with its
bounds and resolution for ``Box`` observations) and the vector environment, if one
was used. ``ENV_ID`` may be ``module:EnvName-v0``: the module is imported first
(registering the id), as ``gymnasium.make`` does. Ctrl-C stops training; what was
collected is still printed and written, and the exit code is 130.

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

__all__ = ["describe_learner", "parse_env_kwarg", "register"]


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


def _numbers(text: str) -> list[float]:
    """Comma-separated numbers (``inf`` allowed: the tile coder refuses it by name)."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one number, got {text!r}")
    return values


def _tiles(text: str) -> int | list[int]:
    """One positive integer, or one per observation dimension (comma-separated)."""
    values = [positive_int(v.strip()) for v in text.split(",") if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return values[0] if len(values) == 1 else values


def _alpha(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text  # a schedule in the text form; the agent parses and checks it


def _run_dqn(args: argparse.Namespace) -> int:
    """``--agent dqn``: SB3's DQN exploring with the policy (the ``sb3`` extra)."""
    try:
        from boltzmann_rl.sb3 import run_dqn
    except ImportError as exc:
        raise ValueError(f"--agent dqn: {exc}") from None
    from boltzmann_rl.stats import mean_ci

    if args.timesteps is None:
        raise ValueError("--agent dqn needs --timesteps N (SB3 trains for a number of steps)")
    r = run_dqn(
        args.env_id,
        args.policy,
        timesteps=args.timesteps,
        seed=args.seed,
        env_kwargs=dict(args.env_kwarg or []),
        episodes=args.episodes,
        eval_episodes=args.eval_episodes,
        gamma=args.gamma,
        **dict(args.dqn_arg or []),
    )
    n = len(r.eval_returns)
    mean, half = mean_ci(r.eval_returns) if n > 1 else (r.eval_returns.mean() if n else None, None)
    last = r.episode_returns[-100:]
    summary = {
        "env": args.env_id,
        "agent": "dqn",
        "learner": f"{type(r.model).__name__} (Stable-Baselines3 DQN, MlpPolicy)",
        "tile_coder": None,
        "policy": r.policy,
        "eval_return": None if mean is None else float(mean),
        "eval_return_ci": None if half is None else float(half),
        "train_return_last100": float(last.mean()) if len(last) else None,
        "episodes": len(r.episode_returns),
        "steps": r.timesteps,
        "seed": args.seed,
        "eval_episodes": n,
        "interrupted": False,
        "seconds": round(r.seconds, 3),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        _print_summary(summary)
    return 0


def _run(args: argparse.Namespace) -> int:
    from boltzmann_rl.gym import run_gym

    if args.agent == "dqn":
        return _run_dqn(args)

    if args.out is not None:
        output_folder(args.out)  # a bad --out fails now, not after the run
    if args.runs is not None and not args.per_env:
        return _run_tabular(args)
    if args.runs is not None:
        return _run_seeds(args)
    env_kwargs = dict(args.env_kwarg or [])
    tile_options = {"tilings": args.tilings, "tiles": args.tiles}
    tile_options.update(low=args.obs_low, high=args.obs_high)
    agent_kwargs = {k: v for k, v in tile_options.items() if v is not None}
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
    summary = {**result.summary(), **describe_learner(result.trained_agent)}
    summary["vectorization"] = args.vectorization if args.num_envs else None
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


def _tabular_options(args: argparse.Namespace) -> None:
    """Refuse the options the batched tabular engine has no use for, naming them."""
    unused = [
        name
        for name, value in (
            ("--steps", args.steps),
            ("--num-envs", args.num_envs),
            ("--tilings", args.tilings),
            ("--tiles", args.tiles),
            ("--obs-low", args.obs_low),
            ("--obs-high", args.obs_high),
        )
        if value is not None
    ]
    if unused:
        raise ValueError(
            f"{', '.join(unused)} do not apply to the batched tabular engine (--runs); "
            "add --per-env to train the runs one environment at a time"
        )


def _run_tabular(args: argparse.Namespace) -> int:
    from boltzmann_rl.gym.tabular import NoModelError, TabularModel, train_tabular

    _tabular_options(args)
    kwargs = dict(args.env_kwarg or [])
    if args.max_episode_steps is not None:
        kwargs["max_episode_steps"] = args.max_episode_steps
    try:
        model = TabularModel.from_env(args.env_id, **kwargs)
    except NoModelError as exc:
        raise ValueError(str(exc)) from None
    episodes = args.episodes or 1000
    info = sys.stderr if args.json else sys.stdout
    print(
        f"{args.env_id} publishes its transition tables: {args.runs} runs on the batched "
        "tabular engine (--per-env trains them one environment at a time)",
        file=info,
    )
    result = train_tabular(
        model,
        args.policy,
        algorithm=args.agent,
        runs=args.runs,
        episodes=episodes,
        alpha=args.alpha,
        gamma=args.gamma,
        initial_value=args.initial_value,
        anneal=args.anneal,
        alpha_by=args.alpha_by,
        seed=args.seed,
        eval_every=args.eval_every or max(1, episodes // 10),
        eval_episodes=args.eval_episodes,
    )
    summary = {**result.summary(), "engine": "tabular"}
    if args.json:
        print(json.dumps(summary))
    else:
        _print_rows(
            [
                ("env", summary["env"]),
                ("agent", summary["agent"]),
                ("policy", summary["policy"]),
                (
                    "runs",
                    f"{summary['runs']} x {summary['episodes']} episodes "
                    f"({summary['seconds']:.3g} s)",
                ),
                (
                    "train return, last tenth",
                    _ci(summary["last10_return"], summary["last10_return_ci"]),
                ),
                ("exact greedy value", _ci(summary["final_value"], summary["final_value_ci"])),
            ]
        )
    if args.out is not None:
        paths = result.write(args.out)
        print(f"wrote {', '.join(str(p) for p in paths)}", file=info)
    return 0


def _run_seeds(args: argparse.Namespace) -> int:
    """``--runs N --per-env``: N seeds of the per-env path, one after the other."""
    import numpy as np

    from boltzmann_rl.gym import run_gym
    from boltzmann_rl.stats import mean_ci

    _ = np  # the per-seed arrays below
    evals, last = [], []
    episodes = args.episodes or 1000
    for i in range(args.runs):
        r = run_gym(
            args.env_id,
            args.agent,
            args.policy,
            env_kwargs=dict(args.env_kwarg or []),
            episodes=episodes,
            alpha=args.alpha,
            gamma=args.gamma,
            seed=args.seed + i,
            eval_episodes=args.eval_episodes,
            eval_every=episodes + 1,
            initial_value=args.initial_value,
            anneal=args.anneal,
            alpha_by=args.alpha_by,
            max_episode_steps=args.max_episode_steps,
        )
        if r.interrupted:
            from boltzmann_rl.cli import interrupted_code

            return interrupted_code()
        evals.append(float(np.mean(r.eval_returns)) if r.eval_returns.size else float("nan"))
        last.append(float(np.mean(r.episode_returns[-100:])))
    (ev, ev_h), (tr, tr_h) = mean_ci(evals), mean_ci(last)
    summary = {
        "env": args.env_id,
        "agent": args.agent,
        "policy": args.policy,
        "runs": args.runs,
        "episodes": episodes,
        "engine": "per-env",
        "eval_return": ev,
        "eval_return_ci": ev_h,
        "train_return_last100": tr,
        "train_return_last100_ci": tr_h,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        _print_rows(
            [
                ("env", args.env_id),
                ("agent", args.agent),
                ("policy", args.policy),
                ("runs", f"{args.runs} x {episodes} episodes (per-env)"),
                ("train return, last 100", _ci(tr, tr_h)),
                ("greedy return", _ci(ev, ev_h)),
            ]
        )
    return 0


def _ci(value: float, half: float) -> str:
    return f"{value:.4g} ± {half:.2g} (95% CI over runs)"


def _print_rows(rows: list[tuple[str, Any]]) -> None:
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")


def describe_learner(agent: Any) -> dict[str, Any]:
    """What was built: ``learner`` (the class) and ``tile_coder`` (bounds, resolution).

    Examples
    --------
    >>> from gymnasium.spaces import Box, Discrete
    >>> from boltzmann_rl.cli.gym import describe_learner
    >>> from boltzmann_rl.gym import make_agent
    >>> d = describe_learner(make_agent("sarsa", Box(-1.0, 1.0, (2,)), Discrete(2), "greedy",
    ...                                 tilings=4, tiles=3))
    >>> d["learner"], d["tile_coder"]["tilings"], d["tile_coder"]["tiles"]
    ('LinearAgent', 4, [3, 3])
    """
    coder = getattr(agent, "coder", None)
    tiles = None
    if coder is not None:
        tiles = {
            "low": coder.low.tolist(),
            "high": coder.high.tolist(),
            "tilings": coder.tilings,
            "tiles": coder.tiles.tolist(),
            "features": coder.n_features,
        }
    return {"learner": type(agent).__name__, "tile_coder": tiles}


def _print_summary(summary: dict[str, Any]) -> None:
    def fmt(v: Any) -> str:
        return "n/a" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)

    ci = summary["eval_return_ci"]
    evaluation = fmt(summary["eval_return"])
    if ci is not None:
        evaluation += f" ± {fmt(ci)} (95% CI, {summary['eval_episodes']} episodes)"
    learner = summary["learner"]
    coder = summary["tile_coder"]
    if coder is not None:
        learner += (
            f" on tiles: {coder['tilings']} tilings x {'x'.join(map(str, coder['tiles']))} "
            f"tiles over low=[{', '.join(f'{v:.4g}' for v in coder['low'])}], "
            f"high=[{', '.join(f'{v:.4g}' for v in coder['high'])}] "
            f"({coder['features']} features)"
        )
    vector = "none (one environment)"
    if summary.get("num_envs"):
        vector = f"{summary['num_envs']} copies ({summary['vectorization']})"
    rows = [
        ("env", summary["env"]),
        ("vector env", vector),
        ("agent", summary["agent"]),
        ("learner", learner),
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
    p.add_argument(
        "env_id",
        metavar="ENV_ID",
        help="a gymnasium id, e.g. FrozenLake-v1, or module:EnvName-v0 to import your "
        "own module (which registers EnvName-v0) first",
    )
    p.add_argument(
        "--agent",
        choices=[*ALGORITHMS, "dqn"],
        default="qlearning",
        help="the learning rule (default: qlearning); soft-qlearning and mellowmax back up "
        "with the policy's own parameter (a Boltzmann policy's fixed temperature, a "
        "mellowmax policy's omega); dqn is Stable-Baselines3's DQN exploring with the "
        "policy (the sb3 extra; with --timesteps)",
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
    tiles = p.add_argument_group(
        "tile coder (Box observations)",
        "A Box observation space gets a linear agent on a tile coder: TILINGS offset "
        "grids of TILES cells per dimension between the bounds. The bounds default to "
        "the space's, and to +-3 where the space is unbounded (CartPole's velocities); "
        "values outside fall in the edge tiles. Example: boltzmann-rl gym CartPole-v1 "
        "--policy 'egreedy(epsilon=0.01)' --alpha 0.5 --episodes 2000",
    )
    tiles.add_argument(
        "--tilings", type=positive_int, default=None, help="offset tilings (default 8)"
    )
    tiles.add_argument(
        "--tiles",
        type=_tiles,
        default=None,
        metavar="N[,N...]",
        help="tiles per dimension, one number or one per dimension (default 8)",
    )
    tiles.add_argument(
        "--obs-low",
        type=_numbers,
        default=None,
        metavar="X[,X...]",
        help="lower bounds of the tiling, one per observation dimension "
        "(default: the space's, -3 where unbounded)",
    )
    tiles.add_argument(
        "--obs-high",
        type=_numbers,
        default=None,
        metavar="X[,X...]",
        help="upper bounds of the tiling, one per dimension (default: the space's, "
        "+3 where unbounded)",
    )
    p.add_argument(
        "--runs",
        type=positive_int,
        default=None,
        metavar="N",
        help="train N independent agents and report means with 95%% CIs over them; an env "
        "with transition tables (FrozenLake, Taxi, CliffWalking) runs them all at once on "
        "the batched tabular engine, with exact greedy values",
    )
    p.add_argument(
        "--per-env",
        action="store_true",
        help="with --runs: train the runs one environment at a time (the per-env path)",
    )
    p.add_argument(
        "--timesteps",
        type=positive_int,
        default=None,
        metavar="N",
        help="--agent dqn: SB3 DQN's learn(total_timesteps=N) (needs the sb3 extra)",
    )
    p.add_argument(
        "--dqn-arg",
        type=parse_env_kwarg,
        action="extend",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="--agent dqn: SB3 DQN hyperparameters, e.g. --dqn-arg learning_rate=2.5e-4 "
        "train_freq=16",
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="write episodes.csv, evaluations.csv, summary.json and learning_curve.png",
    )
    p.set_defaults(func=_run)
