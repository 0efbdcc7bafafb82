"""The text form of schedules and policies: parsed, never evaluated.

Schedules and policies are written as short call expressions, for example on the
command line, in a sweep file, or as the stable id of an experiment cell::

    boltzmann(temperature=exp(1.0, 0.01, 1000))
    egreedy(epsilon=linear(1.0, 0.05, 500))
    normalize(kind=abs)
    greedy

The text is tokenized and parsed by a small recursive-descent parser; nothing is
ever passed to ``eval``, so ``__import__('os')`` is a syntax error, not a call.

Grammar (whitespace is free everywhere)::

    expr    := NUMBER | IDENT | call
    call    := IDENT [ '(' [ arg (',' arg)* ] ')' ]
    arg     := expr | IDENT '=' expr
    NUMBER  := ['+' | '-'] (python int or float literal | 'inf' | 'nan')
    IDENT   := [A-Za-z_][A-Za-z0-9_]*

Python number literals include ``1_000``, ``.5``, ``1.``, ``2.5e-3``. A literal
without ``.`` or exponent is an ``int``, anything else a ``float``. Positional
arguments come before keyword arguments and a keyword appears at most once.

Numbers out of range are refused, never rounded to a limit: a literal whose
magnitude is beyond the largest float (about ``1.8e308``: ``1e999``, a 400-digit
integer) raises ``ValueError`` naming it (write ``inf`` for an infinite value), and
so does a nonzero literal too small to be told from 0 (below about ``5e-324``:
``1e-999``; write ``0``). Subnormal values such as ``1e-310`` are kept. A text
longer than :data:`MAX_TEXT` characters is refused before it is read; parsing is
linear in the length of the text.

Every identifier, bare or called, parses to a :class:`Call`; the builders decide
what it means. Inside a policy's arguments a number stays a number, a call *with
arguments* must name a schedule and becomes that schedule, and a bare identifier
(a call without arguments) becomes a plain string, so ``normalize(kind=abs)``
passes ``kind="abs"``. Every schedule takes at least one argument, so no bare
identifier is ever a schedule.

=========================  ==============================================================
name                       purpose
=========================  ==============================================================
:class:`Call`              a parsed call: name, positional and keyword arguments
:func:`parse`              text -> ``Call``, ``int`` or ``float``
:data:`SCHEDULES`          text names -> schedule classes (table below)
:func:`build_schedule`     parsed node (or a number) -> schedule
:func:`parse_schedule`     text -> schedule
:func:`policy_registry`    text names -> policy classes (the one registry, copied)
:func:`build_policy`       parsed node -> policy
:func:`parse_policy`       text -> policy
:func:`canonical`          text -> canonical spelling (``repr`` of the built object)
=========================  ==============================================================

============  ================================================  =====================
text name     class                                             example
============  ================================================  =====================
``constant``  :class:`~boltzmann_rl.schedules.Constant`         ``constant(inf)``
``linear``    :class:`~boltzmann_rl.schedules.Linear`           ``linear(1, 0.05, 500)``
``exp``       :class:`~boltzmann_rl.schedules.Exponential`      ``exp(1, 0.01, 1e3)``
``inverse``   :class:`~boltzmann_rl.schedules.InverseTime`      ``inverse(1, t0=100)``
``log``       :class:`~boltzmann_rl.schedules.Logarithmic`      ``log(2)``
============  ================================================  =====================

Errors are ``ValueError`` quoting the text and pointing at the column (counted
from 1) of the problem.

Examples
--------
>>> from boltzmann_rl.spec import canonical, parse, parse_schedule
>>> node = parse("boltzmann(temperature = exp(1, 0.01, 1000))")
>>> node.name, node.kwargs[0][0]
('boltzmann', 'temperature')
>>> node.kwargs[0][1]
Call(name='exp', args=(1, 0.01, 1000), kwargs=())
>>> parse_schedule("linear(1, 0.05, 500)")(250)
0.525
>>> canonical("linear( 1 , 5e-2, steps = 500 )")
'linear(1.0, 0.05, 500)'
"""

from __future__ import annotations

import inspect
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

from boltzmann_rl.schedules import (
    Constant,
    Exponential,
    InverseTime,
    Linear,
    Logarithmic,
    Schedule,
    as_schedule,
    format_value,
)

