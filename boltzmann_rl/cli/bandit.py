"""The ``bandit`` subcommand: simulate policies on a multi-armed bandit.

A thin layer over :func:`boltzmann_rl.bandits.simulate`. ``--agent NAME`` picks a
bandit agent of :data:`boltzmann_rl.bandits.BANDIT_AGENTS` (default ``action_value``),
and each parameter of the registered agents is an option (``--step-size``,
``--initial``, ``--baseline/--no-baseline``, ``--gamma``, ...), generated from the
registry with its names and defaults, so the command line, study files and Python
agree. With ``action_value`` every ``--policy`` is one group (action-value estimates
with that policy); the other agents choose actions themselves and take no policy.
All groups are simulated at once on the same environments (same seed, common random
numbers). It prints a table, or with ``--json`` one JSON object, and with ``--out
DIR`` writes the tidy per-step table (``bandit.csv``), the summary (``summary.json``)
and the learning curves with 95 % CI bands (``reward``, ``optimal``, ``regret`` and
``entropy``, each ``.png`` and ``.svg``). An agent without a closed-form entropy
(Thompson sampling) says so in the table and the entropy legend. A progress bar is
drawn on stderr when it is a terminal.

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
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     code = main(["bandit", "--agent", "gradient", "--step-size", "0.4", "--no-baseline",
...                  "--runs", "20", "--steps", "10", "--json"])
>>> code, json.loads(out.getvalue())["policies"][0]["policy"]
(0, 'gradient(step_size=0.4, baseline=False)')
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from boltzmann_rl.bandits.envs import ENVIRONMENTS
from boltzmann_rl.bandits.registry import BANDIT_AGENTS, AgentEntry, AgentParam, bandit_agent
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


# Options the subcommand has whatever the agents: an agent parameter of the same
# name gets an ``--agent-`` prefix instead.
_FIXED_OPTIONS = frozenset(
    {"--policy", "--agent", "--env", "--arms", "--runs", "--steps", "--reward-offset"}
    | {"--reward-scale", "--seed", "--json", "--out", "--help"}
)


def _agent_params() -> dict[str, list[tuple[AgentEntry, AgentParam]]]:
    """Every parameter name of the registered agents -> the agents that have it."""
    out: dict[str, list[tuple[AgentEntry, AgentParam]]] = {}
    for entry in BANDIT_AGENTS.values():
        for param in entry.params:
            out.setdefault(param.name, []).append((entry, param))
    return out


def _option(name: str) -> str:
    option = "--" + name.replace("_", "-")
    return "--agent-" + name.replace("_", "-") if option in _FIXED_OPTIONS else option


def _dest(name: str) -> str:
    return f"agent_param_{name}"


def _agent_args(args: argparse.Namespace, entry: AgentEntry) -> dict[str, Any]:
    """The agent's keyword arguments given on the command line (parsed by its types)."""
    mine = {p.name: p for p in entry.params}
    out: dict[str, Any] = {}
    for name in _agent_params():
        value = getattr(args, _dest(name), None)
        if value is None:
            continue
        if name not in mine:
            own = ", ".join(_option(p) for p in mine) or "(none)"
            raise ValueError(
                f"{_option(name)} does not apply to agent {entry.name!r} (its options: {own})"
            )
        param = mine[name]
        try:
            out[name] = value if isinstance(value, bool) else param.parse(value)
        except ValueError as exc:
            raise ValueError(f"{_option(name)}: {exc}") from None
    return out


def _agents(args: argparse.Namespace) -> tuple[list[Any], dict[str, Any]]:
    """The agents to simulate (one per ``--policy`` for a policy agent) and their arguments.

    A policy agent without arguments is its policy text, so results are labelled
    with the policy as written.
    """
    entry = bandit_agent(args.agent)
    kwargs = _agent_args(args, entry)
    policies = list(args.policy or [])
    if entry.takes_policy:
        if not policies:
            raise ValueError(
                f"agent {entry.name!r} needs at least one --policy, e.g. --policy greedy"
            )
        if not kwargs and args.agent == "action_value":
            return policies, kwargs
        return [entry.make(p, **kwargs) for p in policies], kwargs
    if policies:
        raise ValueError(
            f"agent {entry.name!r} chooses its actions itself and takes no --policy, "
            f"actual value: {policies[0]!r}"
        )
    return [entry.make(**kwargs)], kwargs


def _run(args: argparse.Namespace) -> int:
    from boltzmann_rl.bandits import make_env, simulate

    if args.out is not None:
        output_folder(args.out)  # a bad --out fails now, not after the run
    agents, agent_args = _agents(args)
    env = make_env(args.env, arms=args.arms, offset=args.reward_offset, scale=args.reward_scale)
    result = simulate(
        env,
        agents,
        runs=args.runs,
        steps=args.steps,
        seed=args.seed,
        progress=None,  # a bar only when stderr is a terminal
    )
    header = {
        "env": args.env,
        "environment": result.env,
        "arms": env.arms,
        "agent": args.agent,
        "agent_args": {k: _jsonable(v) for k, v in agent_args.items()},
        "runs": args.runs,
        "steps": args.steps,
        "seed": args.seed,
        "reward_offset": args.reward_offset,
        "reward_scale": args.reward_scale,
    }
    rows = result.summary()
    for row, group in zip(rows, result.groups, strict=True):
        row["final_entropy"] = _final_entropy(group)
    payload = {**header, "policies": rows}
    info = sys.stderr if args.json else sys.stdout
    if args.json:
        print(json.dumps(payload))
    else:
        _print_table(header, payload["policies"])
    if args.out is not None:
        paths = _write(result, payload, Path(args.out))
        print(f"wrote {', '.join(str(p) for p in paths)}", file=info)
    return 0


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float) else repr(value)


