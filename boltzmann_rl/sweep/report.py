"""Results read back from the store: tables, figures and ``report.md``, without rerunning.

:func:`load_results` joins the study recorded in the store (its families and
settings) with the finished cells; :func:`best_rows` picks the best setting of
each family with its 95 % CI; :func:`write_figures` and :func:`write_report`
write ``figures/*.png|svg`` and ``report.md`` into the output folder.

Examples
--------
>>> from boltzmann_rl.sweep.report import format_table
>>> print(format_table([{"family": "greedy", "setting": "greedy", "value": 1.0,
...                      "ci": 0.02, "metric": "mean_reward"}]))
family  best setting  mean_reward
------  ------------  -------------
greedy  greedy        1.000 ± 0.020
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from boltzmann_rl.sweep.store import Store
from boltzmann_rl.sweep.tasks import TASKS

__all__ = [
    "FIGURE_FORMATS",
    "SweepResults",
    "best_rows",
    "budget_used",
    "format_table",
    "load_results",
    "smoothing_window",
    "study_title",
    "temperature_figure",
    "write_figures",
    "write_report",
]

FIGURE_FORMATS = ("png", "svg")

TITLE_WIDTH = 110
"""Characters of the description's first line kept in a figure's title."""


def study_title(spec: dict[str, Any]) -> str:
    """A figure title: the study's name, then one line of its description.

    The line is the description's first sentence, cut at a word before
    :data:`TITLE_WIDTH` characters (with "…") when longer.

    Examples
    --------
    >>> from boltzmann_rl.sweep.report import study_title
    >>> print(study_title({"name": "demo", "description": "Greedy alone. More text."}))
    demo
    Greedy alone.
    >>> study_title({"name": "bare"})
    'bare'
    """
    text = " ".join(str(spec.get("description") or "").split())
    if not text:
        return spec["name"]
    end = text.find(". ")
    line = text if end < 0 else text[: end + 1]
    if len(line) > TITLE_WIDTH:
        line = line[: TITLE_WIDTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return f"{spec['name']}\n{line}"


class SweepResults:
    """A study's settings joined with the finished cells of a store (read-only view).

    Satisfies the results interface of :mod:`boltzmann_rl.plotting.sweep`.

    Parameters
    ----------
    store : Store
    spec : dict
        The study as :meth:`~boltzmann_rl.sweep.config.Study.to_dict` gives it.

    Attributes
    ----------
    study : dict
    families, members : list of dict
    metric : str
    metrics, curves : dict
    title : str

    Examples
    --------
    >>> import tempfile
    >>> from boltzmann_rl.sweep.config import loads_study
    >>> from boltzmann_rl.sweep.report import SweepResults
    >>> from boltzmann_rl.sweep.runner import run_study
    >>> from boltzmann_rl.sweep.store import Store
    >>> study = loads_study(
    ...     'study = { name = "eps" }\\nproblem = { type = "bandit", env = "gaussian" }\\n'
    ...     'budget = { runs = 10, steps = 20 }\\n'
    ...     'family = [{ name = "eps", policy = "egreedy(epsilon={e})", grid = { e = [0, 0.1] } }]'
    ... )
    >>> with tempfile.TemporaryDirectory() as out:
    ...     _ = run_study(study, out, backend="serial", report=False)
    ...     with Store(out) as store:
    ...         results = SweepResults(store, study.to_dict())
    ...         print(results.metric, [m["label"] for m in results.members], sorted(results.curves))
    mean_reward ['e=0', 'e=0.1'] ['entropy', 'optimal', 'regret', 'reward']
    """

    def __init__(self, store: Store, spec: dict[str, Any]) -> None:
        self.store = store
        self.study = spec
        task = TASKS[spec["kind"]]
        self.metric = spec["metric"]
        self.metrics = task.metrics
        self.curves = task.curves
        self.families = spec["families"]
        self.members = spec["members"]
        self.title = study_title(spec)
        self._summaries = {c["cell_id"]: c["summary"] for c in store.cells()}
        self._failures = {k: f["error"] for k, f in store.failures().items()}
        self._arrays: dict[str, dict[str, np.ndarray]] = {}

    def summary(self, cell_id: str) -> dict[str, Any] | None:
        """The summary of a finished cell, or None."""
        return self._summaries.get(cell_id)

    def failure(self, cell_id: str) -> str | None:
        """The error message of a cell that raised while it ran, or None."""
        if cell_id in self._summaries:
            return None
        return self._failures.get(cell_id)

    def curve(self, cell_id: str, name: str) -> np.ndarray | None:
        """A stored per-step array of a finished cell, or None."""
        if cell_id not in self._summaries:
            return None
        if cell_id not in self._arrays:
            self._arrays[cell_id] = self.store.arrays(cell_id)
        return self._arrays[cell_id].get(name)

    def to_frame(self, table: str = "cells") -> Any:
        """A table of :mod:`boltzmann_rl.sweep.export` as a pandas DataFrame.

        Needs pandas (the ``pandas`` extra) and the store still open.

        Parameters
        ----------
        table : {"cells", "seeds", "runs", "curves"}, default "cells"
            One row per setting (with a numeric column per parameter), per setting
            and training seed (gym studies), per setting and run (bandit studies),
            or per setting, curve and x value.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ValueError
            For another ``table``.
        boltzmann_rl._optional.MissingExtra
            If pandas is not installed (the message names the extra).

        Examples
        --------
        >>> import tempfile
        >>> from boltzmann_rl.sweep import loads_study, run_study, Store, load_results
        >>> study = loads_study('''
        ... [study]
        ... name = "demo"
        ... [problem]
        ... type = "bandit"
        ... env = "gaussian"
        ... [budget]
        ... runs = 10
        ... steps = 5
        ... [[family]]
        ... name = "ε-greedy"
        ... policy = "egreedy(epsilon={epsilon})"
        ... grid = { epsilon = [0.1, 0.2] }
        ... ''')
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = run_study(study, d, backend="serial", report=False)
        ...     with Store(d, readonly=True) as store:
        ...         frame = load_results(store).to_frame()
        ...         runs = load_results(store).to_frame("runs")
        >>> frame["epsilon"].tolist()
        [0.1, 0.2]
        >>> runs.shape[0], int(runs["run"].max())  # 2 settings x 10 runs
        (20, 9)
        """
        from boltzmann_rl._optional import import_optional
        from boltzmann_rl.sweep.export import TABLES, export_tables

        if table not in TABLES:
            raise ValueError(f"table must be one of {', '.join(TABLES)}, actual value: {table!r}")
        pd = import_optional("pandas", "pandas", "SweepResults.to_frame()")
        return pd.DataFrame(export_tables(self.store)[table])

    @property
    def finished(self) -> int:
        """How many of the study's settings have a finished cell."""
        return sum(1 for m in self.members if m["cell_id"] in self._summaries)

    @property
    def failed(self) -> int:
        """How many of the study's settings have a cell that failed."""
        return sum(1 for m in self.members if self.failure(m["cell_id"]) is not None)


