"""Tests of boltzmann_rl.spec: the text form of schedules and policies."""

from __future__ import annotations

import ast
import builtins
import inspect
import math
import os
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boltzmann_rl import spec
from boltzmann_rl.schedules import (
    Constant,
    Exponential,
    InverseTime,
    Linear,
    Logarithmic,
    as_schedule,
    format_value,
)
from boltzmann_rl.spec import (
    SCHEDULES,
    Call,
    build_policy,
    build_schedule,
    canonical,
    parse,
    parse_policy,
    parse_schedule,
)

# --------------------------------------------------------------------------- fake policies


class FakeBoltzmann:
    def __init__(self, temperature=1.0):
        self.temperature = as_schedule(temperature, "temperature")

    def __repr__(self):
        return f"boltzmann(temperature={self.temperature!r})"


class FakeEGreedy:
    def __init__(self, epsilon, *, tie_break="random"):
        if tie_break not in ("random", "first"):
            raise ValueError(f"tie_break must be 'random' or 'first', got {tie_break!r}")
        self.epsilon = as_schedule(epsilon, "epsilon")
        self.tie_break = tie_break

    def __repr__(self):
        return f"egreedy(epsilon={self.epsilon!r}, tie_break={self.tie_break})"


class FakeGreedy:
    def __repr__(self):
        return "greedy"


class FakeNormalize:
    def __init__(self, kind="max", scale=1.0):
        self.kind = kind
        self.scale = scale


REGISTRY = {
    "boltzmann": FakeBoltzmann,
    "egreedy": FakeEGreedy,
    "greedy": FakeGreedy,
    "normalize": FakeNormalize,
}


# --------------------------------------------------------------------------- parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("+7", 7),
        ("1_000", 1000),
        ("0.5", 0.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e3", 1000.0),
        ("2.5E-3", 0.0025),
        ("-1.5e+2", -150.0),
        ("1_0.2_5", 10.25),
        ("inf", math.inf),
        ("-inf", -math.inf),
        ("+inf", math.inf),
        ("12345678901234567890", 12345678901234567890),
    ],
)
def test_parse_numbers(text, expected):
    value = parse(text)
    assert value == expected
    assert type(value) is type(expected)


def test_parse_nan():
    assert math.isnan(parse("nan"))


def test_parse_calls():
    assert parse("greedy") == Call("greedy", (), ())
    assert parse("greedy()") == Call("greedy")
    assert parse("linear(1, 0.05, 500)") == Call("linear", (1, 0.05, 500))
    assert parse("inverse(1, t0=100)") == Call("inverse", (1,), (("t0", 100),))
    assert parse("boltzmann(temperature=exp(1.0, 0.01, 1000))") == Call(
        "boltzmann", (), (("temperature", Call("exp", (1.0, 0.01, 1000))),)
    )
    assert parse("normalize(kind=abs)") == Call("normalize", (), (("kind", Call("abs")),))
    assert parse("f(-inf, x=-2)") == Call("f", (-math.inf,), (("x", -2),))
    assert parse("info") == Call("info")  # an identifier starting with "inf"
    assert parse("_x1") == Call("_x1")


def test_call_normalizes_containers_and_prints_text():
    node = Call("f", [1, 2], {"a": Call("g", (3,))})
    assert node.args == (1, 2)
    assert node.kwargs == (("a", Call("g", (3,))),)
    assert str(node) == "f(1, 2, a=g(3))"
    assert hash(node) == hash(Call("f", (1, 2), (("a", Call("g", (3,))),)))


@pytest.mark.parametrize(
    "text",
    [
        "boltzmann(temperature=exp(1.0,0.01,1000))",
        "boltzmann( temperature = exp( 1.0 , 0.01 , 1000 ) )",
        "  boltzmann\t(\n temperature=\texp(1.0,\n0.01,1000)\r\n)  ",
        "boltzmann (temperature= exp (1.0,0.01 ,1000) ) ",
    ],
)
def test_whitespace_is_free(text):
    assert parse(text) == Call("boltzmann", (), (("temperature", Call("exp", (1.0, 0.01, 1000))),))


def test_sign_may_be_separated_by_whitespace():
    assert parse("f(- 1, + 2.5)") == Call("f", (-1, 2.5))


