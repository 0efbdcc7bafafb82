"""Figures from results; nothing here runs a simulation.

Every function uses matplotlib's object API (no ``pyplot`` global state), takes an
optional ``ax``, returns the Figure and never calls ``show``. matplotlib is imported
only when a figure is made.

============================  ====================================================
module                        figures
============================  ====================================================
:mod:`.curves`                bandit learning curves: a metric over steps, CI bands
:mod:`.sweep`                 parameter sweeps and their learning curves
:mod:`.temperature`           how the temperature shapes a Boltzmann policy
============================  ====================================================

Examples
--------
>>> import tempfile
>>> from boltzmann_rl.bandits import simulate
>>> from boltzmann_rl.plotting import plot_result, save_figure
>>> result = simulate("gaussian", ["greedy", "boltzmann(temperature=0.1)"], runs=20, steps=50)
>>> fig = plot_result(result)  # reward and optimal action over steps, with 95 % CI bands
>>> [ax.get_ylabel() for ax in fig.axes]
['Average reward', 'Fraction of optimal actions']
>>> with tempfile.TemporaryDirectory() as d:
...     [path.name for path in save_figure(fig, f"{d}/bandit")]
['bandit.png', 'bandit.svg']
"""

from boltzmann_rl.plotting.curves import METRIC_LABELS, plot_metric, plot_result, save_figure

__all__ = ["METRIC_LABELS", "plot_metric", "plot_result", "save_figure"]