def load_results(store: Store, spec: dict[str, Any] | None = None) -> SweepResults:
    """The results view of a store, for the given study or the one last recorded.

    Raises
    ------
    ValueError
        If the store has no study recorded.

    Examples
    --------
    >>> import tempfile
    >>> from boltzmann_rl.sweep.store import Store
    >>> from boltzmann_rl.sweep.report import load_results
    >>> with tempfile.TemporaryDirectory() as d, Store(d) as s:
    ...     load_results(s)
    Traceback (most recent call last):
    ...
    ValueError: .../store.sqlite: no study recorded in this store
    """
    if spec is None:
        recorded = store.latest_study()
        if recorded is None:
            raise ValueError(f"{store.path}: no study recorded in this store")
        spec = recorded["spec"]
    return SweepResults(store, spec)


def _fmt(v: Any, ci: Any = None) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "n/a"
    text = f"{v:.3f}"
    if ci is not None and np.isfinite(ci):
        text += f" ± {ci:.3f}"
    return text


def best_rows(results: Any, metric: str | None = None) -> list[dict[str, Any]]:
    """The best finished setting of each family, with its 95 % CI half-width.

    A family with no finished setting but some that failed gets a row too, with
    setting ``"(none)"`` and value None, so that its failure is reported.

    Parameters
    ----------
    results : SweepResults (or the same interface)
    metric : str, optional
        Default the study's metric.

    Returns
    -------
    list of dict
        ``family``, ``setting`` (label), ``policy``, ``cell_id``, ``metric``,
        ``value``, ``ci``, ``settings`` (how many were compared), ``failed`` (how
        many of them failed), ``summary``; in family order.

    Examples
    --------
    >>> from boltzmann_rl.plotting.sweep import demo_results
    >>> from boltzmann_rl.sweep.report import best_rows
    >>> [(r["family"], r["setting"]) for r in best_rows(demo_results())][:2]
    [('Boltzmann', 'temperature=0.1'), ('annealed', 'exp(1.0, 0.01, 100)')]
    """
    from boltzmann_rl.plotting.sweep import best_members

    metric = metric or results.metric
    failure = getattr(results, "failure", lambda cell_id: None)
    best = {m["family"]: m for m in best_members(results, metric)}
    rows = []
    for fam in results.families:
        members = [x for x in results.members if x["family"] == fam["name"]]
        failed = sum(1 for x in members if failure(x["cell_id"]) is not None)
        m = best.get(fam["name"])
        if m is None and not failed:
            continue
        s = {} if m is None else results.summary(m["cell_id"]) or {}
        rows.append(
            {
                "family": fam["name"],
                "setting": "(none)" if m is None else m["label"],
                "policy": "" if m is None else m.get("policy", ""),
                "cell_id": None if m is None else m["cell_id"],
                "metric": metric,
                "value": s.get(metric),
                "ci": s.get(f"{metric}_ci"),
                "settings": len(members),
                "failed": failed,
                "summary": s,
            }
        )
    return rows