idents = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: s not in ("inf", "nan")
)
numbers_ = st.one_of(st.integers(), st.floats(allow_nan=False))
nodes = st.recursive(
    st.one_of(numbers_, st.builds(Call, idents)),
    lambda children: st.builds(
        Call,
        idents,
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(idents, children, max_size=3).map(lambda d: tuple(d.items())),
    ),
    max_leaves=12,
)


@given(nodes)
def test_str_of_a_node_parses_back(node):
    assert parse(_text(node)) == node


def _text(node):
    return str(node) if isinstance(node, Call) else format_value(node)


# --------------------------------------------------------------------------- parse errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "boltzmann(temperature=))",
            "unexpected ')' at column 23 in 'boltzmann(temperature=))'; expected a number",
        ),
        ("greedy)", "unbalanced parentheses: unexpected ')' at column 7 in 'greedy)'"),
        (
            "boltzmann(temperature=1",
            "unbalanced parentheses: '(' is never closed at column 10 in 'boltzmann(temperature=1'",
        ),
        ("f(g(1)", "unbalanced parentheses: '(' is never closed at column 2 in 'f(g(1)'"),
        ("f(1,", "unbalanced parentheses: '(' is never closed at column 2"),
        ("f(1, 2))", "unbalanced parentheses: unexpected ')' at column 8"),
        ("linear(1, 0, 10) x", "unexpected name 'x' at column 18 in 'linear(1, 0, 10) x'"),
        ("1 2", "unexpected number '2' at column 3 in '1 2'; expected the end of the text"),
        ("f(1 2)", "unexpected number '2' at column 5 in 'f(1 2)'; expected ',' or ')'"),
        ("f(a=1, a=2)", "duplicate keyword 'a' at column 8 in 'f(a=1, a=2)'"),
        ("f(a=1, 2)", "positional argument after keyword argument at column 8 in 'f(a=1, 2)'"),
        ("f(a=1, b)", "positional argument after keyword argument at column 8"),
        ("f(a=1,)", "unexpected ')' at column 7 in 'f(a=1,)'"),
        ("f(,)", "unexpected ',' at column 3"),
        ("f(=1)", "unexpected '=' at column 3"),
        ("(1)", "unexpected '(' at column 1"),
        ("f()()", "unexpected '(' at column 4"),
        ("-foo", "unexpected name 'foo' at column 2 in '-foo'; expected a number after '-'"),
        ("--1", "unexpected '-' at column 2"),
        ("1.2.3", "malformed number '1.2.3' at column 1"),
        ("f(1e)", "malformed number '1e' at column 3"),
        ("f(5steps)", "malformed number '5steps' at column 3"),
        ("f(1_)", "malformed number '1_' at column 3"),
        ("f(x; y)", "unexpected character ';' at column 4"),
        ("f(1 = 2)", "unexpected '=' at column 5"),
        ("f(inf=2)", "unexpected '=' at column 6"),
        ("f(a=)", "unexpected ')' at column 5"),
    ],
)
def test_parse_errors_point_at_the_column(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(text)


def test_parse_error_shows_a_caret():
    with pytest.raises(ValueError) as info:
        parse("f(a=1, a=2)")
    assert str(info.value).splitlines()[1:] == ["    f(a=1, a=2)", "           ^"]


@pytest.mark.parametrize("text", ["", " ", "\t\n "])
def test_empty_text(text):
    with pytest.raises(ValueError, match="empty text"):
        parse(text)


@pytest.mark.parametrize("text", [None, 1.0, b"greedy", Call("greedy")])
def test_parse_requires_a_string(text):
    with pytest.raises(TypeError, match="text must be a str"):
        parse(text)


def test_deep_nesting_is_an_error_not_a_recursion_error():
    text = "f(" * 3_000 + ")" * 3_000  # within the length cap
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        parse(text)
    shallow = "f(" * 60 + "1" + ")" * 60
    assert isinstance(parse(shallow), Call)


# --------------------------------------------------------------------------- no evaluation


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__(\"os\").system('echo hacked')",
        "os.system('echo hacked')",
        "exec('1')",
        "lambda: 1",
        "[1, 2]",
        "{'a': 1}",
        "f(*args)",
        "f(**kwargs)",
        "1 + 1",
        "2 * 3",
        "linear(1, 0, 10)[0]",
        "`id`",
        "f(a, 'b')",
    ],
)
def test_python_syntax_is_malformed_not_evaluated(text, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    monkeypatch.setattr(builtins, "eval", lambda *a: calls.append(a))
    monkeypatch.setattr(builtins, "exec", lambda *a: calls.append(a))
    with pytest.raises(ValueError):
        parse(text)
    with pytest.raises(ValueError):
        parse_schedule(text)
    with pytest.raises(ValueError):
        parse_policy(text, REGISTRY)
    assert calls == []


def test_well_formed_but_unknown_names_are_not_looked_up():
    with pytest.raises(ValueError, match="unknown schedule '__import__'"):
        parse_schedule("__import__(os)")
    with pytest.raises(ValueError, match="unknown policy 'eval'"):
        parse_policy("eval(x)", REGISTRY)
    # A string value is passed through as a string, never resolved to an object.
    assert parse_policy("normalize(kind=__builtins__)", REGISTRY).kind == "__builtins__"


def test_source_has_no_eval():
    # Every name and attribute used in the module's code (docstrings excluded).
    tree = ast.parse(inspect.getsource(spec))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert names & {"eval", "exec", "compile", "__import__", "builtins", "getattr"} == set()
    assert attributes & {"eval", "exec", "literal_eval", "__import__", "import_module"} == set()
    assert imports & {"ast", "builtins", "importlib"} == set()


# --------------------------------------------------------------------------- schedules


def test_schedule_names():
    assert SCHEDULES == {
        "constant": Constant,
        "linear": Linear,
        "exp": Exponential,
        "inverse": InverseTime,
        "log": Logarithmic,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5", Constant(0.5)),
        ("3", Constant(3.0)),
        ("inf", Constant(math.inf)),
        ("constant(inf)", Constant(math.inf)),
        ("constant(value=0.1)", Constant(0.1)),
        ("linear(1, 0.05, 500)", Linear(1.0, 0.05, 500)),
        ("linear(start=1, end=0.05, steps=500)", Linear(1.0, 0.05, 500)),
        ("linear(1, steps=500, end=0.05)", Linear(1.0, 0.05, 500)),
        ("linear(1, 0.05, 5e2)", Linear(1.0, 0.05, 500)),
        ("exp(1, 0.01, 1_000)", Exponential(1.0, 0.01, 1000)),
        ("inverse(2)", InverseTime(2.0, 1.0)),
        ("inverse(2, t0=50)", InverseTime(2.0, 50.0)),
        ("log(1.5)", Logarithmic(1.5)),
    ],
)
def test_parse_schedule(text, expected):
    s = parse_schedule(text)
    assert s == expected
    assert type(s) is type(expected)


