"""The bandit agents by name: one table that the command line, study files and Python read.

Each entry is an :class:`AgentEntry`: the name used in study files
(``[agent] name = "gradient"``) and on the command line (``--agent gradient``), the
class, whether it takes a policy, and its parameters with their types, defaults and
one-line docs. Defaults are read from the class's ``__init__`` signature, so they
cannot drift from the code; the types say how a text (a command-line word, a schedule
in a study file) becomes a value.

A user's own agent joins the table with :func:`register_bandit_agent`, and can then be
named in a study file like a built-in one (the study must run in a process that
registered it: the serial backend, or the process backend, whose workers are forked
with the registrations in place where fork is available).

Examples
--------
>>> from boltzmann_rl.bandits.registry import BANDIT_AGENTS, make_bandit_agent
>>> list(BANDIT_AGENTS)
['action_value', 'gradient', 'exp3', 'gaussian_thompson', 'bernoulli_thompson']
>>> [(p.name, p.default) for p in BANDIT_AGENTS["gradient"].params]
[('step_size', 0.1), ('baseline', True)]
>>> make_bandit_agent("exp3", gamma=0.2)
EXP3(gamma=0.2)
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BANDIT_AGENTS",
    "AgentEntry",
    "AgentParam",
    "bandit_agent",
    "make_bandit_agent",
    "register_bandit_agent",
]

PARAM_TYPES = ("float", "int", "bool", "schedule")
"""The parameter types: a number, an integer, True/False, or a number, a schedule
text such as ``inverse(1.0, 1)`` or ``none`` (for ``None``)."""


def _parse_bool(text: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    value = words.get(text.strip().lower())
    if value is None:
        raise ValueError(f"expected true or false, actual value: {text!r}")
    return value


def _parse_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, actual value: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, actual value: {text!r}")
    return value


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected an integer, actual value: {text!r}") from None


def _parse_schedule(text: str) -> Any:
    if text.strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        from boltzmann_rl.spec import parse_schedule

        return parse_schedule(text)


_PARSERS: dict[str, Callable[[str], Any]] = {
    "float": _parse_float,
    "int": _parse_int,
    "bool": _parse_bool,
    "schedule": _parse_schedule,
}


@dataclass(frozen=True)
class AgentParam:
    """One parameter of a bandit agent.

    Attributes
    ----------
    name : str
        The keyword of the agent's ``__init__`` (and of study files).
    type : {"float", "int", "bool", "schedule"}
        How a text becomes a value (:meth:`parse`).
    default : object
        The ``__init__`` default.
    doc : str
        One line: what it is.

    Examples
    --------
    >>> from boltzmann_rl.bandits.registry import AgentParam
    >>> p = AgentParam("step_size", "schedule", None, "α")
    >>> p.parse("0.1"), p.parse("none"), p.parse("inverse(1, 1)")
    (0.1, None, inverse(1.0, 1.0))
    >>> p.option
    '--step-size'
    """

    name: str
    type: str
    default: Any
    doc: str

    def __post_init__(self) -> None:
        if self.type not in _PARSERS:
            raise ValueError(
                f"parameter {self.name!r}: type must be one of {', '.join(PARAM_TYPES)}, "
                f"actual value: {self.type!r}"
            )

    @property
    def option(self) -> str:
        """The command-line option, ``--step-size`` for ``step_size``."""
        return "--" + self.name.replace("_", "-")

    def parse(self, text: str) -> Any:
        """The value of a text (a command-line word); ValueError naming it if it is not one."""
        return _PARSERS[self.type](text)

    def convert(self, value: Any) -> Any:
        """A value from a study file or Python: a schedule text becomes a schedule."""
        if self.type == "schedule" and isinstance(value, str):
            return _parse_schedule(value)
        return value


@dataclass(frozen=True)
class AgentEntry:
    """A bandit agent in the registry: a name, a class, its parameters.

    Attributes
    ----------
    name : str
    factory : callable
        The class (or function) that builds the agent from keyword arguments
        (and the policy first, when ``takes_policy``).
    takes_policy : bool
        Whether the agent picks its actions through a policy (``action_value``).
    params : tuple of AgentParam
    doc : str

    Examples
    --------
    >>> from boltzmann_rl.bandits.registry import bandit_agent
    >>> entry = bandit_agent("action_value")
    >>> entry.takes_policy, [p.name for p in entry.params]
    (True, ['step_size', 'initial'])
    >>> entry.make("greedy", initial=5.0)
    ActionValueAgent(policy=greedy, step_size=None, initial=5.0)
    """

    name: str
    factory: Callable[..., Any]
    takes_policy: bool
    params: tuple[AgentParam, ...]
    doc: str

    def param(self, name: str) -> AgentParam:
        """The parameter ``name``; ValueError listing the parameters if there is none."""
        for p in self.params:
            if p.name == name:
                return p
        raise ValueError(
            f"unknown argument of agent {self.name!r}: {name!r}; allowed: "
            + (", ".join(p.name for p in self.params) or "(none)")
        )

    def make(self, policy: Any = None, **kwargs: Any) -> Any:
        """Build the agent; ``policy`` only (and then required) when it takes one."""
        args = {k: self.param(k).convert(v) for k, v in kwargs.items()}
        if self.takes_policy:
            if policy is None or policy == "":
                raise ValueError(f"agent {self.name!r} needs a policy")
            return self.factory(policy, **args)
        if policy is not None and policy != "":
            raise ValueError(
                f"agent {self.name!r} chooses its actions itself and takes no policy, "
                f"actual value: {policy!r}"
            )
        return self.factory(**args)


BANDIT_AGENTS: dict[str, AgentEntry] = {}
"""The bandit agents by name, in the order they were registered."""


def _type_of(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    return "float"


def register_bandit_agent(
    name: str,
    factory: Callable[..., Any],
    *,
    takes_policy: bool = False,
    params: Mapping[str, tuple[str, str]] | None = None,
    doc: str | None = None,
) -> AgentEntry:
    """Add an agent to :data:`BANDIT_AGENTS` (and so to study files and the command line).

    Parameters
    ----------
    name : str
        The name in study files, e.g. ``"my_agent"`` (letters, digits, ``_``).
    factory : callable
        Builds the agent (an object with ``reset``, ``select``, ``update`` and
        ``entropy``, see :class:`~boltzmann_rl.bandits.BanditAgent`) from keyword
        arguments, with the policy first when ``takes_policy``.
    takes_policy : bool, default False
    params : mapping of str to (type, doc), optional
        Each keyword parameter of ``factory`` with its type (``"float"``, ``"int"``,
        ``"bool"``, ``"schedule"``) and a one-line doc. Default: every keyword
        parameter of ``factory``, typed by its default. Defaults always come from
        ``factory``'s signature.
    doc : str, optional
        One line; default the first line of ``factory``'s docstring.

    Returns
    -------
    AgentEntry

    Raises
    ------
    ValueError
        A name already taken or not an identifier, a parameter ``factory`` does not
        have, or one without a default.

    Examples
    --------
    >>> from boltzmann_rl.bandits import GradientBandit
    >>> from boltzmann_rl.bandits.registry import BANDIT_AGENTS, register_bandit_agent
    >>> def plain_gradient(step_size=0.2):
    ...     "The gradient bandit without a baseline."
    ...     return GradientBandit(step_size, baseline=False)
    >>> entry = register_bandit_agent("plain_gradient", plain_gradient)
    >>> entry.params[0]
    AgentParam(name='step_size', type='float', default=0.2, doc='step_size')
    >>> del BANDIT_AGENTS["plain_gradient"]
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"an agent name must be an identifier, actual value: {name!r}")
    if name in BANDIT_AGENTS:
        raise ValueError(f"bandit agent {name!r} is already registered")
    signature = inspect.signature(factory)
    keywords = {
        k: p
        for i, (k, p) in enumerate(signature.parameters.items())
        if not (takes_policy and i == 0) and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    declared = dict(params) if params is not None else {}
    for k in declared:
        if k not in keywords:
            raise ValueError(
                f"bandit agent {name!r}: {factory.__name__} has no parameter {k!r}; "
                f"its parameters: {', '.join(keywords) or '(none)'}"
            )
    entries = []
    for k, p in keywords.items():
        if p.default is p.empty:
            raise ValueError(
                f"bandit agent {name!r}: parameter {k!r} of {factory.__name__} needs a default"
            )
        kind, text = declared.get(k, (_type_of(p.default), k))
        entries.append(AgentParam(k, kind, p.default, text))
    if doc is None:
        doc = (inspect.getdoc(factory) or name).splitlines()[0]
    entry = AgentEntry(name, factory, takes_policy, tuple(entries), doc)
    BANDIT_AGENTS[name] = entry
    return entry


def bandit_agent(name: str) -> AgentEntry:
    """The registry entry ``name``; ValueError listing the known agents if there is none.

    Examples
    --------
    >>> from boltzmann_rl.bandits.registry import bandit_agent
    >>> bandit_agent("exp3").doc
    'EXP3 (Auer, Cesa-Bianchi, Freund and Schapire, 2002) for rewards in ``[0, 1]``.'
    >>> bandit_agent("thompson")
    Traceback (most recent call last):
    ...
    ValueError: unknown bandit agent 'thompson'; known agents: action_value, gradient, exp3, \
gaussian_thompson, bernoulli_thompson
    """
    entry = BANDIT_AGENTS.get(name)
    if entry is None:
        raise ValueError(f"unknown bandit agent {name!r}; known agents: {', '.join(BANDIT_AGENTS)}")
    return entry


def make_bandit_agent(name: str, policy: Any = None, **kwargs: Any) -> Any:
    """Build the registered agent ``name`` with ``kwargs`` (and ``policy`` if it takes one).

    Examples
    --------
    >>> from boltzmann_rl.bandits.registry import make_bandit_agent
    >>> make_bandit_agent("action_value", "egreedy(epsilon=0.1)", step_size="inverse(1, 1)")
    ActionValueAgent(policy=egreedy(epsilon=0.1), step_size=inverse(1.0, 1.0), initial=0.0)
    """
    return bandit_agent(name).make(policy, **kwargs)


# The built-in agents register themselves next to their classes, in
# boltzmann_rl.bandits.agents (which imports this module first): a new built-in agent
# is its class, its entry and its test.
import boltzmann_rl.bandits.agents  # noqa: E402, F401
