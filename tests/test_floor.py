"""The numeric floor (``boltzmann_rl._floor``) and the core's contract across dtypes.

The floor is the one place for exp-normalize, log-sum-exp, entropy, tie-splitting
argmax and inverse-CDF draws; these tests pin what its callers rely on: no warning for
valid input in any float dtype and temperature form, the dtype rule, one inverse CDF
for every layout, and errors that name the offending values.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import boltzmann_rl as br
from boltzmann_rl import _floor

FLOATING = [np.float16, np.float32, np.float64, np.longdouble]
EXTREME_TEMPERATURES = [0.0, 1e-300, 1e-40, 1e-5, 1.0, 1e5, 1e38, 1e300, math.inf]
FUNCTIONS = {
    "softmax": br.softmax,
    "log_softmax": br.log_softmax,
    "logsumexp": br.logsumexp,
    "softmax_entropy": br.softmax_entropy,
    "softmax_sample": lambda x, t: br.softmax_sample(x, np.random.default_rng(0), t),
}


def _temperature(form: str, t: float) -> object:
    if form == "scalar":
        return t
    per_row = np.array([t, 1.0, t])
    if form == "rows float32":
        with np.errstate(over="ignore", under="ignore"):  # 1e300 is inf in float32
            return per_row.astype(np.float32)
    return per_row


@pytest.mark.parametrize("dtype", FLOATING, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("form", ["scalar", "rows float64", "rows float32"])
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_no_warning_for_valid_input_in_any_dtype_and_temperature_form(dtype, form, name):
    # Issue 13: float32 logits with a per-row float64 temperature of 1e300 warned
    # "overflow encountered in cast" in logsumexp. Every extreme, every form, no warning.
    x = np.array([[0.0, 1.0, -2.0], [3.0, -np.inf, 3.0], [-60000.0, 0.0, 60000.0]])
    x = x.astype(dtype)
    f = FUNCTIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for t in EXTREME_TEMPERATURES:
            out = np.asarray(f(x, _temperature(form, t)))
            assert not np.isnan(out).any(), (t, out)


def test_logsumexp_beyond_float32_is_inf_in_float32_without_a_warning():
    x = np.zeros((2, 2), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = br.logsumexp(x, temperature=np.array([1e300, 1.0]))
    assert out.dtype == np.float32
    assert out[0] == np.inf and out[1] == np.float32(math.log(2.0))


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.float16, np.float32),
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.longdouble, np.longdouble),
        (np.int64, np.float64),
        (np.int8, np.float64),
        (np.bool_, np.float64),
    ],
    ids=lambda d: np.dtype(d).name,
)
def test_the_dtype_rule_holds_for_every_function(dtype, expected):
    # Floating input keeps its dtype (float16 is computed in float32); integer and
    # boolean input give float64.
    x = np.array([[1, 0, 1], [0, 0, 1]]).astype(dtype)
    for f in (br.softmax, br.log_softmax, br.logsumexp, br.softmax_entropy):
        assert np.asarray(f(x, 0.5)).dtype == expected, f.__name__
        assert np.asarray(f(x, np.array([0.5, 2.0]))).dtype == expected, f.__name__


def test_longdouble_keeps_its_precision():
    x = np.array([0.0, np.longdouble(1e-18)], dtype=np.longdouble)
    p = br.softmax(x)
    assert p.dtype == np.longdouble
    assert p[1] > p[0]  # 1e-18 is below float64's resolution of 1 + x


@pytest.mark.parametrize(
    ("x", "kw", "names"),
    [
        ([-math.inf], {}, "logits [-inf]"),
        (
            [[0.0, 1.0], [-math.inf, -math.inf]],
            {},
            "row [1] of logits with shape (2, 2) is [-inf, -inf]",
        ),
        ([1.0, 2.0], {"mask": [False, False]}, "logits [1., 2.] with mask [False, False]"),
    ],
)
def test_an_all_excluded_row_is_named_by_its_values(x, kw, names):
    # Issue 13: logsumexp([-inf]) said "row [] of logits with shape (1,)".
    for f in (br.softmax, br.logsumexp, br.log_softmax, br.softmax_entropy):
        with pytest.raises(ValueError, match=re.escape(names)):
            f(x, **kw)


def test_one_inverse_cdf_for_rows_columns_and_single_rows():
    # The batched draw along rows, the arms-major kernel draw and the single-row draw
    # pick the same action for the same weights and uniform.
    rng = np.random.default_rng(2)
    w = rng.random((500, 6)) * (rng.random((500, 6)) < 0.7)
    w[:, 2] += 0.1  # every row has a positive weight
    u = rng.random(500)
    rows = _floor.first_above(np.cumsum(w, axis=-1), (u * w.sum(axis=-1))[:, None], -1)
    work = _floor.Work(6, 500)
    cols = _floor.draw_columns(np.ascontiguousarray(w.T), work.c, work.b, u, nonneg=True)
    np.testing.assert_array_equal(rows, cols)
    gen = np.random.default_rng(3)
    drawn = _floor.draw_rows(w.copy(), np.random.default_rng(3), -1)
    expect = _floor.first_above(
        np.cumsum(w, axis=-1), gen.random((500, 1)) * w.sum(-1, keepdims=True), -1
    )
    np.testing.assert_array_equal(drawn, expect)
    assert not (w[np.arange(500), drawn] == 0).any()  # zero weights are never drawn


def test_the_kernel_draw_at_zero_temperature_rows_is_the_tie_split_argmax():
    q = np.array([[1.0, 3.0, 0.0], [3.0, 3.0, 5.0], [0.0, 1.0, 5.0]])  # (K=3, n=3)
    work = _floor.Work(3, 3)
    a, total = _floor.softmax_draw_columns(
        q, np.array([0.2, 0.7, 0.5]), work, np.array([0.0, 0.0, 1.0])
    )
    assert a[:2].tolist() == [1, 1]  # column 0: max at arm 1; column 1: ties 1 and 2, u=0.7
    assert total[:2].tolist() == [1.0, 2.0]
    h = _floor.entropy_of_weights(work, total)
    assert h[0] == 0.0 and h[1] == pytest.approx(math.log(2.0))
    p = br.softmax(q[:, 2])
    assert h[2] == pytest.approx(-(p * np.log(p)).sum(), rel=1e-12)


def test_argmax_row_draws_only_for_ties():
    calls = []

    def uniform():
        calls.append(1)
        return 0.75

    assert _floor.argmax_row([1.0, 5.0, 2.0], uniform) == 1 and not calls
    assert _floor.argmax_row([5.0, 1.0, 5.0], uniform) == 2 and len(calls) == 1
    with pytest.raises(ValueError, match="NaN"):
        _floor.argmax_row([0.0, math.nan], uniform)


def test_entropy_of_probs_is_one_formula_along_any_axis():
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    rows = _floor.entropy_of_probs(p, axis=-1)
    np.testing.assert_array_equal(rows, _floor.entropy_of_probs(np.ascontiguousarray(p.T)))
    assert rows[0] == pytest.approx(math.log(2.0))


def test_softmax_weights_columns_are_the_softmax_of_each_column():
    from boltzmann_rl._floor import softmax_weights_columns
    from boltzmann_rl.core import softmax

    rng = np.random.default_rng(0)
    q = rng.normal(size=(4, 7)) * 3
    temps = np.array([0.0, 0.1, 1.0, 10.0, np.inf, 1e-300, 2.0])
    for temp in (0.5, np.inf, temps):
        z, w = np.empty_like(q), np.empty_like(q)
        softmax_weights_columns(q, z, w, temp)
        ref = softmax(q.T, temp)
        np.testing.assert_allclose((w / w.sum(axis=0)).T, ref, rtol=1e-12, atol=1e-300)
    # column slices: each column's weights depend only on that column
    z, w = np.empty_like(q), np.empty_like(q)
    softmax_weights_columns(q[:, 2:5], z[:, 2:5], w[:, 2:5], temps[2:5])
    z2, w2 = np.empty((4, 3)), np.empty((4, 3))
    softmax_weights_columns(np.ascontiguousarray(q[:, 2:5]), z2, w2, temps[2:5])
    assert np.array_equal(w[:, 2:5], w2) and np.array_equal(z[:, 2:5], z2)