def test_build_schedule_from_nodes_numbers_and_text():
    assert build_schedule(0.25) == Constant(0.25)
    assert build_schedule(np.float64(0.25)) == Constant(0.25)
    assert build_schedule(Call("linear", (1, 0), (("steps", 10),))) == Linear(1.0, 0.0, 10)
    assert build_schedule("log(2)") == Logarithmic(2.0)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("lienar(1, 0, 10)", "unknown schedule 'lienar' in 'lienar(1, 0, 10)'; "
         "known schedules: constant, exp, inverse, linear, log"),
        ("greedy", "unknown schedule 'greedy' in 'greedy'; known schedules: constant, exp"),
        ("linear(1, 0)", "wrong arguments for schedule 'linear' in 'linear(1, 0)': missing a "
         "required argument: 'steps'; its parameters are linear(start, end, steps)"),
        ("linear(1, 0, 10, 4)", "too many positional arguments; "
         "its parameters are linear(start, end, steps)"),
        ("inverse(1, tau=3)", "unknown keyword 'tau'; its parameters are inverse(c, t0=1.0)"),
        ("linear(1, 0, 10, start=2)", "multiple values for argument 'start'"),
        ("constant()", "missing a required argument: 'value'; "
         "its parameters are constant(value)"),
        ("linear(1, 0, steps=abs)", "the arguments of schedule 'linear' must be numbers, got "
         "'abs' in 'linear(1, 0, steps=abs)'"),
        ("exp(linear(1, 0, 1), 1, 1)", "must be numbers, got 'linear(1, 0, 1)'"),
        ("-0.5", "value must be >= 0, actual value: -0.5 (in '-0.5')"),
        ("nan", "value must not be NaN, actual value: nan (in 'nan')"),
        ("linear(1, 0, 0)", "linear: steps must be a positive integer, actual value: 0 "
         "(in 'linear(1, 0, 0)')"),
        ("exp(1, 0, 10)", "exp: end must be > 0, actual value: 0 (in 'exp(1, 0, 10)')"),
        ("constant(-inf)", "constant: value must be finite or +inf, actual value: -inf"),
        ("inverse(1, t0=0)", "inverse: t0 must be > 0, actual value: 0"),
        ("log(-1)", "log: c must be >= 0, actual value: -1"),
    ],
)  # fmt: skip
def test_schedule_errors(text, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        parse_schedule(text)


def test_build_schedule_names_the_parameter():
    with pytest.raises(ValueError, match=re.escape("temperature must be >= 0, actual value: -1")):
        build_schedule(-1, "temperature")


@pytest.mark.parametrize("node", [True, None, [1.0], object()], ids=repr)
def test_build_schedule_rejects_other_types(node):
    with pytest.raises(TypeError, match="expected a number, a schedule text or a parsed Call"):
        build_schedule(node)


finite = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.0, exclude_min=True, allow_infinity=False)
n_steps = st.integers(min_value=1, max_value=10**15)
schedules = st.one_of(
    st.builds(Constant, st.floats(min_value=0.0, allow_nan=False)),
    st.builds(Linear, finite, finite, n_steps),
    st.builds(Exponential, positive, positive, n_steps),
    st.builds(InverseTime, finite, positive),
    st.builds(Logarithmic, finite),
)


