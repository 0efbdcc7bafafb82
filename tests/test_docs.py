"""The examples in the README run as written."""

from __future__ import annotations

import argparse
import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", ["README.md"])
def test_markdown_examples_run(path):
    result = doctest.testfile(
        str(ROOT / path),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted > 0
    assert result.failed == 0


PUBLIC_MODULES = [
    "boltzmann_rl",
    "boltzmann_rl.core",
    "boltzmann_rl.policies",
    "boltzmann_rl.alternatives",
    "boltzmann_rl.schedules",
    "boltzmann_rl.spec",
    "boltzmann_rl.stats",
    "boltzmann_rl.bandits",
    "boltzmann_rl.gym",
    "boltzmann_rl.sweep",
    "boltzmann_rl.plotting",
]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_is_exported_and_documented_with_an_example(module):
    import importlib
    import inspect

    mod = importlib.import_module(module)
    assert mod.__all__, module
    for name in mod.__all__:
        obj = getattr(mod, name)  # exported names exist
        if inspect.isclass(obj) or inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            assert ">>>" in doc, f"{module}.{name} has no runnable example"


# --------------------------------------------------------------------------- docs/studies.md

STUDIES = ROOT / "docs" / "studies.md"


def _studies_text():
    return STUDIES.read_text(encoding="utf-8")


def _toml_blocks(text):
    import re

    return re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)


def test_studies_doc_names_every_key_the_loader_accepts():
    from boltzmann_rl.bandits import BANDIT_AGENTS, ENVIRONMENTS
    from boltzmann_rl.gym import ALGORITHMS
    from boltzmann_rl.spec import SCHEDULES, policy_registry
    from boltzmann_rl.sweep import config
    from boltzmann_rl.sweep.tasks import TASKS, gym_agent_params

    text = _studies_text()
    for k in config._TOP_KEYS:
        assert f"`[{k}]`" in text or f"`[[{k}]]`" in text, k
    keys = [
        *config._STUDY_KEYS,
        *config._PROBLEM_KEYS,
        *config._AGENT_KEYS,
        *config._ANALYSIS_KEYS,
        *config._FAMILY_KEYS,
        *config._XSCALES,
        "best",
        "all",
        "geomspace",
        "linspace",
    ]
    for kind, task in TASKS.items():
        keys += [kind, *task.budget, *task.metrics, task.default_agent, task.default_metric]
    for entry in BANDIT_AGENTS.values():
        keys += [entry.name, *(p.name for p in entry.params)]
    keys += [*ALGORITHMS, *(p["name"] for p in gym_agent_params())]
    keys += [*ENVIRONMENTS, *policy_registry(), *SCHEDULES]
    missing = sorted({k for k in keys if f"`{k}" not in text and f'"{k}"' not in text})
    assert not missing, f"docs/studies.md does not mention: {missing}"


def test_studies_doc_says_the_defaults_of_the_bandit_agents():
    from boltzmann_rl.bandits import BANDIT_AGENTS

    lines = _studies_text().splitlines()
    for entry in BANDIT_AGENTS.values():
        for p in entry.params:
            shown = "none" if p.default is None else f"`{str(p.default).lower()}`"
            rows = [line for line in lines if f"| `{p.name}` |" in line]
            assert any(shown in row for row in rows), (entry.name, p.name, shown)


def test_studies_doc_examples_are_complete_valid_studies():
    from boltzmann_rl.sweep.config import loads_study

    blocks = _toml_blocks(_studies_text())
    kinds = set()
    for block in blocks:
        study = loads_study(block, "docs/studies.md")
        kinds.add(study.kind)
    assert kinds == {"bandit", "gym"}


def test_run_help_points_to_the_studies_doc(capsys):
    from boltzmann_rl.cli import main

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "docs/studies.md" in " ".join(capsys.readouterr().out.split())


def test_readme_shows_every_subcommand():
    from boltzmann_rl.cli import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name in sub.choices if f"boltzmann-rl {name}" not in readme]
    assert not missing, f"README.md does not show: {missing}"
