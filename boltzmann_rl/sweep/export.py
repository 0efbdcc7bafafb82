"""Tidy tables out of a results store: CSV or JSON, one row per observation.

Two tables:

``cells``
    one row per setting of the recorded study (and per stored cell no longer in
    it): ``cell_id``, ``family``, ``setting``, ``policy``, the problem, agent and
    budget, the base and cell seeds, the code version, timing, and one column per
    summary value (``mean_reward``, ``mean_reward_ci``, ...);
``curves``
    one row per cell, curve and step: ``cell_id``, ``family``, ``setting``,
    ``curve``, ``step`` (from 1), ``value``, ``ci`` (95 % half-width).

Values are read from the store's JSON text and raw float64 arrays; nothing is
unpickled or executed.

Examples
--------
>>> from boltzmann_rl.sweep.export import EXPORT_FORMATS
>>> EXPORT_FORMATS
('csv', 'json')
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from boltzmann_rl.sweep.store import Store

__all__ = ["EXPORT_FORMATS", "export_store", "tidy_tables"]

EXPORT_FORMATS = ("csv", "json")

_CELL_COLUMNS = (
    "cell_id",
    "family",
    "setting",
    "policy",
    "kind",
    "env",
    "env_args",
    "agent",
    "agent_args",
    "budget",
    "seed",
    "cell_seed",
    "code_version",
    "wall_time",
    "batch_size",
    "finished_at",
)


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def tidy_tables(store: Store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``cells`` and ``curves`` tables of a store as lists of row dicts.

    Examples
    --------
    >>> import tempfile
    >>> from boltzmann_rl.sweep.store import Store
    >>> from boltzmann_rl.sweep.export import tidy_tables
    >>> with tempfile.TemporaryDirectory() as d, Store(d) as s:
    ...     tidy_tables(s)
    ([], [])
    """
    recorded = store.latest_study()
    members: dict[str, list[dict[str, Any]]] = {}
    if recorded is not None:
        for m in recorded["spec"]["members"]:
            members.setdefault(m["cell_id"], []).append(m)
    cells, curves = [], []
    stored = store.cells()
    summary_keys = sorted({k for c in stored for k in c["summary"]})
    # Rows in the study's order (then cells no longer in it, by id): the tables of two
    # runs of one study compare equal whatever order their cells finished in.
    order = {cid: i for i, cid in enumerate(members)}
    stored.sort(key=lambda c: (order.get(c["cell_id"], len(order)), c["cell_id"]))
    for c in stored:
        cfg = c["config"]
        base = {
            "cell_id": c["cell_id"],
            "policy": cfg["policy"],
            "kind": cfg["kind"],
            "env": cfg["env"],
            "env_args": json.dumps(cfg["env_args"], sort_keys=True),
            "agent": cfg["agent"],
            "agent_args": json.dumps(cfg["agent_args"], sort_keys=True),
            "budget": json.dumps(cfg["budget"], sort_keys=True),
            "seed": cfg["seed"],
            "cell_seed": c["seed"],
            "code_version": c["code_version"],
            "wall_time": c["wall_time"],
            "batch_size": c["batch_size"],
            "finished_at": c["finished_at"],
        }
        labels = [(m["family"], m["label"]) for m in members.get(c["cell_id"], [])] or [("", "")]
        arrays = store.arrays(c["cell_id"])
        for family, setting in labels:
            row = {"family": family, "setting": setting, **base}
            for k in summary_keys:
                row[k] = _clean(c["summary"].get(k))
            cells.append({k: row.get(k) for k in (*_CELL_COLUMNS, *summary_keys)})
            for name in sorted(arrays):
                if name.endswith("_ci"):
                    continue
                values = arrays[name]
                ci = arrays.get(f"{name}_ci")
                for i, v in enumerate(values.tolist()):
                    curves.append(
                        {
                            "cell_id": c["cell_id"],
                            "family": family,
                            "setting": setting,
                            "curve": name,
                            "step": i + 1,
                            "value": _clean(v),
                            "ci": None if ci is None else _clean(float(ci[i])),
                        }
                    )
    return cells, curves


def export_store(folder: str | Path, fmt: str = "csv", to: str | Path | None = None) -> list[Path]:
    """Write the tidy tables of the store in ``folder`` as ``cells.<fmt>`` and ``curves.<fmt>``.

    Parameters
    ----------
    folder : str or Path
        An output folder of ``boltzmann-rl run`` (holding ``store.sqlite``).
    fmt : {"csv", "json"}, default "csv"
    to : str or Path, optional
        Where to write; default ``folder/export``.

    Returns
    -------
    list of Path

    Raises
    ------
    ValueError
        For an unknown format or a folder without a store.

    Examples
    --------
    >>> from boltzmann_rl.sweep.export import export_store
    >>> export_store("no/such/folder", "xlsx")
    Traceback (most recent call last):
    ...
    ValueError: unknown export format 'xlsx'; allowed: csv, json
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; allowed: {', '.join(EXPORT_FORMATS)}")
    with Store(folder, readonly=True) as store:
        cells, curves = tidy_tables(store)
    dest = Path(to) if to is not None else Path(folder) / "export"
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in (("cells", cells), ("curves", curves)):
        path = dest / f"{name}.{fmt}"
        if fmt == "json":
            path.write_text(json.dumps(rows, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        else:
            columns = list(rows[0]) if rows else ["cell_id"]
            with path.open("w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
                w.writeheader()
                for r in rows:
                    w.writerow({k: ("" if v is None else _csv(v)) for k, v in r.items()})
        paths.append(path)
    return paths


def _csv(v: Any) -> Any:
    return repr(v) if isinstance(v, float) else v