@given(schedules)
def test_repr_round_trips_exactly(s):
    text = repr(s)
    back = parse_schedule(text)
    assert back == s
    assert type(back) is type(s)
    assert repr(back) == text
    assert canonical(text) == text


@given(finite, finite, n_steps)
def test_spellings_share_a_canonical_form(start, end, steps):
    spellings = [
        f"linear({start!r}, {end!r}, {steps})",
        f"linear( start = {start!r} , end={end!r},steps={steps} )",
        f"linear({start!r}, steps={steps}, end={end!r})",
    ]
    forms = {canonical(t) for t in spellings}
    assert forms == {repr(Linear(start, end, steps))}


# --------------------------------------------------------------------------- policies


def test_parse_policy_with_registry():
    p = parse_policy("boltzmann(temperature=exp(1, 0.01, 1000))", REGISTRY)
    assert isinstance(p, FakeBoltzmann)
    assert p.temperature == Exponential(1.0, 0.01, 1000)
    assert parse_policy("boltzmann(0.5)", REGISTRY).temperature == Constant(0.5)
    assert parse_policy("boltzmann", REGISTRY).temperature == Constant(1.0)
    assert isinstance(parse_policy("greedy", REGISTRY), FakeGreedy)
    assert isinstance(parse_policy("greedy()", REGISTRY), FakeGreedy)


def test_policy_values_numbers_schedules_and_strings():
    p = parse_policy("normalize(kind=abs, scale=2)", REGISTRY)
    assert p.kind == "abs"
    assert p.scale == 2
    assert type(p.scale) is int  # numbers stay numbers
    # A bare schedule name has no arguments, so it is a string, never a schedule.
    assert parse_policy("normalize(kind=log)", REGISTRY).kind == "log"
    # A call with arguments is a schedule, also as a positional argument.
    assert parse_policy("normalize(linear(1, 0, 10))", REGISTRY).kind == Linear(1.0, 0.0, 10)
    q = parse_policy("egreedy(epsilon=linear(1, 0.05, 500), tie_break=first)", REGISTRY)
    assert q.epsilon == Linear(1.0, 0.05, 500)
    assert q.tie_break == "first"