__all__ = [
    "SCHEDULES",
    "Call",
    "build_policy",
    "build_schedule",
    "canonical",
    "parse",
    "parse_policy",
    "parse_schedule",
    "policy_registry",
]

Node: TypeAlias = "Call | float | int | str"

SCHEDULES: dict[str, type] = {
    "constant": Constant,
    "linear": Linear,
    "exp": Exponential,
    "inverse": InverseTime,
    "log": Logarithmic,
}
"""Text names of the schedules and their classes."""

_MAX_DEPTH = 64
MAX_TEXT = 10_000
"""The longest text :func:`parse` reads, in characters (policies are a line long)."""
_FLOAT_MAX_DIGITS = 309  # an integer of more digits is beyond the largest float
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIGITS = r"[0-9](?:_?[0-9])*"
_NUMBER = re.compile(rf"(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?")
_NUMBER_WORDS = {"inf": float("inf"), "nan": float("nan")}
_FLOAT_MAX_INT = int(np.finfo(np.float64).max)


def _short(word: str) -> str:
    """A number literal for a message: long ones shortened, with their digit count."""
    if len(word) <= 40:
        return repr(word)
    return f"'{word[:12]}...{word[-6:]}' ({len(word)} characters)"


# --------------------------------------------------------------------------- nodes


@dataclass(frozen=True)
class Call:
    """A parsed call ``name(arg, ..., key=value, ...)``; a bare ``name`` has no arguments.

    ``str(call)`` is the text form again, with normalized spacing.

    Parameters
    ----------
    name : str
        The identifier before the parentheses.
    args : tuple
        Positional arguments: numbers and nested :class:`Call` nodes.
    kwargs : tuple of (str, value) pairs
        Keyword arguments in the order written (a dict is accepted and converted).

    Examples
    --------
    >>> from boltzmann_rl.spec import Call, parse
    >>> parse("greedy") == Call("greedy")
    True
    >>> node = parse("linear(1, 0.1, steps=10)")
    >>> node.name, node.args, node.kwargs
    ('linear', (1, 0.1), (('steps', 10),))
    >>> str(node)
    'linear(1, 0.1, steps=10)'
    """

    name: str
    args: tuple[Node, ...] = ()
    kwargs: tuple[tuple[str, Node], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(self.args))
        kwargs = self.kwargs.items() if isinstance(self.kwargs, Mapping) else self.kwargs
        object.__setattr__(self, "kwargs", tuple((str(k), v) for k, v in kwargs))

    def __str__(self) -> str:
        if not self.args and not self.kwargs:
            return self.name
        parts = [_unparse(a) for a in self.args]
        parts += [f"{k}={_unparse(v)}" for k, v in self.kwargs]
        return f"{self.name}({', '.join(parts)})"


def _unparse(node: Any) -> str:
    if isinstance(node, Call | str):
        return str(node)
    return format_value(node)


