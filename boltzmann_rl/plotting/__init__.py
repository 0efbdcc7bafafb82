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
>>> from boltzmann_rl.plotting import plot_metric, plot_result, save_figure
>>> callable(plot_metric) and callable(plot_result) and callable(save_figure)
True
"""

from boltzmann_rl.plotting.curves import METRIC_LABELS, plot_metric, plot_result, save_figure

__all__ = ["METRIC_LABELS", "plot_metric", "plot_result", "save_figure"]
