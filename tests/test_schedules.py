"""Tests of boltzmann_rl.schedules: values, vectorization, validation and reprs."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boltzmann_rl import schedules
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

EXAMPLES = [
    Constant(0.1),
    Constant(float("inf")),
    Linear(1.0, 0.05, 500),
    Linear(0.0, 2.0, 7),
    Exponential(1.0, 0.01, 1000),
    Exponential(0.5, 4.0, 3),
    InverseTime(1.0, 100.0),
    InverseTime(2.0),
    Logarithmic(1.0),
]
DECREASING = [
    Linear(1.0, 0.05, 500),
    Exponential(1.0, 0.01, 1000),
    Exponential(1e-300, 1e-310, 10),
    InverseTime(1.0, 100.0),
    InverseTime(3.0, 1e-3),
    Logarithmic(2.0),
]
STEPS = np.array([0, 0.5, 1, 2, 3, 10, 99.5, 250, 499, 500, 501, 1000, 1e6, 1e300, np.inf])

finite = st.floats(min_value=0.0, max_value=1e300, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-300, max_value=1e300)
n_steps = st.integers(min_value=1, max_value=10**9)


def schedule_strategy() -> st.SearchStrategy:
    return st.one_of(
        st.builds(Constant, finite),
        st.builds(Linear, finite, finite, n_steps),
        st.builds(Exponential, positive, positive, n_steps),
        st.builds(InverseTime, finite, st.floats(min_value=1e-6, max_value=1e9)),
        st.builds(Logarithmic, finite),
    )


# --------------------------------------------------------------------------- values


def test_linear_endpoints_and_midpoint():
    s = Linear(1.0, 0.05, 500)
    assert s(0) == 1.0
    assert s(250) == pytest.approx(0.525, rel=1e-15)
    assert s(500) == 0.05
    assert s(501) == s(10**9) == s(math.inf) == 0.05


def test_linear_increasing():
    s = Linear(0.0, 2.0, 4)
    assert [s(t) for t in range(6)] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]


@given(finite, finite, n_steps)
def test_linear_endpoints_are_exact(start, end, steps):
    s = Linear(start, end, steps)
    assert s(0) == start
    assert s(steps) == end
    assert s(steps + 1) == end
    v = s(steps / 3)
    assert min(start, end) <= v <= max(start, end)


def test_exponential_endpoints_and_midpoint():
    s = Exponential(1.0, 0.01, 1000)
    assert s(0) == 1.0
    assert s(500) == pytest.approx(0.1, rel=1e-14)
    assert s(1000) == 0.01
    assert s(2000) == s(math.inf) == 0.01


@given(positive, positive, n_steps, st.floats(0.0, 1.0))
def test_exponential_matches_formula(start, end, steps, frac):
    s = Exponential(start, end, steps)
    assert s(0) == start
    assert s(steps) == end
    # Reference in log space (the ratio itself may overflow); |log| <= 1400 costs
    # a few hundred ulps of relative accuracy in exp.
    expected = math.exp(math.log(start) + (math.log(end) - math.log(start)) * frac)
    assert s(frac * steps) == pytest.approx(expected, rel=1e-12)


def test_exponential_ratio_beyond_float_range():
    s = Exponential(1e-300, 1e300, 10)
    np.testing.assert_allclose(s(np.arange(11)), 10.0 ** np.arange(-300, 301, 60), rtol=1e-12)


def test_inverse_time_values():
    s = InverseTime(2.0, 100.0)
    assert s(0) == 2.0
    assert s(100) == 1.0
    assert s(300) == 0.5
    assert s(math.inf) == 0.0
    # The 1/n step size: InverseTime(1, 1) at n - 1 visits.
    n = np.arange(1, 50)
    np.testing.assert_allclose(InverseTime(1.0)(n - 1), 1.0 / n, rtol=1e-15)


def test_inverse_time_no_overflow_warning():
    # t / t0 overflows to inf; the limit 0 is returned without a RuntimeWarning
    # (pytest turns warnings into errors).
    assert InverseTime(1.0, 1e-300)(1e300) == 0.0
    assert InverseTime(1.0, 1e-300)(np.array([0.0, 1e300]))[1] == 0.0


def test_logarithmic_values():
    s = Logarithmic(3.0)
    assert s(0) == 3.0  # log(e) == 1 exactly
    assert s(math.e**2 - math.e) == pytest.approx(1.5, rel=1e-15)
    assert s(math.inf) == 0.0
    t = np.array([0.0, 1.0, 10.0, 1e6])
    np.testing.assert_allclose(s(t), 3.0 / np.log(t + np.e), rtol=1e-15)


def test_constant():
    assert Constant(0.25)(0) == Constant(0.25)(1e9) == 0.25
    assert Constant(math.inf)(5) == math.inf
    np.testing.assert_array_equal(Constant(2)(np.zeros((2, 3))), np.full((2, 3), 2.0))


@pytest.mark.parametrize("s", DECREASING, ids=repr)
def test_decreasing_schedules_are_monotone(s):
    t = np.concatenate([np.arange(0, 3000), np.geomspace(3000, 1e300, 200), [np.inf]])
    v = s(t)
    # Linear and InverseTime use only monotone correctly rounded operations: exact.
    # Exponential and Logarithmic go through exp/log, whose numpy implementations
    # are not guaranteed monotone at the last ulp: allow 4 ulps.
    tol = 0.0 if isinstance(s, Linear | InverseTime) else 4 * np.finfo(float).eps
    assert np.all(v[1:] <= v[:-1] * (1 + tol))
    assert v[0] > v[-1]


@given(schedule_strategy(), st.lists(st.floats(0.0, 1e12), min_size=2, max_size=20))
def test_monotone_in_direction_of_parameters(s, steps):
    v = s(np.sort(np.array(steps)))
    increasing = isinstance(s, Linear | Exponential) and s.end > s.start
    if increasing:
        v = -v  # non-decreasing values <=> non-increasing negated values
    tol = 0.0 if isinstance(s, Linear | InverseTime | Constant) else 4 * np.finfo(float).eps
    assert np.all(v[1:] <= v[:-1] + tol * np.abs(v[:-1]))


@given(schedule_strategy(), st.floats(0.0, 1e15))
def test_values_are_nonnegative_and_finite(s, t):
    v = s(t)
    assert v >= 0.0
    assert math.isfinite(v)


# --------------------------------------------------------------------------- vectorization


@pytest.mark.parametrize("s", EXAMPLES, ids=repr)
def test_vectorized_equals_scalar(s):
    v = s(STEPS)
    assert v.dtype == np.float64
    assert v.shape == STEPS.shape
    scalars = np.array([s(float(t)) for t in STEPS])
    np.testing.assert_allclose(v, scalars, rtol=1e-14)


@pytest.mark.parametrize("s", EXAMPLES, ids=repr)
def test_output_shape_and_types(s):
    assert type(s(3)) is float
    assert type(s(3.5)) is float
    assert type(s(np.int64(3))) is float
    assert type(s(np.float32(3))) is float
    grid = np.arange(12).reshape(3, 4)  # an int array: e.g. visit counts
    out = s(grid)
    assert isinstance(out, np.ndarray)
    assert out.shape == (3, 4)
    assert out.dtype == np.float64
    zero_d = s(np.array(7))
    assert isinstance(zero_d, np.ndarray)
    assert zero_d.shape == ()
    assert s([0, 1, 2]).shape == (3,)
    assert s(np.array([], dtype=int)).shape == (0,)


@given(schedule_strategy(), st.lists(st.integers(0, 10**6), min_size=1, max_size=10))
def test_vectorized_equals_scalar_property(s, counts):
    v = s(np.array(counts))
    np.testing.assert_allclose(v, [s(c) for c in counts], rtol=1e-14)


# --------------------------------------------------------------------------- bad steps


@pytest.mark.parametrize("s", EXAMPLES, ids=repr)
@pytest.mark.parametrize(
    ("step", "match"),
    [
        (-1, "actual value: -1$"),
        (-0.5, "actual value: -0.5$"),
        (math.nan, "actual value: nan$"),
        (-math.inf, "actual value: -inf$"),
        (np.array([0.0, 1.0, -2.0]), r"actual value: -2.0 at index \(2,\)"),
        (np.array([[0.0, 1.0], [np.nan, 3.0]]), r"actual value: nan at index \(1, 0\)"),
    ],
)
def test_bad_steps_raise_with_value(s, step, match):
    with pytest.raises(ValueError, match=match):
        s(step)


@pytest.mark.parametrize(
    "step", [True, np.bool_(False), "3", b"3", None, 1j, np.array([True]), [1, "a"]], ids=repr
)
def test_non_numeric_steps_raise_type_error(step):
    with pytest.raises(TypeError, match="step must be a number"):
        Linear(1.0, 0.0, 10)(step)


# --------------------------------------------------------------------------- construction


@pytest.mark.parametrize(
    ("cls", "args", "match"),
    [
        (Constant, (-1,), "constant: value must be >= 0, actual value: -1"),
        (Constant, (math.nan,), "constant: value must not be NaN, actual value: nan"),
        (Constant, (-math.inf,), "constant: value must be finite or \\+inf, actual value: -inf"),
        (Linear, (-0.5, 0, 10), "linear: start must be >= 0, actual value: -0.5"),
        (Linear, (1, math.inf, 10), "linear: end must be finite, actual value: inf"),
        (Linear, (1, math.nan, 10), "linear: end must not be NaN, actual value: nan"),
        (Linear, (1, 0, 0), "linear: steps must be a positive integer, actual value: 0"),
        (Linear, (1, 0, -5), "linear: steps must be a positive integer, actual value: -5"),
        (Linear, (1, 0, 2.5), "linear: steps must be a positive integer, actual value: 2.5"),
        (Linear, (1, 0, math.inf), "steps must be a positive integer, actual value: inf"),
        (Linear, (1, 0, math.nan), "steps must be a positive integer, actual value: nan"),
        (Exponential, (0, 1, 10), "exp: start must be > 0, actual value: 0"),
        (Exponential, (1, 0.0, 10), "exp: end must be > 0, actual value: 0.0"),
        (Exponential, (1, -1, 10), "exp: end must be >= 0, actual value: -1"),
        (Exponential, (math.inf, 1, 10), "exp: start must be finite, actual value: inf"),
        (Exponential, (1, 0.1, 0), "exp: steps must be a positive integer, actual value: 0"),
        (InverseTime, (-1,), "inverse: c must be >= 0, actual value: -1"),
        (InverseTime, (1, 0), "inverse: t0 must be > 0, actual value: 0"),
        (InverseTime, (1, -2.0), "inverse: t0 must be >= 0, actual value: -2.0"),
        (InverseTime, (1, math.inf), "inverse: t0 must be finite, actual value: inf"),
        (Logarithmic, (math.nan,), "log: c must not be NaN, actual value: nan"),
        (Logarithmic, (-3,), "log: c must be >= 0, actual value: -3"),
    ],
)
def test_invalid_parameters_raise_value_error(cls, args, match):
    with pytest.raises(ValueError, match=match):
        cls(*args)


@pytest.mark.parametrize(
    ("cls", "args"),
    [
        (Constant, (True,)),
        (Constant, ("0.5",)),
        (Linear, (1.0, 0.0, True)),
        (Linear, ("1", 0.0, 10)),
        (Exponential, (1.0, None, 10)),
        (InverseTime, (1.0, np.bool_(True))),
        (Logarithmic, ([1.0],)),
    ],
)
def test_non_numbers_raise_type_error(cls, args):
    with pytest.raises(TypeError, match="must be a number, got"):
        cls(*args)


def test_parameters_are_normalized():
    s = Linear(1, -0.0, 1e3)
    assert s == Linear(1.0, 0.0, 1000)
    assert type(s.start) is float
    assert type(s.steps) is int
    assert s.steps == 1000
    assert repr(s) == "linear(1.0, 0.0, 1000)"  # no "-0.0"
    assert Linear(np.float64(1), np.int64(0), np.int64(10)) == Linear(1.0, 0.0, 10)
    assert hash(Constant(1)) == hash(Constant(1.0))


def test_schedules_are_frozen():
    s = Linear(1.0, 0.0, 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.start = 2.0  # type: ignore[misc]


# --------------------------------------------------------------------------- reprs


@pytest.mark.parametrize(
    ("s", "text"),
    [
        (Constant(0.1), "constant(0.1)"),
        (Constant(math.inf), "constant(inf)"),
        (Constant(3), "constant(3.0)"),
        (Linear(1.0, 0.05, 500), "linear(1.0, 0.05, 500)"),
        (Exponential(1, 0.05, 1000), "exp(1.0, 0.05, 1000)"),
        (InverseTime(1.0, 100), "inverse(1.0, 100.0)"),
        (InverseTime(2), "inverse(2.0, 1.0)"),
        (Logarithmic(1), "log(1.0)"),
        (Exponential(1e-5, 1e-300, 7), "exp(1e-05, 1e-300, 7)"),
    ],
)
def test_repr_is_text_form(s, text):
    assert repr(s) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3, "3"),
        (np.int64(-4), "-4"),
        (0.5, "0.5"),
        (np.float32(0.5), "0.5"),
        (1e-5, "1e-05"),
        (1e300, "1e+300"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (-0.0, "-0.0"),
        (Constant(0.25), "0.25"),  # a policy's constant parameter is written as its value
        (Linear(1, 0, 10), "linear(1.0, 0.0, 10)"),
        (np.array([0.5, 2.0]), "[0.5, 2. ]"),
        (True, "True"),  # not a number of the text form
    ],
    ids=repr,
)
def test_format_value(value, text):
    assert format_value(value) == text


# --------------------------------------------------------------------------- protocol


@pytest.mark.parametrize("s", EXAMPLES, ids=repr)
def test_schedules_satisfy_protocol(s):
    assert isinstance(s, Schedule)


def test_protocol_accepts_functions_and_rejects_numbers():
    assert isinstance(lambda t: 1.0, Schedule)
    assert not isinstance(0.5, Schedule)
    assert not isinstance("linear(1, 0, 10)", Schedule)


def test_as_schedule():
    assert as_schedule(0.5) == Constant(0.5)
    assert as_schedule(2, "temperature") == Constant(2.0)
    assert as_schedule(math.inf, "temperature") == Constant(math.inf)
    s = Exponential(1.0, 0.1, 10)
    assert as_schedule(s) is s

    def f(t):
        return 1.0 / (1.0 + t)

    assert as_schedule(f) is f


@pytest.mark.parametrize(
    ("value", "exc", "match"),
    [
        (-1, ValueError, "temperature must be >= 0, actual value: -1"),
        (math.nan, ValueError, "temperature must not be NaN, actual value: nan"),
        (-math.inf, ValueError, "temperature must be finite or \\+inf, actual value: -inf"),
        (True, TypeError, "temperature must be a number or a schedule, got bool: True"),
        ("0.5", TypeError, "temperature must be a number or a schedule, got str: '0.5'"),
        (None, TypeError, "temperature must be a number or a schedule .*got NoneType: None"),
        ([1.0], TypeError, re.escape("got list: [1.0]")),
    ],
)
def test_as_schedule_errors_name_the_parameter(value, exc, match):
    with pytest.raises(exc, match=match):
        as_schedule(value, "temperature")


# --------------------------------------------------------------------------- api


def test_all_is_complete_and_documented():
    public = {
        name
        for name, obj in vars(schedules).items()
        if not name.startswith("_")
        and getattr(obj, "__module__", None) == schedules.__name__
        and (isinstance(obj, type) or callable(obj))
    }
    assert set(schedules.__all__) == public
    for name in schedules.__all__:
        doc = getattr(schedules, name).__doc__ or ""
        assert "Examples\n    --------" in doc, name
        assert ">>> " in doc, name
    assert "visit count" in (schedules.__doc__ or "")