# --------------------------------------------------------------------------- parser


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "end" or the punctuation character itself
    pos: int
    text: str
    value: float | int | None = None

    def describe(self) -> str:
        if self.kind == "end":
            return "end of text"
        if self.kind in ("number", "name"):
            return f"{self.kind} {self.text!r}"
        return repr(self.text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.open: list[int] = []  # columns of the '(' not closed yet
        self.tokens = self._tokenize()
        self.i = 0

    def error(self, pos: int, what: str, hint: str | None = None) -> ValueError:
        shown = self.text if len(self.text) <= 200 else self.text[:200] + "..."
        message = f"{what} at column {pos + 1} in {shown!r}"
        if hint:
            message += f"; {hint}"
        if "\n" not in self.text and len(self.text) <= 200:
            message += f"\n    {self.text}\n    {' ' * pos}^"
        return ValueError(message)

    def _tokenize(self) -> list[_Token]:
        text, n, i = self.text, len(self.text), 0
        tokens: list[_Token] = []
        while i < n:
            c = text[i]
            if c.isspace():
                i += 1
            elif c in "(),=+-":
                tokens.append(_Token(c, i, c))
                i += 1
            elif m := _IDENT.match(text, i):
                word = m.group()
                if word in _NUMBER_WORDS:
                    tokens.append(_Token("number", i, word, _NUMBER_WORDS[word]))
                else:
                    tokens.append(_Token("name", i, word))
                i = m.end()
            elif m := _NUMBER.match(text, i):
                end = m.end()
                if end < n and (text[end].isalnum() or text[end] in "_."):
                    while end < n and (text[end].isalnum() or text[end] in "_.+-"):
                        end += 1
                    raise self.error(i, f"malformed number {text[i:end]!r}")
                word = m.group()
                tokens.append(_Token("number", i, word, self._number(word, i)))
                i = end
            else:
                raise self.error(
                    i, f"unexpected character {c!r}", "expected a number, a name, or one of ( ) , ="
                )
        tokens.append(_Token("end", n, ""))
        return tokens

    def _number(self, word: str, pos: int) -> float | int:
        """The value of a number literal, refusing one out of the float range."""
        if not any(ch in word for ch in ".eE"):
            digits = word.replace("_", "").lstrip("0")
            if len(digits) <= _FLOAT_MAX_DIGITS:
                value = int(word)
                if value <= _FLOAT_MAX_INT:
                    return value
            raise self.error(
                pos,
                f"number {_short(word)} is out of range (beyond the largest float, about 1.8e308)",
                "write inf for an infinite value",
            )
        number = float(word)
        if number == float("inf"):
            raise self.error(
                pos,
                f"number {_short(word)} is out of range (beyond the largest float, about 1.8e308)",
                "write inf for an infinite value",
            )
        if number == 0.0 and any(ch in "123456789" for ch in word.split("e")[0].split("E")[0]):
            raise self.error(
                pos,
                f"number {_short(word)} is too small to be told from 0 (below about 5e-324)",
                "write 0 for zero",
            )
        return number

    def peek(self, k: int = 0) -> _Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self) -> _Token:
        tok = self.peek()
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def unexpected(self, tok: _Token, hint: str) -> ValueError:
        if tok.kind == "end" and self.open:
            return self.error(self.open[-1], "unbalanced parentheses: '(' is never closed")
        return self.error(tok.pos, f"unexpected {tok.describe()}", hint)

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ValueError(
                f"empty text {self.text!r}: expected a schedule or a policy, "
                "for example 'linear(1.0, 0.05, 500)' or 'boltzmann(temperature=0.5)'"
            )
        node = self.expr(0)
        tok = self.peek()
        if tok.kind == ")":
            raise self.error(tok.pos, "unbalanced parentheses: unexpected ')'")
        if tok.kind != "end":
            raise self.unexpected(tok, "expected the end of the text")
        return node

    def expr(self, depth: int) -> Node:
        tok = self.next()
        if tok.kind in ("+", "-"):
            num = self.next()
            if num.kind != "number":
                raise self.unexpected(num, f"expected a number after {tok.kind!r}")
            assert num.value is not None
            return -num.value if tok.kind == "-" else num.value
        if tok.kind == "number":
            assert tok.value is not None
            return tok.value
        if tok.kind == "name":
            if self.peek().kind == "(":
                return self.call(tok, depth)
            return Call(tok.text)
        raise self.unexpected(tok, "expected a number or a name")

    def call(self, name: _Token, depth: int) -> Call:
        paren = self.next()
        if depth >= _MAX_DEPTH:
            raise self.error(paren.pos, f"calls nested deeper than {_MAX_DEPTH} levels")
        self.open.append(paren.pos)
        args: list[Node] = []
        kwargs: list[tuple[str, Node]] = []
        seen: set[str] = set()
        if self.peek().kind == ")":
            self.next()
        else:
            while True:
                tok = self.peek()
                if tok.kind == "name" and self.peek(1).kind == "=":
                    if tok.text in seen:
                        raise self.error(tok.pos, f"duplicate keyword {tok.text!r}")
                    seen.add(tok.text)
                    self.i += 2
                    kwargs.append((tok.text, self.expr(depth + 1)))
                else:
                    if kwargs and tok.kind in ("name", "number", "+", "-"):
                        raise self.error(tok.pos, "positional argument after keyword argument")
                    args.append(self.expr(depth + 1))
                sep = self.next()
                if sep.kind == ")":
                    break
                if sep.kind != ",":
                    raise self.unexpected(sep, "expected ',' or ')'")
        self.open.pop()
        return Call(name.text, tuple(args), tuple(kwargs))


