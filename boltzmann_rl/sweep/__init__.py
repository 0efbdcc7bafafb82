"""Sweeps: describe a study once, run it on all cores or a Ray cluster, stop and resume it.

A study is a TOML file (:mod:`.config`) expanded into immutable cells with stable ids
(:mod:`.cells`); the runner (:mod:`.runner`) sends the cells not yet finished to a
backend (:mod:`.backends`: serial, process, ray) in batches, commits each finished
cell to the SQLite store of the output folder (:mod:`.store`), and writes the report
and figures (:mod:`.report`); :mod:`.export` writes tidy CSV or JSON tables.

==================================  ======================================================
name                                what it is
==================================  ======================================================
:func:`load_study`                  a TOML study file -> :class:`Study` (validated)
:class:`Cell`                       one experiment; ``cell.id`` and ``cell.entropy`` (seed)
:func:`run_study`                   run (or resume) a study into an output folder
:class:`Store`                      the results store: ``store.sqlite``, WAL, a writer lock
:func:`make_backend`                ``serial``, ``process`` or ``ray``
:func:`load_results`                the store read back, for tables and figures
:func:`write_report`                ``report.md`` and ``figures/*.png|svg``
:func:`export_store`                ``cells`` and ``curves`` tables, CSV or JSON
==================================  ======================================================

Command line: ``boltzmann-rl run FILE``, ``boltzmann-rl plot DIR``,
``boltzmann-rl export DIR --format csv|json``.

Examples
--------
>>> import tempfile
>>> from boltzmann_rl.sweep import loads_study, run_study
>>> study = loads_study('''
... [study]
... name = "demo"
... [problem]
... type = "bandit"
... env = "gaussian"
... [budget]
... runs = 20
... steps = 10
... [[family]]
... name = "Boltzmann"
... policy = "boltzmann(temperature={T})"
... grid = { T = [0.1, 1.0] }
... ''')
>>> with tempfile.TemporaryDirectory() as out:
...     result = run_study(study, out, backend="serial", report=False)
>>> result.ran, result.summary[0]["setting"] in ("T=0.1", "T=1")
(2, True)
"""

from boltzmann_rl.sweep.backends import BACKENDS, RayNotInstalled, make_backend
from boltzmann_rl.sweep.cells import Cell
from boltzmann_rl.sweep.config import Family, Member, Study, load_study, loads_study
from boltzmann_rl.sweep.export import export_store
from boltzmann_rl.sweep.report import load_results, write_figures, write_report
from boltzmann_rl.sweep.runner import RunResult, run_study
from boltzmann_rl.sweep.store import Store, StoreLocked

__all__ = [
    "BACKENDS",
    "Cell",
    "Family",
    "Member",
    "RayNotInstalled",
    "RunResult",
    "Store",
    "StoreLocked",
    "Study",
    "export_store",
    "load_results",
    "load_study",
    "loads_study",
    "make_backend",
    "run_study",
    "write_figures",
    "write_report",
]
