"""boltzmann_rl: action selection for reinforcement learning on a stable softmax core.

The public API is flat: everything a user needs is importable from here.

>>> import boltzmann_rl as br
>>> br.softmax([0.0, 1.0], temperature=0).tolist()
[0.0, 1.0]
"""

from boltzmann_rl._version import __version__
from boltzmann_rl.core import (
    as_generator,
    log_softmax,
    logsumexp,
    softmax,
    softmax_entropy,
    softmax_sample,
)

__all__ = [
    "__version__",
    "as_generator",
    "log_softmax",
    "logsumexp",
    "softmax",
    "softmax_entropy",
    "softmax_sample",
]