def parse(text: str) -> Node:
    """Parse the text form into a tree of :class:`Call` nodes and numbers.

    Nothing is evaluated and no name is looked up: ``parse`` only checks the
    grammar (see the module docstring). Every identifier becomes a :class:`Call`,
    bare identifiers one without arguments.

    Parameters
    ----------
    text : str
        For example ``"boltzmann(temperature=linear(1, 0.1, 100))"``.

    Returns
    -------
    Call, int or float
        A number for a bare number (``"0.5"``, ``"-inf"``), otherwise a
        :class:`Call`.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        If ``text`` is empty or malformed: the message quotes the text and gives
        the column of the problem (unexpected characters or tokens, unbalanced
        parentheses, trailing text, duplicate keywords, a positional argument after
        a keyword argument, malformed numbers, numbers out of the float range), or
        if it is longer than :data:`MAX_TEXT`.

    Examples
    --------
    >>> from boltzmann_rl.spec import parse
    >>> parse("  -2.5e-1 ")
    -0.25
    >>> parse("inverse(1, t0=100)")
    Call(name='inverse', args=(1,), kwargs=(('t0', 100),))
    >>> parse("normalize(kind=abs)")
    Call(name='normalize', args=(), kwargs=(('kind', Call(name='abs', args=(), kwargs=())),))
    >>> parse("boltzmann(temperature=))")
    Traceback (most recent call last):
    ...
    ValueError: unexpected ')' at column 23 in 'boltzmann(temperature=))'; expected a number or
    a name
        boltzmann(temperature=))
                              ^
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r}")
    if len(text) > MAX_TEXT:
        raise ValueError(
            f"text of {len(text)} characters is longer than the {MAX_TEXT} a policy or "
            f"schedule may have: {text[:60]!r}..."
        )
    return _Parser(text).parse()


# --------------------------------------------------------------------------- builders


def _signature_text(name: str, cls: Any) -> str:
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return f"{name}(...)"
    parts = []
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        elif p.default is p.empty:
            parts.append(p.name)
        else:
            parts.append(f"{p.name}={_unparse(p.default)}")
    return f"{name}({', '.join(parts)})"


def _check_arguments(kind: str, name: str, cls: Any, args: list, kwargs: dict, text: str) -> None:
    """Raise ValueError listing the parameters if ``args``/``kwargs`` do not fit ``cls``."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return  # no signature to check against: let the constructor decide
    params = signature.parameters
    problem = None
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = [
            k for k in kwargs if k not in params or params[k].kind is params[k].POSITIONAL_ONLY
        ]
        if unknown:
            problem = f"unknown keyword {unknown[0]!r}"
    if problem is None:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            problem = str(exc)
    if problem is not None:
        raise ValueError(
            f"wrong arguments for {kind} {name!r} in {text!r}: {problem}; "
            f"its parameters are {_signature_text(name, cls)}"
        )


def _with_text(exc: Exception, text: str) -> Exception:
    """The same kind of exception, its message extended with the text being built."""
    message = f"{exc} (in {text!r})"
    try:
        return type(exc)(message)
    except Exception:
        return (TypeError if isinstance(exc, TypeError) else ValueError)(message)


def _is_number(node: Any) -> bool:
    return isinstance(node, numbers.Real) and not isinstance(node, bool | np.bool_)


def _build_schedule(node: Any, name: str, text: str) -> Schedule:
    if _is_number(node):
        try:
            return as_schedule(node, name)
        except (TypeError, ValueError) as exc:
            raise _with_text(exc, text) from None
    if not isinstance(node, Call):
        raise TypeError(
            f"expected a number, a schedule text or a parsed Call, "
            f"got {type(node).__name__}: {node!r}"
        )
    cls = SCHEDULES.get(node.name)
    if cls is None:
        raise ValueError(
            f"unknown schedule {node.name!r} in {text!r}; "
            f"known schedules: {', '.join(sorted(SCHEDULES))}"
        )
    for value in [*node.args, *(v for _, v in node.kwargs)]:
        if not _is_number(value):
            raise ValueError(
                f"the arguments of schedule {node.name!r} must be numbers, "
                f"got {_unparse(value)!r} in {text!r}; "
                f"its parameters are {_signature_text(node.name, cls)}"
            )
    args, kwargs = list(node.args), dict(node.kwargs)
    _check_arguments("schedule", node.name, cls, args, kwargs, text)
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise _with_text(exc, text) from None