def test_registry_defaults_to_policy_registry(monkeypatch):
    monkeypatch.setattr(spec, "policy_registry", lambda: REGISTRY)
    assert isinstance(parse_policy("greedy"), FakeGreedy)
    assert build_policy(Call("boltzmann", (), (("temperature", 0.1),))).temperature == Constant(0.1)
    assert canonical("boltzmann( temperature = 2 )") == "boltzmann(temperature=constant(2.0))"


def test_build_policy_from_node_and_text():
    node = Call("egreedy", (), (("epsilon", Call("exp", (1, 0.1, 10))),))
    assert build_policy(node, REGISTRY).epsilon == Exponential(1.0, 0.1, 10)
    assert isinstance(build_policy("greedy", REGISTRY), FakeGreedy)


@pytest.mark.parametrize(
    ("text", "exc", "match"),
    [
        ("boltzman(temperature=1)", ValueError, "unknown policy 'boltzman' in "
         "'boltzman(temperature=1)'; known policies: boltzmann, egreedy, greedy, normalize"),
        ("linear(1, 0, 10)", ValueError, "unknown policy 'linear' (that is a schedule, "
         "not a policy)"),
        ("0.5", ValueError, "expected a policy in '0.5'"),
        ("boltzmann(temp=1)", ValueError, "wrong arguments for policy 'boltzmann' in "
         "'boltzmann(temp=1)': unknown keyword 'temp'; its parameters are "
         "boltzmann(temperature=1.0)"),
        ("egreedy()", ValueError, "missing a required argument: 'epsilon'; its parameters "
         "are egreedy(epsilon, tie_break=random)"),
        ("egreedy(0.1, first)", ValueError, "too many positional arguments"),
        ("greedy(1)", ValueError, "its parameters are greedy()"),
        ("boltzmann(temperature=foo(1))", ValueError, "unknown schedule 'foo' for temperature "
         "in 'boltzmann(temperature=foo(1))'"),
        ("boltzmann(temperature=linear(1, 0, 0))", ValueError, "linear: steps must be a "
         "positive integer, actual value: 0 (in 'boltzmann(temperature=linear(1, 0, 0))')"),
        ("boltzmann(temperature=-1)", ValueError, "temperature must be >= 0, actual value: -1 "
         "(in 'boltzmann(temperature=-1)')"),
        ("boltzmann(temperature=abs)", TypeError, "temperature must be a number or a schedule, "
         "got str: 'abs' (in 'boltzmann(temperature=abs)')"),
        ("egreedy(0.1, tie_break=last)", ValueError, "tie_break must be 'random' or 'first', "
         "got 'last' (in 'egreedy(0.1, tie_break=last)')"),
        ("boltzmann(temperature=))", ValueError, "unexpected ')' at column 23"),
    ],
)  # fmt: skip
def test_policy_errors(text, exc, match):
    with pytest.raises(exc, match=re.escape(match)):
        parse_policy(text, REGISTRY)


def test_constructor_error_is_chained():
    with pytest.raises(ValueError) as info:
        parse_policy("egreedy(0.1, tie_break=last)", REGISTRY)
    assert isinstance(info.value.__cause__, ValueError)


def test_canonical_policy_spelling():
    registry = REGISTRY
    a = canonical("egreedy( linear(1, .05, 500) )", registry)
    b = canonical(
        "egreedy(epsilon=linear(start=1.0, end=5e-2, steps=500), tie_break=random)", registry
    )
    assert a == b == "egreedy(epsilon=linear(1.0, 0.05, 500), tie_break=random)"
    assert canonical(a, registry) == a
    assert canonical("greedy()", registry) == "greedy"


def test_real_policy_registry():
    policies = pytest.importorskip("boltzmann_rl.policies")
    alternatives = pytest.importorskip("boltzmann_rl.alternatives")
    registry = spec.policy_registry()
    assert registry == {**policies.POLICY_NAMES, **alternatives.ALTERNATIVE_NAMES}
    assert all(isinstance(name, str) and isinstance(cls, type) for name, cls in registry.items())


# --------------------------------------------------------------------------- numbers written back


@given(st.one_of(st.integers(), st.floats(allow_nan=False)))
def test_format_value_numbers_parse_back(x):
    back = parse(format_value(x))
    assert back == x
    assert type(back) is type(x)


