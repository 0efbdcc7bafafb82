"""The examples in the README run as written."""

from __future__ import annotations

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
