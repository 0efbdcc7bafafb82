"""Draw the property figures of docs/why-softmax.md ("why exponentiate at all?").

::

    python experiments/why_softmax.py            # every property figure, exact, ~2 s
    python experiments/why_softmax.py --out /tmp/f --only why-logistic

Each figure shows one property that makes the softmax the default way to turn action
values into probabilities, next to what the alternatives do instead. Every number
drawn is computed with the toolkit (``boltzmann_rl`` and ``boltzmann_rl.alternatives``);
nothing is simulated.

The bandit study of the page (rewards shifted and scaled) is a study file, run by the
engine: ``boltzmann-rl run experiments/why_softmax.toml --out results/why_softmax``;
its ``figures/sweep.png`` is ``docs/figures/why-run-sweep.png``.

Figures are built with the object API (``matplotlib.figure.Figure``), never pyplot's
global state.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from boltzmann_rl import log_softmax, logsumexp, softmax
from boltzmann_rl.alternatives import (
    Entmax15,
    Mellowmax,
    Normalize,
    Sparsemax,
    boltzmann_weighted_average,
    mellowmax,
)

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures"
COLORS = {
    "softmax": "#1f77b4",
    "plain": "#d62728",
    "abs": "#ff7f0e",
    "square": "#9467bd",
    "sparsemax": "#2ca02c",
    "entmax15": "#17becf",
    "mellowmax": "#8c564b",
}


def _figure(ncols: int = 1, width: float = 5.0, height: float = 3.4) -> tuple[Figure, list]:
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _normalize_or_nan(kind: str, q: np.ndarray) -> np.ndarray:
    """Normalize(kind) row by row, NaN where it raises (outside its domain)."""
    pi = Normalize(kind)
    out = np.full(q.shape, np.nan)
    for i, row in enumerate(q):
        try:
            out[i] = pi.probs(row)
        except ValueError:
            pass
    return out


# ---------------------------------------------------------------------------- figures


def fig_positive_monotone() -> Figure:
    """Softmax is positive and monotone for any real values; the alternatives are not."""
    q = np.array([-2.0, -0.5, 0.0, 1.0, 2.0])
    x = np.arange(q.size)
    ticks = [f"{v:g}" for v in q]
    fig, (ax1, ax2) = _figure(2, width=4.6)
    ax1.bar(x, q / q.sum(), 0.6, color=COLORS["plain"])
    ax1.axhline(0.0, color="black", lw=0.8)
    ax1.set_xticks(x, ticks)
    ax1.set_xlabel("action value q")
    ax1.set_ylabel("'probability'")
    ax1.set_title("q / Σq: -400 % and +400 %")
    ax1.text(0.3, 2.5, "Σq = 0.5; the toolkit's\nnormalize raises ValueError", fontsize=8)
    rules = [
        ("softmax (T = 1)", softmax(q), "softmax"),
        ("sparsemax (T = 1)", Sparsemax(1.0).probs(q), "sparsemax"),
        ("|q| / Σ|q|", Normalize("abs").probs(q), "abs"),
        ("q² / Σq²", Normalize("square").probs(q), "square"),
    ]
    width = 0.2
    for j, (label, p, key) in enumerate(rules):
        ax2.bar(x + (j - 1.5) * width, p, width, label=label, color=COLORS[key])
    ax2.set_xticks(x, ticks)
    ax2.set_xlabel("action value q")
    ax2.set_ylabel("probability")
    ax2.set_title("softmax: > 0 everywhere, increasing in q")
    ax2.legend(fontsize=8, loc="upper center")
    return fig


def fig_shift_scale() -> Figure:
    """Shift: softmax unchanged, q/Σq changes then breaks. Scale: the opposite."""
    q = np.array([1.0, 2.0, 3.0])
    shifts = np.linspace(-6.0, 6.0, 241)
    scales = np.geomspace(0.05, 20.0, 241)
    fig, (ax1, ax2) = _figure(2)
    shifted = q + shifts[:, None]
    scaled = q * scales[:, None]
    for name, series, ax in (("shift", shifted, ax1), ("scale", scaled, ax2)):
        soft = softmax(series)
        plain = _normalize_or_nan("plain", series)
        x = shifts if name == "shift" else scales
        ax.plot(x, soft[:, 2], color=COLORS["softmax"], label="softmax: best arm")
        ax.plot(x, soft[:, 0], color=COLORS["softmax"], ls="--", label="softmax: worst arm")
        ax.plot(x, plain[:, 2], color=COLORS["plain"], label="q / Σq: best arm")
        ax.plot(x, plain[:, 0], color=COLORS["plain"], ls="--", label="q / Σq: worst arm")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("probability")
    ax1.axvspan(-6.0, -1.0, color="0.9")
    ax1.text(-5.8, 0.9, "q / Σq undefined\n(a value < 0)", fontsize=8)
    ax1.set_xlabel("constant c added to every value  (q = [1, 2, 3] + c)")
    ax1.set_title("Shift: softmax does not move")
    ax2.set_xscale("log")
    ax2.set_xlabel("factor s multiplying every value  (q = s · [1, 2, 3])")
    ax2.set_title("Scale: softmax moves (T is in reward units)")
    ax2.legend(fontsize=8, loc="upper left")
    return fig


def fig_logistic() -> Figure:
    """Two actions: softmax is the logistic function of the difference over T."""
    a = np.linspace(-6.0, 6.0, 241)
    two = np.stack([a, np.zeros_like(a)], -1)
    fig, (ax,) = _figure()
    for t, ls in ((0.5, ":"), (1.0, "-"), (2.0, "--")):
        ax.plot(
            a, softmax(two, t)[:, 0], color=COLORS["softmax"], ls=ls, label=f"softmax, T = {t:g}"
        )
    dots = a[::20]
    ax.plot(
        dots,
        1.0 / (1.0 + np.exp(-dots)),
        "o",
        ms=4,
        mfc="none",
        color="black",
        label="1 / (1 + exp(-Δ))",
    )
    ax.plot(
        a,
        Sparsemax(1.0).probs(two)[:, 0],
        color=COLORS["sparsemax"],
        label="sparsemax, T = 1 (hard sigmoid)",
    )
    ax.set_xlabel("Δ = q₁ - q₂")
    ax.set_ylabel("probability of action 1")
    ax.set_title("Two actions: softmax is the logistic function of Δ / T")
    ax.legend(fontsize=8)
    return fig


def fig_logsumexp_gradient() -> Figure:
    """Softmax is the gradient of log-sum-exp: arrows are softmax, curves level sets of lse."""
    fig, (ax1, ax2) = _figure(2)
    a = np.linspace(-4.0, 4.0, 161)
    two = np.stack([a, np.zeros_like(a)], -1)
    lse = logsumexp(two)
    ax1.plot(a, lse, color="black", label="lse(Δ, 0) = log(e^Δ + 1)")
    ax1.plot(a, np.maximum(a, 0.0), color="0.6", ls="--", label="max(Δ, 0)")
    ax1.plot(
        a,
        np.gradient(lse, a),
        color=COLORS["plain"],
        lw=3,
        alpha=0.5,
        label="slope of lse (numerical)",
    )
    ax1.plot(a, softmax(two)[:, 0], color=COLORS["softmax"], ls=":", label="softmax(Δ, 0)₁")
    ax1.set_xlabel("Δ")
    ax1.set_title("log-sum-exp: a smooth max whose slope is softmax")
    ax1.legend(fontsize=8)
    g = np.linspace(-2.0, 2.0, 9)
    x1, x2 = np.meshgrid(g, g)
    grid = np.stack([x1, x2, np.zeros_like(x1)], -1)  # a third action at value 0
    fine = np.linspace(-2.2, 2.2, 121)
    f1, f2 = np.meshgrid(fine, fine)
    levels = logsumexp(np.stack([f1, f2, np.zeros_like(f1)], -1))
    cs = ax2.contour(f1, f2, levels, levels=12, colors="0.6", linewidths=0.8)
    ax2.clabel(cs, fontsize=6, fmt="%.1f")
    p = softmax(grid)
    ax2.quiver(
        x1,
        x2,
        p[..., 0],
        p[..., 1],
        color=COLORS["softmax"],
        angles="xy",
        scale_units="xy",
        scale=2.2,
        width=0.006,
    )
    ax2.set_xlabel("q₁")
    ax2.set_ylabel("q₂  (q₃ = 0)")
    ax2.set_aspect("equal")
    ax2.set_title("arrows (p₁, p₂) = softmax ⊥ levels of lse", fontsize=10)
    return fig


def _expected_value_segment(q: np.ndarray, target: float, n: int = 400) -> np.ndarray:
    """Distributions on 3 actions with p @ q == target: one line segment in the simplex."""
    # p = p0 + s v with v orthogonal to (1, 1, 1) and to q; p0 any solution; keep p >= 0.
    ones = np.ones(3)
    v = np.cross(ones, q)
    v /= np.abs(v).max()
    p0 = np.linalg.lstsq(np.stack([ones, q]), np.array([1.0, target]), rcond=None)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        bounds = np.where(v != 0, -p0 / v, np.nan)
    lo = np.nanmax(np.where(v > 0, bounds, -np.inf))
    hi = np.nanmin(np.where(v < 0, bounds, np.inf))
    s = np.linspace(lo, hi, n)
    return np.clip(p0 + s[:, None] * v, 0.0, 1.0)


def _temperature_for_mean(q: np.ndarray, target: float) -> float:
    lo, hi = 1e-3, 1e3
    for _ in range(200):  # E_T[q] decreases with T: bisect on log T
        mid = np.sqrt(lo * hi)
        if softmax(q, mid) @ q > target:
            lo = mid
        else:
            hi = mid
    return float(np.sqrt(lo * hi))


def fig_max_entropy() -> Figure:
    """Among all distributions with a given expected value, softmax has the most entropy."""
    q = np.array([0.0, 1.0, 3.0])
    fig, (ax,) = _figure(width=6.0)
    for target, color in ((1.6, "#1f77b4"), (2.0, "#2ca02c"), (2.5, "#d62728")):
        seg = _expected_value_segment(q, target)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(seg > 0, seg * np.log(np.where(seg > 0, seg, 1.0)), 0.0).sum(-1)
        ax.plot(seg[:, 0], h, color=color, label=f"every p with E_p[q] = {target:g}")
        t = _temperature_for_mean(q, target)
        p = softmax(q, t)
        hp = float(-(p * np.log(p)).sum())
        ax.plot(p[0], hp, "*", ms=12, color=color, mec="black", label=f"softmax at T = {t:.2f}")
    ax.set_xlabel("p(worst action)  (position along the set of distributions)")
    ax.set_ylabel("entropy H(p) (nats)")
    ax.set_title("q = [0, 1, 3]: the softmax is the maximum-entropy choice")
    ax.set_ylim(0.15, 1.15)
    ax.legend(fontsize=7, ncols=2, loc="lower right")
    return fig


def fig_temperature_limits() -> Figure:
    """T -> 0 is the argmax (ties split), T -> inf uniform; also for the sparse rules."""
    q = np.array([0.0, 0.5, 1.0, 1.0])
    temps = np.geomspace(1e-3, 1e3, 241)
    fig, (ax1, ax2) = _figure(2)
    rows = np.broadcast_to(q, (temps.size, q.size))
    for ax, p, name in (
        (ax1, softmax(rows, temps), "softmax"),
        (ax2, Sparsemax(temps).probs(rows), "sparsemax"),
    ):
        for i, (v, ls) in enumerate(zip(q, (":", "--", "-", "-"))):
            lw = 3.0 if i == 2 else 1.5
            ax.plot(
                temps, p[:, i], ls=ls, lw=lw, label=f"q = {v:g}" + (" (tied)" if v == 1 else "")
            )
        ax.axhline(0.5, color="0.7", lw=0.6)
        ax.axhline(0.25, color="0.7", lw=0.6)
        ax.set_xscale("log")
        ax.set_xlabel("temperature T (reward units)")
        ax.set_title(f"{name}: argmax with ties split ← T → uniform")
    ax1.set_ylabel("probability")
    ax1.legend(fontsize=8)
    return fig


def fig_log_softmax_gradient() -> Figure:
    """d log π(a) / dH = one-hot(a) − π: the update of the gradient bandit."""
    h = np.array([0.5, -0.2, 1.0, 0.0])
    a = 2
    p = softmax(h)
    eps = 1e-6
    numeric = np.array(
        [(log_softmax(h + eps * e)[a] - log_softmax(h - eps * e)[a]) / (2 * eps) for e in np.eye(4)]
    )
    fig, (ax,) = _figure(width=6.0)
    x = np.arange(4)
    ax.bar(x - 0.2, p, 0.4, color=COLORS["softmax"], label="π = softmax(H)")
    ax.bar(x + 0.2, np.eye(4)[a] - p, 0.4, color="#ff7f0e", label=f"one-hot({a}) − π")
    ax.plot(x + 0.2, numeric, "ko", mfc="none", label="∂ log π(a) / ∂H, numerical")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xticks(x, [f"action {i}" + (" = a" if i == a else "") for i in x])
    ax.set_title("Gradient of log softmax: H ← H + α (R − R̄)(one-hot(a) − π)")
    ax.legend(fontsize=8)
    return fig


def fig_alternatives() -> Figure:
    """The alternatives on one row of values, and the soft operators on a pair."""
    q = np.array([-1.0, 0.0, 0.6, 1.0, 1.3])
    fig, (ax1, ax2) = _figure(2, width=5.5)
    rules = [
        ("softmax T = 0.5", softmax(q, 0.5), "softmax"),
        ("mellowmax ω = 2", Mellowmax(2.0).probs(q), "mellowmax"),
        ("1.5-entmax T = 0.5", Entmax15(0.5).probs(q), "entmax15"),
        ("sparsemax T = 0.5", Sparsemax(0.5).probs(q), "sparsemax"),
    ]
    width = 0.2
    x = np.arange(q.size)
    for j, (label, p, key) in enumerate(rules):
        ax1.bar(x + (j - 1.5) * width, p, width, label=label, color=COLORS[key])
    ax1.set_xticks(x, [f"{v:g}" for v in q])
    ax1.set_xlabel("action value q")
    ax1.set_ylabel("probability")
    ax1.set_title("sparse rules put exactly 0 on bad actions")
    ax1.legend(fontsize=8)
    b = np.linspace(0.0, 5.0, 201)
    pair = np.stack([np.zeros_like(b), b], -1)
    boltz = boltzmann_weighted_average(pair, 1.0)
    mm = mellowmax(pair, 1.0)
    ax2.plot(b, np.gradient(boltz, b), color=COLORS["softmax"], label="Boltzmann average, T = 1")
    ax2.plot(b, np.gradient(mm, b), color=COLORS["mellowmax"], label="mellowmax, ω = 1")
    ax2.plot(
        b, np.gradient(logsumexp(pair, 1.0), b), color="0.5", ls="--", label="log-sum-exp, T = 1"
    )
    ax2.axhline(1.0, color="black", lw=0.8)
    slope = np.gradient(boltz, b)
    ax2.fill_between(
        b,
        1.0,
        slope,
        where=slope > 1.0,
        color=COLORS["plain"],
        alpha=0.3,
        label="slope > 1: not a non-expansion",
    )
    ax2.set_xlabel("a, the second of two values [0, a]")
    ax2.set_ylabel("d operator / d a")
    ax2.set_title("soft operators: slope above 1 breaks value iteration")
    ax2.legend(fontsize=8)
    return fig


FIGURES: dict[str, Callable[[], Figure]] = {
    "why-positive-monotone": fig_positive_monotone,
    "why-shift-scale": fig_shift_scale,
    "why-logistic": fig_logistic,
    "why-logsumexp-gradient": fig_logsumexp_gradient,
    "why-max-entropy": fig_max_entropy,
    "why-temperature-limits": fig_temperature_limits,
    "why-log-softmax-gradient": fig_log_softmax_gradient,
    "why-alternatives": fig_alternatives,
}


def main(argv: Sequence[str] | None = None) -> list[Path]:
    """Write every figure as PNG; return the paths written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    parser.add_argument("--only", nargs="*", choices=sorted(FIGURES), help="draw only these")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in args.only if args.only is not None else FIGURES:
        fig = FIGURES[name]()
        path = args.out / f"{name}.png"
        fig.savefig(path, dpi=110, metadata={"Software": None})
        written.append(path)
        print(path)
    return written


if __name__ == "__main__":
    main()