# --------------------------------------------------------------------------- api


def test_all_is_complete_and_documented():
    public = {
        name
        for name, obj in vars(spec).items()
        if not name.startswith("_")
        and getattr(obj, "__module__", None) == spec.__name__
        and (isinstance(obj, type) or callable(obj))
    } | {"SCHEDULES"}
    assert set(spec.__all__) == public
    for name in spec.__all__:
        if name == "SCHEDULES":
            continue
        doc = getattr(spec, name).__doc__ or ""
        assert "Examples\n    --------" in doc, name
        assert ">>> " in doc, name
    module_doc = spec.__doc__ or ""
    for name in spec.__all__:
        assert name in module_doc, name
    for text_name in SCHEDULES:
        assert f"``{text_name}``" in module_doc, text_name


# ------------------------------------------------------------------ numbers out of range

HUGE = "9" * 400


@pytest.mark.parametrize(
    "text",
    [
        f"boltzmann(temperature={HUGE})",
        f"egreedy(epsilon={HUGE})",
        f"ucb(c=-{HUGE})",
        f"boltzmann(temperature=linear({HUGE}, 0.1, 10))",
        f"boltzmann(temperature=exp(1, 0.01, {HUGE}))",
        "boltzmann(temperature=1e999)",
        "egreedy(epsilon=linear(1, 0.1, 1e400))",
    ],
)
def test_literals_beyond_the_float_range_are_refused_naming_them(text):
    from boltzmann_rl.spec import parse_policy

    with pytest.raises(ValueError, match=r"is out of range .*write inf") as info:  # OverflowError
        parse_policy(text)
    assert "at column" in str(info.value)


def test_literals_too_small_for_a_float_are_refused_but_subnormals_kept():
    from boltzmann_rl.spec import parse, parse_policy

    with pytest.raises(ValueError, match=r"'1e-999' is too small to be told from 0"):
        parse_policy("boltzmann(temperature=1e-999)")  # was silently T = 0
    assert parse("1e-310") == 1e-310
    assert parse("0e-999") == 0.0 and parse("0.000e5") == 0.0
    assert parse("1.7976931348623157e308") == 1.7976931348623157e308
    assert parse(str(2**1000)) == 2**1000  # an integer a float can hold stays exact


def test_huge_literal_on_the_command_line_exits_2(capsys):
    from boltzmann_rl.cli import main

    assert main(["bandit", "--policy", f"boltzmann(temperature={HUGE})", "--runs", "2"]) == 2
    err = capsys.readouterr().err
    assert "out of range" in err and "Traceback" not in err


# ------------------------------------------------------------------ linear parser, capped input


def test_parser_is_linear_in_the_number_of_keywords():
    import time

    from boltzmann_rl.spec import MAX_TEXT

    def seconds(n: int) -> float:
        text = "f(" + ", ".join(f"k{i}=1" for i in range(n)) + ")"
        assert len(text) <= MAX_TEXT * 20
        best = math.inf
        for _ in range(5):  # the fastest of five: a busy machine only slows some
            t = time.perf_counter()
            parse_unchecked(text)
            best = min(best, time.perf_counter() - t)
        return best

    small, large = seconds(500), seconds(8000)  # 16x the keywords
    assert large < 16 * 5 * small + 0.05  # quadratic would be ~256x


def parse_unchecked(text: str):
    from boltzmann_rl.spec import _Parser

    return _Parser(text).parse()


def test_duplicate_keyword_still_refused():
    from boltzmann_rl.spec import parse

    with pytest.raises(ValueError, match="duplicate keyword 'a' at column 8"):
        parse("f(a=1, a=2)")


def test_text_longer_than_the_cap_is_refused_before_parsing():
    from boltzmann_rl.spec import MAX_TEXT, parse

    text = "f(" + ", ".join(f"k{i}=1" for i in range(4000)) + ")"
    assert len(text) > MAX_TEXT
    with pytest.raises(ValueError, match=rf"{len(text)} characters is longer than the {MAX_TEXT}"):
        parse(text)
    parse("f(" + "x" * (MAX_TEXT - 3) + ")")