def _final_entropy(group: Any) -> float | None:
    """Mean policy entropy at the last step (nats); None: the agent has no closed form."""
    import math

    value = float(group.curves["entropy"].mean[-1])
    return value if math.isfinite(value) else None


def _write(result: Any, payload: dict[str, Any], out: Path) -> list[Path]:
    from boltzmann_rl.plotting.curves import plot_metric, save_figure

    out.mkdir(parents=True, exist_ok=True)
    paths = [result.write_csv(out / "bandit.csv")]
    summary = out / "summary.json"
    summary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    paths.append(summary)
    title = f"{payload['environment']}, {payload['runs']} runs"
    for metric in ("reward", "optimal", "regret", "entropy"):
        # the entropy legend names the agents without one (plot_metric's mark_no_entropy)
        fig = plot_metric(result, metric, title=title)
        paths.extend(save_figure(fig, out / metric))
    return paths


def _print_table(header: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    from boltzmann_rl.plotting.curves import format_entropy  # no matplotlib: a text helper

    def pm(row: dict[str, Any], key: str) -> str:
        v, h = row[key], row[f"{key}_ci"]
        if v is None:
            return "n/a"
        text = f"{v:.3f}"
        if h is not None:
            text += f" ± {h:.3f}"
        return text

    args = ", ".join(f"{k}={v}" for k, v in header["agent_args"].items())
    print(
        f"{header['environment']}: agent {header['agent']}"
        + (f" ({args})" if args else "")
        + f", {header['runs']} runs x {header['steps']} steps, "
        f"seed {header['seed']} (± 95% CI half-widths; entropy in nats at the last step)"
    )
    first = "policy" if bandit_agent(header["agent"]).takes_policy else "agent"
    table = [
        (
            first,
            "mean reward",
            "final reward",
            "final optimal (fraction)",
            "regret",
            "final entropy",
        )
    ]
    for row in rows:
        h = row["final_entropy"]
        table.append(
            (
                row["policy"],
                pm(row, "mean_reward"),
                pm(row, "final_reward"),
                pm(row, "final_optimal"),
                pm(row, "regret"),
                format_entropy(h),
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
    >>> args.agent, args.env, args.arms, args.runs, args.steps, args.seed
    ('action_value', 'gaussian', 10, 2000, 1000, 0)
    """
    p = subparsers.add_parser(
        "bandit",
        help="simulate policies on a multi-armed bandit (the 10-armed testbed by default)",
        description="Simulate one or more policies for R runs x T steps, all runs at once, "
        "and report average reward, the fraction of optimal actions, regret and entropy with 95% "
        "confidence intervals. Examples: boltzmann-rl bandit --policy "
        "'boltzmann(temperature=0.1)' --policy 'egreedy(epsilon=0.1)' --json; "
        "boltzmann-rl bandit --agent gradient --step-size 0.4 --no-baseline",
    )
    p.add_argument(
        "--agent",
        choices=list(BANDIT_AGENTS),
        default="action_value",
        help="the bandit agent (default: action_value, estimates + --policy); "
        "`boltzmann-rl list agents` shows each agent's parameters",
    )
    p.add_argument(
        "--policy",
        action="append",
        default=None,
        metavar="SPEC",
        help="a policy in the text form, for agents that take one (repeat for several), "
        "e.g. 'boltzmann(temperature=0.1)', 'egreedy(epsilon=0.1)', 'greedy', 'ucb(c=2)', "
        "'bgumbel(c=1)', 'boltzmann(temperature=exp(1.0, 0.05, 1000))'",
    )
    _add_agent_options(p)
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
        help="write bandit.csv, summary.json and the reward, optimal, regret and entropy "
        "curves (png and svg) here",
    )
    p.set_defaults(func=_run)


def _add_agent_options(p: argparse.ArgumentParser) -> None:
    """One option per parameter name of the registered agents, help from the registry."""
    group = p.add_argument_group(
        "agent parameters",
        "generated from the bandit agent registry; each applies to the agents named in "
        "its help, with their own defaults (the same names as in study files and Python)",
    )
    for name, uses in _agent_params().items():
        help_text = "; ".join(
            f"{entry.name}: {param.doc} (default {_shown(param.default)})" for entry, param in uses
        )
        if all(param.type == "bool" for _, param in uses):
            group.add_argument(
                _option(name),
                dest=_dest(name),
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            metavar = "|".join(sorted({param.type.upper() for _, param in uses}))
            group.add_argument(
                _option(name), dest=_dest(name), default=None, metavar=metavar, help=help_text
            )


def _shown(value: Any) -> str:
    return "none" if value is None else str(value)