def _best_value(row: dict[str, Any]) -> str:
    if row["value"] is None and row.get("failed"):
        return f"failed: {row['failed']} of {row['settings']} settings"
    return _fmt(row["value"], row["ci"])


def format_table(rows: list[dict[str, Any]], extra: tuple[str, ...] = ()) -> str:
    """A plain-text table of :func:`best_rows` (what ``run`` prints at the end).

    Parameters
    ----------
    rows : list of dict
    extra : tuple of str
        More summary names to show as columns (read from ``row["summary"]``).

    Returns
    -------
    str

    Examples
    --------
    >>> from boltzmann_rl.sweep.report import format_table
    >>> row = {"family": "UCB", "setting": "c=2", "metric": "mean_reward", "value": 1.4,
    ...        "ci": 0.03, "summary": {"regret": 150.0, "regret_ci": 2.0}}
    >>> print(format_table([row], extra=("regret",)))
    family  best setting  mean_reward    regret
    ------  ------------  -------------  ---------------
    UCB     c=2           1.400 ± 0.030  150.000 ± 2.000
    """
    if not rows:
        return "(no finished cells)"
    metric = rows[0]["metric"]
    header = ["family", "best setting", metric, *extra]
    body = []
    for r in rows:
        cells = [r["family"], r["setting"], _best_value(r)]
        s = r.get("summary", {})
        cells += [_fmt(s.get(e), s.get(f"{e}_ci")) for e in extra]
        body.append(cells)
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)).rstrip() for b in body]
    return "\n".join(lines)


def _final_entropy(results: Any, cell_id: str | None) -> str:
    """The mean entropy at the last step of a finished cell; blank without a curve."""
    from boltzmann_rl.plotting.curves import format_entropy  # text only: no matplotlib

    curve = None if cell_id is None else results.curve(cell_id, "entropy")
    if curve is None or len(curve) == 0:
        return ""
    return format_entropy(float(curve[-1]))


def _markdown_table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
    return "\n".join(lines)


SMOOTHED_CURVES = ("reward", "optimal")
"""Per-step curves noisy enough to draw as a moving average (the others are sums or
already smooth). The window is :func:`smoothing_window` steps, said in the y label."""


