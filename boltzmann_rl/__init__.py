"""boltzmann_rl: action selection for reinforcement learning on a stable softmax core.

The public API is flat: everything a user needs is importable from here. The
subpackages :mod:`boltzmann_rl.bandits`, :mod:`boltzmann_rl.gym` and
:mod:`boltzmann_rl.sweep` hold the two worlds and the experiment runner.

>>> import boltzmann_rl as br
>>> br.softmax([0.0, 1.0], temperature=0).tolist()
[0.0, 1.0]
>>> br.parse_policy("boltzmann(temperature=exp(1.0, 0.05, 1000))")
boltzmann(temperature=exp(1.0, 0.05, 1000))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from boltzmann_rl._version import __version__

# Where each public name lives. Nothing below is imported with the package, so
# ``import boltzmann_rl.core`` loads the core and the numeric floor only (and
# ``import boltzmann_rl`` no bandit engine, gym or gymnasium); a name is imported on
# first use (PEP 562) and then kept in the module.
_HOMES: dict[str, tuple[str, ...]] = {
    "boltzmann_rl.alternatives": (
        "Entmax15",
        "Mellowmax",
        "Normalize",
        "SoftmaxBase",
        "Sparsemax",
        "boltzmann_weighted_average",
        "mellowmax",
    ),
    "boltzmann_rl.bandits": ("simulate",),
    "boltzmann_rl.core": (
        "as_generator",
        "log_softmax",
        "logsumexp",
        "softmax",
        "softmax_entropy",
        "softmax_sample",
    ),
    "boltzmann_rl.gym.backups": ("mellowmax_backup", "soft_backup"),
    "boltzmann_rl.policies": (
        "UCB",
        "Boltzmann",
        "BoltzmannGumbel",
        "EpsilonGreedy",
        "Greedy",
        "Policy",
        "RowPolicy",
    ),
    "boltzmann_rl.schedules": (
        "Constant",
        "Exponential",
        "InverseTime",
        "Linear",
        "Logarithmic",
        "Schedule",
    ),
    "boltzmann_rl.spec": ("parse_policy", "parse_schedule"),
    "boltzmann_rl.stats": ("mean_ci",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

if TYPE_CHECKING:
    from boltzmann_rl.alternatives import (
        Entmax15,
        Mellowmax,
        Normalize,
        SoftmaxBase,
        Sparsemax,
        boltzmann_weighted_average,
        mellowmax,
    )
    from boltzmann_rl.bandits.simulate import simulate
    from boltzmann_rl.core import (
        as_generator,
        log_softmax,
        logsumexp,
        softmax,
        softmax_entropy,
        softmax_sample,
    )
    from boltzmann_rl.gym.backups import mellowmax_backup, soft_backup
    from boltzmann_rl.policies import (
        UCB,
        Boltzmann,
        BoltzmannGumbel,
        EpsilonGreedy,
        Greedy,
        Policy,
        RowPolicy,
    )
    from boltzmann_rl.schedules import (
        Constant,
        Exponential,
        InverseTime,
        Linear,
        Logarithmic,
        Schedule,
    )
    from boltzmann_rl.spec import parse_policy, parse_schedule
    from boltzmann_rl.stats import mean_ci

__all__ = [
    "UCB",
    "Boltzmann",
    "BoltzmannGumbel",
    "Constant",
    "Entmax15",
    "EpsilonGreedy",
    "Exponential",
    "Greedy",
    "InverseTime",
    "Linear",
    "Logarithmic",
    "Mellowmax",
    "Normalize",
    "Policy",
    "RowPolicy",
    "Schedule",
    "SoftmaxBase",
    "Sparsemax",
    "__version__",
    "as_generator",
    "boltzmann_weighted_average",
    "log_softmax",
    "logsumexp",
    "mean_ci",
    "mellowmax",
    "mellowmax_backup",
    "parse_policy",
    "parse_schedule",
    "simulate",
    "soft_backup",
    "softmax",
    "softmax_entropy",
    "softmax_sample",
]


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
