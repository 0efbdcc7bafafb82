"""Tidy tables out of a results store: CSV or JSON, one row per observation.

Four tables:

``cells``
    one row per setting of the recorded study (and per stored cell no longer in
    it): ``cell_id``, ``family``, ``setting``, ``policy``, then one numeric column
    per parameter (see below), the problem, agent and budget, the base and cell
    seeds, the code version, timing, and one column per summary value
    (``mean_reward``, ``mean_reward_ci``, ...; ± values are 95 % CI half-widths);
``seeds``
    gym studies: one row per cell and training seed (``seed_index`` 0, 1, ...),
    with the parameter columns and that seed's ``eval_return`` (mean greedy return
    of its final evaluation) and ``train_return_last100``; the ``cells`` rows are
    the means of these;
``runs``
    bandit studies: one row per cell and run: the parameter columns, ``run`` (the
    run's index, from 0), ``chunk`` (its chunk of 250 runs) and ``chunk_seed`` (the
    JSON text of that chunk's seed, ``{"entropy": cell_seed, "spawn_key": [chunk]}``:
    ``numpy.random.SeedSequence(**json.loads(chunk_seed))`` is the seed its random
    streams were spawned from), then that run's ``mean_reward``, ``final_reward``,
    ``final_optimal`` and ``regret``; the ``cells`` rows are the means of these;
``curves``
    one row per cell, curve and x value: ``cell_id``, ``family``, ``setting``,
    ``curve``, ``step`` (the x value, from 1: the step for bandit curves, the
    training episode for gym curves, where ``eval_return`` is the greedy
    evaluation curve at the episodes it was measured), ``value``, ``ci`` (95 %
    half-width, across runs or seeds).

The parameter columns are the union over the study of its grid keys
(``temperature``, ``epsilon``, ``offset``, ``schedule``, ...) and of the numeric
keyword arguments of the policies (``c`` of ``ucb(c=2)``): a number where the
setting has it, empty where it does not apply (greedy has no temperature; an
annealed temperature is a schedule, named in ``schedule``, not a number).
Fractions stay fractions: ``final_optimal`` and the ``optimal`` curve are in [0, 1].

Values are read from the store's JSON text and raw float64 arrays; nothing is
unpickled or executed.

Examples
--------
>>> from boltzmann_rl.sweep.export import EXPORT_FORMATS, TABLES
>>> EXPORT_FORMATS, TABLES
(('csv', 'json'), ('cells', 'seeds', 'runs', 'curves'))
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from boltzmann_rl._rng import CHUNK_RUNS
from boltzmann_rl.sweep.store import Store

__all__ = [
    "EXPORT_FORMATS",
    "TABLES",
    "export_store",
    "export_tables",
    "parameters",
    "tidy_tables",
]

EXPORT_FORMATS = ("csv", "json")
TABLES = ("cells", "seeds", "runs", "curves")

_PER_SEED = "seed_"  # stored per-seed arrays: rows of the `seeds` table, not curves
_PER_RUN = "run_"  # stored per-run arrays (bandit cells): rows of the `runs` table

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


def parameters(member: dict[str, Any]) -> dict[str, Any]:
    """A setting's parameters: its grid values and its policy's numeric keywords.

    Parameters
    ----------
    member : dict
        A member of a recorded study (``params``, ``policy``).

    Returns
    -------
    dict
        Numbers as float, other grid values (schedule names) as text.

    Examples
    --------
    >>> from boltzmann_rl.sweep.export import parameters
    >>> parameters({"params": {}, "policy": "ucb(c=2)"})
    {'c': 2.0}
    >>> parameters({"params": {"schedule": "exp 1→0.01"},
    ...             "policy": "boltzmann(temperature=exp(1.0, 0.01, 1000))"})
    {'schedule': 'exp 1→0.01'}
    """
    from boltzmann_rl.spec import Call, parse

    out: dict[str, Any] = {}
    policy = member.get("policy") or ""
    try:
        node = parse(policy) if policy else None
    except ValueError:  # not a policy text (a bandit agent's own label): no keywords
        node = None
    if isinstance(node, Call):
        for key, value in node.kwargs:
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[key] = float(value)
    for key, value in (member.get("params") or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = float(value)
        else:
            out[key] = str(value)
    return out


def export_tables(store: Store) -> dict[str, list[dict[str, Any]]]:
    """The ``cells``, ``seeds``, ``runs`` and ``curves`` tables of a store as lists of
    row dicts.

    Examples
    --------
    >>> import tempfile
    >>> from boltzmann_rl.sweep.store import Store
    >>> from boltzmann_rl.sweep.export import export_tables
    >>> with tempfile.TemporaryDirectory() as d, Store(d) as s:
    ...     export_tables(s)
    {'cells': [], 'seeds': [], 'runs': [], 'curves': []}
    """
    recorded = store.latest_study()
    members: dict[str, list[dict[str, Any]]] = {}
    if recorded is not None:
        for m in recorded["spec"]["members"]:
            members.setdefault(m["cell_id"], []).append(m)
    params = {cid: [parameters(m) for m in ms] for cid, ms in members.items()}
    param_keys = list(dict.fromkeys(k for ps in params.values() for p in ps for k in p))
    cells, seeds, runs, curves = [], [], [], []
    stored = store.cells()
    summary_keys = sorted({k for c in stored for k in c["summary"]})
    # A parameter named like another column keeps its name with a "param_" prefix.
    taken = {*_CELL_COLUMNS, *summary_keys, "seed_index", "run", "chunk", "chunk_seed"}
    names = {k: (f"param_{k}" if k in taken else k) for k in param_keys}
    # Rows in the study's order (then cells no longer in it, by id): the tables of two
    # runs of one study compare equal whatever order their cells finished in.
    order = {cid: i for i, cid in enumerate(members)}
    stored.sort(key=lambda c: (order.get(c["cell_id"], len(order)), c["cell_id"]))
    head = _CELL_COLUMNS[:4]
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
        labelled = [(m["family"], m["label"]) for m in members.get(c["cell_id"], [])]
        cell_params = params.get(c["cell_id"]) or [{}]
        arrays = store.arrays(c["cell_id"])
        per_seed = {k[len(_PER_SEED) :]: v for k, v in arrays.items() if k.startswith(_PER_SEED)}
        per_run = {k[len(_PER_RUN) :]: v for k, v in arrays.items() if k.startswith(_PER_RUN)}
        for (family, setting), p in zip(labelled or [("", "")], cell_params):
            row = {"family": family, "setting": setting, **base}
            pcols = {names[k]: p.get(k) for k in param_keys}
            summary = {k: _clean(c["summary"].get(k)) for k in summary_keys}
            cells.append(
                {
                    **{k: row[k] for k in head},
                    **pcols,
                    **{k: row[k] for k in _CELL_COLUMNS[4:]},
                    **summary,
                }
            )
            n_seeds = max((len(v) for v in per_seed.values()), default=0)
            for i in range(n_seeds):
                seeds.append(
                    {
                        "cell_id": c["cell_id"],
                        "family": family,
                        "setting": setting,
                        **pcols,
                        "seed_index": i,
                        **{k: _clean(float(v[i])) for k, v in sorted(per_seed.items())},
                    }
                )
            n_runs = max((len(v) for v in per_run.values()), default=0)
            for i in range(n_runs):
                chunk = i // CHUNK_RUNS
                runs.append(
                    {
                        "cell_id": c["cell_id"],
                        "family": family,
                        "setting": setting,
                        **pcols,
                        "run": i,
                        "chunk": chunk,
                        "chunk_seed": json.dumps({"entropy": int(c["seed"]), "spawn_key": [chunk]}),
                        **{k: _clean(float(v[i])) for k, v in sorted(per_run.items())},
                    }
                )
            x_of = {
                name: info.get("x_array")
                for name, info in _task_curves(cfg["kind"]).items()
                if info.get("x_array")
            }
            hidden = set(x_of.values())
            for name in sorted(arrays):
                if name.endswith("_ci") or name.startswith((_PER_SEED, _PER_RUN)) or name in hidden:
                    continue
                values = arrays[name]
                ci = arrays.get(f"{name}_ci")
                xs = arrays.get(x_of.get(name) or "")
                for i, v in enumerate(values.tolist()):
                    curves.append(
                        {
                            "cell_id": c["cell_id"],
                            "family": family,
                            "setting": setting,
                            "curve": name,
                            "step": i + 1 if xs is None else int(xs[i]),
                            "value": _clean(v),
                            "ci": None if ci is None else _clean(float(ci[i])),
                        }
                    )
    return {"cells": cells, "seeds": seeds, "runs": runs, "curves": curves}


def _task_curves(kind: str) -> dict[str, dict[str, Any]]:
    from boltzmann_rl.sweep.tasks import TASKS

    task = TASKS.get(kind)
    return {} if task is None else task.curves


def tidy_tables(store: Store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``cells`` and ``curves`` tables of a store (see :func:`export_tables`).

    Examples
    --------
    >>> import tempfile
    >>> from boltzmann_rl.sweep.store import Store
    >>> from boltzmann_rl.sweep.export import tidy_tables
    >>> with tempfile.TemporaryDirectory() as d, Store(d) as s:
    ...     tidy_tables(s)
    ([], [])
    """
    tables = export_tables(store)
    return tables["cells"], tables["curves"]


def export_store(folder: str | Path, fmt: str = "csv", to: str | Path | None = None) -> list[Path]:
    """Write the tables of the store in ``folder``: ``cells``, ``seeds``, ``runs`` and
    ``curves``.

    Each table is ``<name>.<fmt>``; ``seeds`` (gym studies) and ``runs`` (bandit
    studies) are written only when they have rows.

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
        tables = export_tables(store)
    dest = Path(to) if to is not None else Path(folder) / "export"
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in tables.items():
        if name in ("seeds", "runs") and not rows:
            continue
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