def smoothing_window(steps: int) -> int:
    """The moving-average window of the noisy per-step curves: 1 % of the steps.

    Examples
    --------
    >>> from boltzmann_rl.sweep.report import smoothing_window
    >>> smoothing_window(1000), smoothing_window(50)
    (10, 1)
    """
    return max(1, int(steps) // 100)


def _boltzmann(policy: str) -> bool:
    return policy.startswith("boltzmann(") or policy == "boltzmann"


def temperature_figure(results: Any) -> Any | None:
    """The "what the temperature does" figure drawn for this study, or None.

    For a bandit study with a Boltzmann family: the probabilities of one draw of
    the study's own true action values (the environment's ``q*``, drawn with the
    study's seed, in the agent's units) over the study's range of fixed
    temperatures (each one marked), beside ε-greedy's when the study has an
    ε-greedy family. None when no Boltzmann family applies, or for gym studies,
    whose action values are learned, not given.

    Examples
    --------
    >>> from boltzmann_rl.plotting.sweep import demo_results
    >>> from boltzmann_rl.sweep.report import temperature_figure
    >>> temperature_figure(demo_results()) is None  # the demo names no environment
    True
    """
    spec = getattr(results, "study", None) or {}
    members = getattr(results, "members", [])
    if spec.get("kind") != "bandit" or not any(_boltzmann(m.get("policy", "")) for m in members):
        return None
    from boltzmann_rl.bandits import make_env
    from boltzmann_rl.core import as_generator
    from boltzmann_rl.plotting.temperature import plot_temperature_effect

    env = make_env(spec["env"], **(spec.get("env_args") or {}))
    raw = env.initial_values(as_generator(spec.get("seed", 0)), 1)[0]
    values = env.offset + env.scale * np.asarray(raw, dtype=np.float64)
    grid = sorted(
        float(m["params"]["temperature"])
        for m in members
        if _boltzmann(m.get("policy", ""))
        and isinstance(m.get("params", {}).get("temperature"), int | float)
        and float(m["params"]["temperature"]) > 0
    )
    temperatures: list[float] | None = None
    if len(grid) >= 2:
        temperatures = np.geomspace(grid[0] / 3.0, grid[-1] * 3.0, 200).tolist()
    egreedy = any(m.get("policy", "").startswith("egreedy") for m in members)
    from matplotlib.figure import Figure

    n = 2 if egreedy else 1
    fig = Figure(figsize=(4.6 * n + 0.6, 3.9), layout="constrained")
    axes = list(fig.subplots(1, n, sharey=True, squeeze=False)[0])
    order = np.argsort(-values, kind="stable")
    labels = [""] * len(values)
    for rank, i in enumerate(order):
        labels[i] = f"q*={values[i]:.2f}" + (" (best)" if rank == 0 else "")
    plot_temperature_effect(
        values.tolist(),
        temperatures=temperatures,
        labels=labels,
        marks=grid,
        ax=axes if n == 2 else axes[0],
    )
    fig.suptitle(
        f"{spec.get('name', '')}: one draw of the true values q* of {spec['env']} "
        f"(seed {spec.get('seed', 0)}, {len(values)} arms)",
        fontsize=10,
    )
    return fig


def write_figures(out: str | Path, results: SweepResults) -> list[Path]:
    """Draw the study's figures into ``out/figures`` as PNG and SVG; return the paths.

    The sweep figure (``sweep.*``), the learning curves of the best setting of
    each family (``curves.*``; the noisy per-step curves as a moving average of
    :func:`smoothing_window` steps) and, for bandit studies with a Boltzmann
    policy, the "what temperature does" figure (``temperature.*``, see
    :func:`temperature_figure`).

    Returns
    -------
    list of Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from boltzmann_rl.plotting.sweep import demo_results
    >>> from boltzmann_rl.sweep.report import write_figures
    >>> results = demo_results()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     sorted(p.name for p in write_figures(d, results))[:2]
    ['curves.png', 'curves.svg']
    """
    from boltzmann_rl.plotting.sweep import plot_learning_curves, plot_parameter_sweep

    folder = Path(out) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    figures = {}
    if any(results.summary(m["cell_id"]) is not None for m in results.members):
        figures["sweep"] = plot_parameter_sweep(results)
        members = None
        if getattr(results, "study", {}).get("curves") == "all":
            members = [m for m in results.members if results.summary(m["cell_id"]) is not None]
        steps = (getattr(results, "study", {}).get("budget") or {}).get("steps", 0)
        window = smoothing_window(steps)
        smooth = {name: window for name in SMOOTHED_CURVES if window > 1}
        figures["curves"] = plot_learning_curves(results, members, smooth=smooth)
        if smooth:
            figures["curves"].suptitle(
                f"{results.title}\n(reward and optimal-action curves: moving average of "
                f"{window} steps)",
                fontsize=10,
            )
        elif getattr(results, "title", None):
            figures["curves"].suptitle(results.title, fontsize=10)
    temperature = temperature_figure(results)
    if temperature is not None:
        figures["temperature"] = temperature
    from boltzmann_rl.plotting.curves import save_figure

    paths = []
    for name, fig in figures.items():
        paths += save_figure(fig, folder / name, FIGURE_FORMATS[:1])
        # The layout is settled by the first save; keep it instead of solving it again.
        fig.set_layout_engine("none")
        paths += save_figure(fig, folder / name, FIGURE_FORMATS[1:])
    return paths


_CAPTIONS = {
    "sweep": "Left: each family's summary against its parameter, one panel per parameter "
    "(the temperature T and ε on their own axes; a log axis when every value is > 0, else "
    "linear; 95% CI bands; × marks a setting that failed). Right: the settings without a "
    "numeric parameter (schedules, greedy, references) with their 95% CI; the dashed lines "
    "are the best setting of each sweep on the left, named in the legend.",
    "curves": "Learning curves (the best setting of each family, or every setting), with "
    "95% CI bands across runs (bandit) or seeds (gym).",
    "temperature": "What the temperature does, for this study: the Boltzmann probability "
    "of each arm for one draw of the environment's true values q* (the study's seed), from "
    "T near 0 (argmax) to large T (uniform), over the study's temperatures (marked on the "
    "axis); beside it ε-greedy's when the study has one.",
}


def budget_used(spec: dict[str, Any]) -> dict[str, Any]:
    """The budget keys a study's cells actually use (for the report's budget line).

    A study's budget holds every key of its problem type with its default (they are
    part of the cells' ids); a gym study on the batched tabular engine
    (``budget.runs``) computes the greedy policy's exact return on the model, so it
    reads no ``eval_episodes``.

    Examples
    --------
    >>> from boltzmann_rl.sweep.report import budget_used
    >>> budget = {"episodes": 200, "eval_episodes": 100, "eval_every": 100, "runs": 8}
    >>> budget_used({"kind": "gym", "budget": budget})
    {'episodes': 200, 'eval_every': 100, 'runs': 8}
    >>> budget_used({"kind": "bandit", "budget": {"runs": 10, "steps": 5}})
    {'runs': 10, 'steps': 5}
    """
    budget = dict(spec.get("budget") or {})
    if spec.get("kind") == "gym" and "runs" in budget:
        budget.pop("eval_episodes", None)
    return budget


def _caption(name: str, spec: dict[str, Any]) -> str:
    text = _CAPTIONS.get(name, "")
    budget = spec.get("budget") or {}
    if name == "curves" and spec.get("kind") == "gym" and "runs" in budget:
        text += (
            " Training return (a moving average of 100 episodes, exploring) beside the "
            "exact expected return of the greedy policy, computed on the model every "
            f"{budget.get('eval_every')} episodes (mean over runs): the final one is what "
            "ranks the settings, so read the best setting on that panel, not on the "
            "training one."
        )
    elif name == "curves" and spec.get("kind") == "gym":
        text += (
            " Training return (a moving average of 100 episodes, exploring) beside the "
            f"greedy evaluation return measured every {budget.get('eval_every')} episodes "
            f"({budget.get('eval_episodes')} episodes each; mean over seeds): the final "
            "greedy evaluation is what ranks the settings, so read the best setting on the "
            "evaluation panel, not on the training one."
        )
    elif name == "curves" and smoothing_window(budget.get("steps", 0)) > 1:
        text += (
            " The reward and optimal-action curves are moving averages of "
            f"{smoothing_window(budget['steps'])} steps; optimal is a fraction (0 to 1), "
            "as in the tables."
        )
    return text


def write_report(out: str | Path, results: SweepResults, *, figures: bool = True) -> Path:
    """Write ``out/report.md``: the summary table, all settings, and the figures.

    Parameters
    ----------
    out : str or Path
        The output folder.
    results : SweepResults
        From :func:`load_results`.
    figures : bool, default True
        Also (re)draw the figures.

    Returns
    -------
    Path
        The report file.

    Examples
    --------
    >>> import tempfile
    >>> from boltzmann_rl.sweep import loads_study, run_study, Store, load_results
    >>> from boltzmann_rl.sweep.report import write_report
    >>> study = loads_study('''
    ... [study]
    ... name = "demo"
    ... [problem]
    ... type = "bandit"
    ... env = "gaussian"
    ... [budget]
    ... runs = 10
    ... steps = 5
    ... [[family]]
    ... name = "greedy"
    ... policy = "greedy"
    ... ''')
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = run_study(study, d, backend="serial", report=False)
    ...     with Store(d, readonly=True) as store:
    ...         path = write_report(d, load_results(store), figures=False)
    ...     path.read_text().splitlines()[0]
    '# demo'
    """
    out = Path(out)
    spec = results.study
    figure_paths = write_figures(out, results) if figures else []
    rows = best_rows(results)
    metric_info = results.metrics.get(results.metric, {"label": results.metric, "higher": True})
    others = [k for k in results.metrics if k != results.metric]
    lines = [f"# {spec['name']}", ""]
    if spec.get("description"):
        lines += [spec["description"].strip(), ""]
    base = spec.get("env_args") or {}
    varied = sorted(
        {k for m in results.members for k, v in m.get("env_args", base).items() if base.get(k) != v}
    )
    lines += [
        f"- problem: {spec['kind']} `{spec['env']}` {base or ''}".rstrip()
        + (f"; varied by the families: {', '.join(varied)}" if varied else ""),
        f"- budget: {', '.join(f'{k}={v}' for k, v in budget_used(spec).items())}; base seed "
        f"{spec['seed']}",
        f"- settings finished: {results.finished} of {len(results.members)}"
        + (f"; failed: {results.failed}" if results.failed else ""),
        f"- ranked by `{results.metric}` ({metric_info['label']}, "
        f"{'higher' if metric_info['higher'] else 'lower'} is better); ± is the 95% CI "
        "half-width",
        "",
        "## Best setting per family",
        "",
    ]
    # bandit studies: the policy's entropy at the last step, or why it has none
    entropy = ["final entropy (nats)"] if "entropy" in results.curves else []
    header = ["family", "best setting", results.metric, *others, *entropy, "settings"]
    body = []
    for r in rows:
        s = r["summary"]
        body.append(
            [r["family"], f"`{r['setting']}`", f"**{_best_value(r)}**"]
            + [_fmt(s.get(k), s.get(f"{k}_ci")) for k in others]
            + [_final_entropy(results, r["cell_id"]) for _ in entropy]
            + [str(r["settings"])]
        )
    lines += [_markdown_table(header, body) if body else "(no finished cells yet)", ""]
    if figure_paths:
        lines += ["## Figures", ""]
        for p in figure_paths:
            if p.suffix == ".png":
                lines += [
                    f"![{p.stem}](figures/{p.name})",
                    "",
                    f"{_caption(p.stem, spec)} ([SVG](figures/{p.stem}.svg))",
                    "",
                ]
    lines += ["## All settings", ""]
    header = ["family", "setting", results.metric, *others, *entropy, "cell"]
    body = []
    for m in results.members:
        s = results.summary(m["cell_id"])
        if s is None:
            error = results.failure(m["cell_id"])
            state = "not run" if error is None else f"failed: {error}"
            blanks = ["" for _ in [*others, *entropy]]
            body.append([m["family"], f"`{m['label']}`", state, *blanks, m["cell_id"]])
            continue
        body.append(
            [
                m["family"],
                f"`{m['label']}`",
                _fmt(s.get(results.metric), s.get(f"{results.metric}_ci")),
            ]
            + [_fmt(s.get(k), s.get(f"{k}_ci")) for k in others]
            + [_final_entropy(results, m["cell_id"]) for _ in entropy]
            + [f"`{m['cell_id']}`"]
        )
    lines += [_markdown_table(header, body), ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
