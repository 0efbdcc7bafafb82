"""The shared argument checks: plain numbers out, one clear error naming the value."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from boltzmann_rl import _checks
from boltzmann_rl._checks import (
    finite,
    nonnegative,
    nonnegative_int,
    open_unit,
    positive,
    positive_int,
    real,
    unit_interval,
)

NOT_NUMBERS = [True, np.bool_(False), "1", None, [1.0], 1j]


@pytest.mark.parametrize("check", [real, finite, nonnegative, positive, open_unit, unit_interval])
@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
def test_what_is_not_a_number_is_a_type_error_naming_its_type(check, value):
    message = f"gaussian: mean must be a number, got {type(value).__name__}: {value!r}"
    with pytest.raises(TypeError, match=re.escape(message)):
        check(value, "mean", "gaussian")


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (finite, math.nan, "x must not be NaN, actual value: nan"),
        (finite, -math.inf, "x must be finite, actual value: -inf"),
        (nonnegative, -1, "x must be >= 0, actual value: -1"),
        (nonnegative, math.inf, "x must be finite, actual value: inf"),
        (positive, 0.0, "x must be > 0, actual value: 0.0"),
        (positive, -2, "x must be >= 0, actual value: -2"),
        (positive_int, 0, "x must be a positive integer, actual value: 0"),
        (positive_int, 2.0, "x must be a positive integer, actual value: 2.0"),
        (positive_int, True, "x must be a positive integer, actual value: True"),
        (positive_int, "3", "x must be a positive integer, actual value: '3'"),
        (nonnegative_int, -1, "x must be a non-negative integer, actual value: -1"),
        (nonnegative_int, 0.0, "x must be a non-negative integer, actual value: 0.0"),
        (open_unit, 0, "x must be strictly between 0 and 1, actual value: 0"),
        (open_unit, math.nan, "x must be strictly between 0 and 1, actual value: nan"),
        (unit_interval, 1.5, "x must be in [0, 1], actual value: 1.5"),
        (unit_interval, math.nan, "x must be in [0, 1], actual value: nan"),
    ],
    ids=lambda v: getattr(v, "__name__", repr(v)),
)
def test_out_of_range_is_a_value_error_naming_the_value(check, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check(value, "x")
    with pytest.raises(ValueError, match=re.escape(f"owner: {message}")):
        check(value, "x", "owner")


def test_values_come_back_as_plain_python_numbers():
    assert type(real(np.float32(0.5), "x")) is float
    assert type(finite(np.int64(3), "x")) is float
    assert math.copysign(1.0, nonnegative(-0.0, "x")) == 1.0
    assert nonnegative(math.inf, "x", allow_inf=True) == math.inf
    with pytest.raises(ValueError, match=re.escape("finite or +inf, actual value: -inf")):
        nonnegative(-math.inf, "x", allow_inf=True)
    assert type(positive_int(np.int64(4), "x")) is int
    assert type(nonnegative_int(np.uint8(0), "x")) is int
    assert open_unit(0.95, "x") == 0.95 and unit_interval(0, "x") == 0.0


def test_every_check_is_exported_and_has_an_example():
    for name in _checks.__all__:
        assert ">>>" in (getattr(_checks, name).__doc__ or ""), name