def build_schedule(node: Any, name: str = "value") -> Schedule:
    """Build a schedule from a parsed node, a number or a text.

    Parameters
    ----------
    node : Call, int, float or str
        A number becomes :class:`~boltzmann_rl.schedules.Constant`; a
        :class:`Call` of a name in :data:`SCHEDULES` becomes that schedule, its
        positional and keyword arguments (the constructor's parameter names) passed
        on; a string is parsed first.
    name : str, default "value"
        The parameter name used in error messages about a plain number.

    Returns
    -------
    Schedule

    Raises
    ------
    ValueError
        For an unknown schedule name (the known names are listed), arguments that
        do not fit the constructor (its parameters are listed), non-number
        arguments, or invalid values.
    TypeError
        For a node of another type or an argument of a wrong type.

    Examples
    --------
    >>> from boltzmann_rl.spec import Call, build_schedule
    >>> build_schedule(0.5)
    constant(0.5)
    >>> build_schedule(Call("inverse", (1,), (("t0", 100),)))
    inverse(1.0, 100.0)
    >>> build_schedule(Call("linear", (1, 0)))
    Traceback (most recent call last):
    ...
    ValueError: wrong arguments for schedule 'linear' in 'linear(1, 0)': missing a required
    argument: 'steps'; its parameters are linear(start, end, steps)
    """
    if isinstance(node, str):
        text = node
        node = parse(node)
    else:
        text = _unparse(node)
    return _build_schedule(node, name, text)


