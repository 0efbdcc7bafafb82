"""The textbook study script runs from top to bottom at a tiny budget."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "experiments" / "textbook_testbed.py"


def _load():
    spec = importlib.util.spec_from_file_location("textbook_testbed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_textbook_study_smoke(tmp_path, capsys):
    results = _load().main(["--runs", "20", "--steps", "30", "--out", str(tmp_path)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "textbook_fig2_2.png",
        "textbook_fig2_5.png",
        "textbook_fig2_6.png",
        "textbook_results.json",
    ]
    saved = json.loads((tmp_path / "textbook_results.json").read_text())
    assert saved["config"]["runs"] == 20
    assert set(saved["figure_2_2"]) == {"ε = 0 (greedy)", "ε = 0.01", "ε = 0.1"}
    assert len(saved["figure_2_5"]) == 4
    study = saved["figure_2_6"]
    assert len(study) == 7 and all(len(f["x"]) == len(f["mean_reward"]) for f in study.values())
    assert results["figure_2_2"] == saved["figure_2_2"]
    assert "wrote" in capsys.readouterr().out
