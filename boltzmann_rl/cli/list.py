"""The ``list`` subcommand: what exists, with parameters and defaults, read from the registries.

Every section is generated from the table the library itself reads, so it cannot
drift from the code: bandit environments (``bandits.ENVIRONMENTS``), agents (the
bandit agent registry and the gym algorithms), policies (``policies.POLICY_NAMES``),
schedules (``spec.SCHEDULES``) and study types (``sweep.tasks.TASKS``). Defaults come
from the signatures.

Examples
--------
>>> import contextlib, io
>>> from boltzmann_rl.cli import main
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     code = main(["list", "schedules"])
>>> code, out.getvalue().splitlines()[1]
(0, '  constant(value: float)  The same value at every step.')
"""

from __future__ import annotations

import argparse
import inspect
import json
import textwrap
from collections.abc import Callable
from typing import Any

__all__ = ["SECTIONS", "catalog", "register"]

SECTIONS: tuple[str, ...] = ("environments", "agents", "policies", "schedules", "studies")
"""The sections of ``boltzmann-rl list``, in the order they are printed."""


def _plain(text: str) -> str:
    """``text`` with reST markup dropped."""
    return text.replace(":math:", "").replace("``", "").replace("`", "").strip()


def _doc(obj: Any) -> str:
    """The first paragraph of a docstring, on one line, without reST markup."""
    return _plain((inspect.getdoc(obj) or "").split("\n\n", 1)[0].replace("\n", " "))


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return repr(value) if not isinstance(value, float) else f"{value:g}"


def _type(p: inspect.Parameter) -> str | None:
    if p.annotation is p.empty:
        return None
    text = str(p.annotation).strip("'\"")
    return None if text == "Any" else text


