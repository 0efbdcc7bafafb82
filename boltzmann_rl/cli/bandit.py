"""The ``bandit`` subcommand: simulate policies on a multi-armed bandit.

A thin layer over :func:`boltzmann_rl.bandits.simulate`: every ``--policy`` is one
group (a sample-average action-value agent with that policy), all simulated at once
on the same environments (same seed, common random numbers). It prints a table, or
with ``--json`` one JSON object, and with ``--out DIR`` writes the tidy per-step table
(``bandit.csv``), the summary (``summary.json``) and the learning curves with 95 % CI
bands (``reward.png/svg``, ``optimal.png/svg``). A progress bar is drawn on stderr when
it is a terminal.

Examples
--------
>>> import json, contextlib, io
>>> from boltzmann_rl.cli import main
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     code = main(["bandit", "--policy", "greedy", "--policy", "ucb(c=2)",
...                  "--runs", "20", "--steps", "10", "--json"])
>>> code, [p["policy"] for p in json.loads(out.getvalue())["policies"]]
(0, ['greedy', 'ucb(c=2)'])
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from boltzmann_rl.bandits.envs import ENVIRONMENTS
from boltzmann_rl.cli._types import finite_float, nonnegative_int, output_folder, positive_int

__all__ = ["register"]


def _arms(text: str) -> int:
    value = positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"a bandit needs at least 2 arms, got {text!r}")
    return value


def _scale(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _run(args: argparse.Namespace) -> int:
    from boltzmann_rl.bandits import make_env, simulate

    if args.out is not None:
        output_folder(args.out)  # a bad --out fails now, not after the run
    env = make_env(args.env, arms=args.arms, offset=args.reward_offset, scale=args.reward_scale)
    result = simulate(
        env,
        list(args.policy),
        runs=args.runs,
        steps=args.steps,
        seed=args.seed,
        progress=None,  # a bar only when stderr is a terminal
    )
    header = {
        "env": args.env,
        "environment": result.env,
        "arms": env.arms,
        "runs": args.runs,
        "steps": args.steps,
        "seed": args.seed,
        "reward_offset": args.reward_offset,
        "reward_scale": args.reward_scale,
    }
    payload = {**header, "policies": result.summary()}
    info = sys.stderr if args.json else sys.stdout
    if args.json:
        print(json.dumps(payload))
    else:
        _print_table(header, payload["policies"])
    if args.out is not None:
        paths = _write(result, payload, Path(args.out))
        print(f"wrote {', '.join(str(p) for p in paths)}", file=info)
    return 0


def _write(result: Any, payload: dict[str, Any], out: Path) -> list[Path]:
    from boltzmann_rl.plotting.curves import plot_metric, save_figure

    out.mkdir(parents=True, exist_ok=True)
    paths = [result.write_csv(out / "bandit.csv")]
    summary = out / "summary.json"
    summary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    paths.append(summary)
    title = f"{payload['environment']}, {payload['runs']} runs"
    for metric in ("reward", "optimal"):
        fig = plot_metric(result, metric, title=title)
        paths.extend(save_figure(fig, out / metric))
    return paths


def _print_table(header: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    def pm(row: dict[str, Any], key: str, pct: bool = False) -> str:
        v, h = row[key], row[f"{key}_ci"]
        if v is None:
            return "n/a"
        f = 100.0 if pct else 1.0
        text = f"{v * f:.3f}" if not pct else f"{v * f:.1f}%"
        if h is not None:
            text += f" ± {h * f:.3f}" if not pct else f" ± {h * f:.1f}"
        return text

    print(
        f"{header['environment']}: {header['runs']} runs x {header['steps']} steps, "
        f"seed {header['seed']} (± 95% CI half-widths)"
    )
    table = [("policy", "mean reward", "final reward", "final % optimal", "regret")]
    for row in rows:
        table.append(
            (
                row["policy"],
                pm(row, "mean_reward"),
                pm(row, "final_reward"),
                pm(row, "final_optimal", pct=True),
                pm(row, "regret"),
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


def register(subparsers: Any) -> None:
    """Add the ``bandit`` subcommand to the ``boltzmann-rl`` parser.

    Examples
    --------
    >>> import argparse
    >>> from boltzmann_rl.cli import bandit
    >>> parser = argparse.ArgumentParser()
    >>> bandit.register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["bandit", "--policy", "greedy"])
    >>> args.env, args.arms, args.runs, args.steps, args.seed
    ('gaussian', 10, 2000, 1000, 0)
    """
    p = subparsers.add_parser(
        "bandit",
        help="simulate policies on a multi-armed bandit (the 10-armed testbed by default)",
        description="Simulate one or more policies for R runs x T steps, all runs at once, "
        "and report average reward, % optimal action and regret with 95% confidence "
        "intervals. Example: boltzmann-rl bandit --policy 'boltzmann(temperature=0.1)' "
        "--policy 'egreedy(epsilon=0.1)' --json",
    )
    p.add_argument(
        "--policy",
        action="append",
        required=True,
        metavar="SPEC",
        help="a policy in the text form (repeat for several), e.g. "
        "'boltzmann(temperature=0.1)', 'egreedy(epsilon=0.1)', 'greedy', 'ucb(c=2)', "
        "'bgumbel(c=1)', 'boltzmann(temperature=exp(1.0, 0.05, 1000))'",
    )
    p.add_argument(
        "--env",
        choices=list(ENVIRONMENTS),
        default="gaussian",
        help="the environment (default: gaussian, the k-armed testbed)",
    )
    p.add_argument("--arms", type=_arms, default=10, metavar="K", help="arms (default 10)")
    p.add_argument(
        "--runs",
        type=positive_int,
        default=2000,
        metavar="R",
        help="independent runs (default 2000)",
    )
    p.add_argument(
        "--steps",
        type=positive_int,
        default=1000,
        metavar="T",
        help="steps per run (default 1000)",
    )
    p.add_argument(
        "--reward-offset",
        type=finite_float,
        default=0.0,
        metavar="C",
        help="added to every reward the agent sees (default 0)",
    )
    p.add_argument(
        "--reward-scale",
        type=_scale,
        default=1.0,
        metavar="S",
        help="multiplies every reward the agent sees, and the regret (default 1)",
    )
    p.add_argument(
        "--seed", type=nonnegative_int, default=0, metavar="S", help="random seed (default 0)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="write bandit.csv, summary.json and the learning-curve plots here",
    )
    p.set_defaults(func=_run)