def parse_schedule(text: str) -> Schedule:
    """Parse the text form of a schedule.

    ``parse_schedule(repr(s)) == s`` for every schedule ``s`` of
    :mod:`boltzmann_rl.schedules`.

    Parameters
    ----------
    text : str
        A number (a constant) or a call of a name in :data:`SCHEDULES`.

    Returns
    -------
    Schedule

    Raises
    ------
    ValueError
        If the text is malformed, names an unknown schedule, or gives invalid
        arguments.

    Examples
    --------
    >>> from boltzmann_rl.spec import parse_schedule
    >>> parse_schedule("exp(1, 0.01, steps=1e3)")
    exp(1.0, 0.01, 1000)
    >>> parse_schedule("inf")
    constant(inf)
    >>> parse_schedule("linear(1, 0.1, 0)")
    Traceback (most recent call last):
    ...
    ValueError: linear: steps must be a positive integer, actual value: 0 (in 'linear(1, 0.1, 0)')
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r}")
    return _build_schedule(parse(text), "value", text)


def policy_registry() -> Mapping[str, type]:
    """Return the policy classes by text name: a copy of the one registry.

    The registry is :data:`boltzmann_rl.policies.POLICY_NAMES`: the softmax policies
    and the rules they are compared with, the alternatives of
    :mod:`boltzmann_rl.alternatives` (normalization, sparsemax, 1.5-entmax, mellowmax,
    softmax with a base), and any class added with
    :func:`boltzmann_rl.policies.register_policy`. A new dict on every call, so
    changing it does not change the registry.

    Both modules are imported on first use (the alternatives register themselves on
    import), so this module (and the schedules) can be used without them and without
    an import cycle.

    Returns
    -------
    Mapping of str to type

    Examples
    --------
    >>> from boltzmann_rl.spec import policy_registry
    >>> sorted(policy_registry())
    ['bgumbel', 'boltzmann', 'egreedy', 'entmax15', 'greedy', 'mellowmax', 'normalize',
     'softmax_base', 'sparsemax', 'ucb']
    """
    import boltzmann_rl.alternatives  # noqa: F401  (its policies register on import)
    from boltzmann_rl.policies import POLICY_NAMES

    return dict(POLICY_NAMES)


def _policy_value(node: Any, keyword: str, text: str) -> Any:
    if _is_number(node) or isinstance(node, str):
        return node
    if isinstance(node, Call):
        if not node.args and not node.kwargs:
            return node.name  # a bare identifier: a plain string such as kind=abs
        if node.name not in SCHEDULES:
            raise ValueError(
                f"unknown schedule {node.name!r} for {keyword} in {text!r} (a value with "
                f"arguments must be a schedule); known schedules: {', '.join(sorted(SCHEDULES))}"
            )
        return _build_schedule(node, keyword, text)
    raise TypeError(f"unsupported value {node!r} for {keyword} in {text!r}")


def _build_policy(node: Any, registry: Mapping[str, Any], text: str) -> Any:
    known = ", ".join(sorted(registry))
    if not isinstance(node, Call):
        raise ValueError(f"expected a policy in {text!r}, for example 'greedy'; known: {known}")
    cls = registry.get(node.name)
    if cls is None:
        hint = " (that is a schedule, not a policy)" if node.name in SCHEDULES else ""
        raise ValueError(f"unknown policy {node.name!r}{hint} in {text!r}; known policies: {known}")
    args = [_policy_value(v, f"argument {i + 1}", text) for i, v in enumerate(node.args)]
    kwargs = {k: _policy_value(v, k, text) for k, v in node.kwargs}
    _check_arguments("policy", node.name, cls, args, kwargs, text)
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise _with_text(exc, text) from exc


def build_policy(node: Any, registry: Mapping[str, Any] | None = None) -> Any:
    """Build a policy from a parsed node (or a text).

    Argument values are converted as described in the module docstring: numbers
    stay numbers, calls of schedule names become schedules, bare identifiers
    become strings.

    Parameters
    ----------
    node : Call or str
        A :class:`Call` whose name is a key of ``registry``; a string is parsed
        first.
    registry : Mapping of str to type, optional
        Policy classes by text name; default :func:`policy_registry`.

    Returns
    -------
    object
        ``registry[node.name](*args, **kwargs)``.

    Raises
    ------
    ValueError
        For an unknown policy name (the known names are listed), arguments that do
        not fit the class's ``__init__`` (its parameters are listed), an unknown
        nested schedule, or a malformed text.
    TypeError, ValueError
        Raised by the constructor, re-raised with the text in the message.

    Examples
    --------
    >>> from boltzmann_rl.spec import Call, build_policy
    >>> class Normalize:
    ...     def __init__(self, kind="max"):
    ...         self.kind = kind
    >>> build_policy(Call("normalize", (), (("kind", Call("abs")),)), {"normalize": Normalize}).kind
    'abs'
    """
    if registry is None:
        registry = policy_registry()
    if isinstance(node, str):
        text = node
        node = parse(node)
    else:
        text = _unparse(node)
    return _build_policy(node, registry, text)


def parse_policy(text: str, registry: Mapping[str, Any] | None = None) -> Any:
    """Parse the text form of a policy and build it.

    Parameters
    ----------
    text : str
        For example ``"boltzmann(temperature=exp(1, 0.01, 1000))"`` or ``"greedy"``.
    registry : Mapping of str to type, optional
        Policy classes by text name; default :func:`policy_registry`.

    Returns
    -------
    object
        The policy.

    Raises
    ------
    ValueError
        If the text is malformed, or as :func:`build_policy`.

    Examples
    --------
    >>> from boltzmann_rl.spec import parse_policy
    >>> class Boltzmann:
    ...     def __init__(self, temperature=1.0):
    ...         self.temperature = temperature
    >>> p = parse_policy("boltzmann(temperature=linear(1, 0.1, 100))", {"boltzmann": Boltzmann})
    >>> p.temperature
    linear(1.0, 0.1, 100)
    >>> parse_policy("boltzman", {"boltzmann": Boltzmann})
    Traceback (most recent call last):
    ...
    ValueError: unknown policy 'boltzman' in 'boltzman'; known policies: boltzmann
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r}")
    if registry is None:
        registry = policy_registry()
    return _build_policy(parse(text), registry, text)


# --------------------------------------------------------------------------- output


def canonical(text: str, registry: Mapping[str, Any] | None = None) -> str:
    """Return the canonical spelling of a schedule or policy text: ``repr`` of the object.

    Different spellings of the same object (spacing, ``1`` or ``1.0``, positional
    or keyword arguments, defaults written out or not) give the same canonical
    text, so it can serve as a stable id.

    Parameters
    ----------
    text : str
        A number or a call of a schedule name (built with :func:`parse_schedule`),
        or otherwise a policy (built with :func:`parse_policy`).
    registry : Mapping of str to type, optional
        Policy classes by text name; default :func:`policy_registry`.

    Returns
    -------
    str

    Examples
    --------
    >>> from boltzmann_rl.spec import canonical
    >>> canonical("inverse(c=1)")
    'inverse(1.0, 1.0)'
    >>> canonical(" exp( 1 , 1e-2 , 1_000 ) ")
    'exp(1.0, 0.01, 1000)'
    """
    node = parse(text)
    if not isinstance(node, Call) or node.name in SCHEDULES:
        return repr(_build_schedule(node, "value", text))
    if registry is None:
        registry = policy_registry()
    return repr(_build_policy(node, registry, text))