def _signature_params(
    fn: Callable[..., Any], *, skip: int = 0, exclude: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Parameters of ``fn`` (after the first ``skip``): name, type, default (None: required)."""
    out = []
    for i, (name, p) in enumerate(inspect.signature(fn).parameters.items()):
        if i < skip or name in exclude or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out.append(
            {
                "name": name,
                "type": _type(p),
                "default": None if p.default is p.empty else _shown(p.default),
                "required": p.default is p.empty,
                "doc": "",
            }
        )
    return out


def _environments() -> list[dict[str, Any]]:
    from boltzmann_rl.bandits import ENVIRONMENTS

    out = [
        {
            "name": name,
            "kind": "bandit",
            "params": _signature_params(cls),
            "doc": _doc(cls),
        }
        for name, cls in ENVIRONMENTS.items()
    ]
    import gymnasium

    out.append(
        {
            "name": "<gymnasium id>",
            "kind": "gym",
            "params": [],
            "doc": "any registered gymnasium id, or module:EnvName-v0 to import your own "
            "package first; arguments are the environment's keyword arguments",
            "ids": sorted(gymnasium.registry),
        }
    )
    return out


def _agents() -> list[dict[str, Any]]:
    from boltzmann_rl.bandits.registry import BANDIT_AGENTS
    from boltzmann_rl.gym import ALGORITHMS
    from boltzmann_rl.sweep.tasks import gym_agent_params

    out = []
    for entry in BANDIT_AGENTS.values():
        params = [
            {
                "name": p.name,
                "type": p.type,
                "default": _shown(p.default),
                "required": False,
                "doc": p.doc,
            }
            for p in entry.params
        ]
        doc = _plain(entry.doc) + ("; takes a policy" if entry.takes_policy else "")
        out.append({"name": entry.name, "kind": "bandit", "params": params, "doc": doc})
    shared = gym_agent_params()
    for name in ALGORITHMS:
        out.append(
            {
                "name": name,
                "kind": "gym",
                "params": shared,
                "doc": "a tabular (or tile-coded, for Box observations) learner; takes a policy",
            }
        )
    return out


def _policies() -> list[dict[str, Any]]:
    from boltzmann_rl.spec import policy_registry

    return [
        {"name": name, "kind": "policy", "params": _signature_params(cls), "doc": _doc(cls)}
        for name, cls in sorted(policy_registry().items())
    ]


def _schedules() -> list[dict[str, Any]]:
    from boltzmann_rl.spec import SCHEDULES

    return [
        {"name": name, "kind": "schedule", "params": _signature_params(cls), "doc": _doc(cls)}
        for name, cls in sorted(SCHEDULES.items())
    ]


def _studies() -> list[dict[str, Any]]:
    from boltzmann_rl.sweep.tasks import TASKS

    out = []
    for kind, task in TASKS.items():
        params = [
            {
                "name": f"budget.{k}",
                "type": "int",
                "default": None if v is None else str(v),
                "required": v is None,
                "doc": "",
            }
            for k, v in task.budget.items()
        ]
        metrics = ", ".join(
            f"{m} ({'higher' if spec['higher'] else 'lower'} is better)"
            for m, spec in task.metrics.items()
        )
        doc = (
            f"problem.type = {kind!r}; default agent {task.default_agent}; metrics: {metrics}; "
            f"default metric {task.default_metric}"
        )
        out.append({"name": kind, "kind": "study", "params": params, "doc": doc})
    return out


_BUILDERS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "environments": _environments,
    "agents": _agents,
    "policies": _policies,
    "schedules": _schedules,
    "studies": _studies,
}

_TITLES = {
    "environments": "environments (bandit: --env / problem.env; gym: any gymnasium id)",
    "agents": "agents (bandit: --agent and its options / [agent]; gym: --agent / [agent])",
    "policies": "policies (the text form: --policy / family.policy, e.g. "
    "boltzmann(temperature=0.1))",
    "schedules": "schedules (a value that changes with the step: temperature=exp(1.0, 0.01, 1000))",
    "studies": "study types (problem.type of a study file; see docs/studies.md)",
}


def catalog(sections: tuple[str, ...] = SECTIONS) -> dict[str, list[dict[str, Any]]]:
    """What exists, by section: each entry's name, kind, parameters and one-line doc.

    Examples
    --------
    >>> from boltzmann_rl.cli.list import catalog
    >>> [p["name"] for p in catalog(("policies",))["policies"][1]["params"]]
    ['temperature']
    """
    return {s: _BUILDERS[s]() for s in sections}


def _param_text(p: dict[str, Any]) -> str:
    text = p["name"] + (f": {p['type']}" if p["type"] else "")
    return text if p["required"] else f"{text} = {p['default']}"


def _grouped(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive entries that differ only by name (the gym algorithms) as one."""
    out: list[dict[str, Any]] = []
    for e in entries:
        last = out[-1] if out else None
        if last and (last["kind"], last["params"], last["doc"]) == (
            e["kind"],
            e["params"],
            e["doc"],
        ):
            last["name"] += f" | {e['name']}"
        else:
            out.append(dict(e))
    return out


def _print(data: dict[str, list[dict[str, Any]]]) -> None:
    for i, (section, entries) in enumerate(data.items()):
        if i:
            print()
        print(_TITLES[section])
        for e in _grouped(entries):
            kind = f"[{e['kind']}] " if section in ("environments", "agents") else ""
            documented = [p for p in e["params"] if p["doc"]]
            if documented:
                print(f"  {kind}{e['name']}  {e['doc']}")
                for p in e["params"]:
                    doc = f"  {p['doc']}" if p["doc"] else ""
                    print(f"      {_param_text(p)}{doc}")
            else:
                args = ", ".join(_param_text(p) for p in e["params"])
                head = f"{e['name']}({args})" if args else e["name"]
                print(f"  {kind}{head}  {e['doc']}")
            if e.get("ids"):
                text = "registered here (the agents need Discrete actions): " + ", ".join(e["ids"])
                print(
                    textwrap.fill(
                        text, width=100, initial_indent="      ", subsequent_indent="        "
                    )
                )


def _section(text: str) -> str:
    # argparse's choices refuse the empty default of nargs="*" on Python 3.11
    if text not in SECTIONS:
        raise argparse.ArgumentTypeError(
            f"unknown section {text!r}; choose from {', '.join(SECTIONS)}"
        )
    return text


def _run(args: argparse.Namespace) -> int:
    sections = tuple(args.what) if args.what else SECTIONS
    data = catalog(sections)
    if args.json:
        print(json.dumps(data))
    else:
        _print(data)
    return 0


def register(subparsers: Any) -> None:
    """Add the ``list`` subcommand to the ``boltzmann-rl`` parser.

    Examples
    --------
    >>> import argparse
    >>> from boltzmann_rl.cli import list as list_cmd
    >>> parser = argparse.ArgumentParser()
    >>> list_cmd.register(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["list", "agents", "policies"]).what
    ['agents', 'policies']
    """
    p = subparsers.add_parser(
        "list",
        help="list environments, agents, policies, schedules and study types, with "
        "parameters and defaults",
        description="List what exists, read from the registries the library uses: "
        "bandit environments, bandit and gym agents with their parameters, policies, "
        "schedules and study types, each with parameters and defaults. Name sections "
        "to print only those.",
    )
    p.add_argument(
        "what",
        nargs="*",
        type=_section,
        metavar="SECTION",
        help=f"sections to print: {', '.join(SECTIONS)} (default: all)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.set_defaults(func=_run)
