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

from boltzmann_rl._version import __version__
from boltzmann_rl.alternatives import (
    Entmax15,
    Mellowmax,
    Normalize,
    SoftmaxBase,
    Sparsemax,
    boltzmann_weighted_average,
    mellowmax,
)
from boltzmann_rl.bandits import simulate
from boltzmann_rl.core import (
    as_generator,
    log_softmax,
    logsumexp,
    softmax,
    softmax_entropy,
    softmax_sample,
)
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
    # The value backups live in boltzmann_rl.gym.backups; importing the gym world
    # (and gymnasium) only when one is asked for keeps ``import boltzmann_rl`` light.
    if name in ("soft_backup", "mellowmax_backup"):
        from boltzmann_rl.gym import backups

        return getattr(backups, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
