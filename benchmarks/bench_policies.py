"""Benchmark: policy sampling, against what a user would otherwise write (issue 3).

Measured in one run, each a ratio against a baseline timed in the same run:

* one decision on one row of 4 to 18 action values (what a gym agent does every
  step): ``Boltzmann.sample`` against ``scipy.special.softmax`` followed by
  ``rng.choice(K, p=p)``; target at least 4x faster;
* batched ``Boltzmann.sample`` (and ``EpsilonGreedy.sample``) on a (2000, 10) array
  against the floor of ``np.exp`` on that array; target at most 6x.

Run: ``python benchmarks/bench_policies.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import platform
import timeit

import numpy as np

from boltzmann_rl.policies import Boltzmann, EpsilonGreedy


def best(stmt, number: int, repeat: int) -> float:
    """Best time per call in seconds over ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions (smoke run)")
    parser.add_argument("--repeat", type=int, default=7, help="timing repeats (best is kept)")
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else args.repeat
    scale = 0.02 if args.quick else 1.0

    import scipy.special

    rng = np.random.default_rng(0)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print("single decision: Boltzmann(0.5).sample(q, rng) vs scipy softmax + rng.choice")
    pi = Boltzmann(temperature=0.5)
    worst = np.inf
    for k in (4, 6, 10, 18):
        q = rng.normal(size=k)
        n = max(int(20_000 * scale), 50)
        ours = best(lambda q=q: pi.sample(q, rng), n, repeat)
        base = best(lambda q=q, k=k: rng.choice(k, p=scipy.special.softmax(q / 0.5)), n, repeat)
        worst = min(worst, base / ours)
        print(
            f"  K={k:2d}: ours {ours * 1e6:6.2f} us, scipy+choice {base * 1e6:6.2f} us, "
            f"speed-up {base / ours:5.1f}x"
        )
    print(f"  worst speed-up {worst:.1f}x (target >= 4x): {'met' if worst >= 4 else 'NOT met'}")

    print("batched: sample on (2000, 10) vs the np.exp floor of that array")
    q = rng.normal(size=(2000, 10))
    n = max(int(300 * scale), 5)
    floor = best(lambda: np.exp(q), n, repeat)
    for name, policy, target in (
        ("Boltzmann(0.1)", Boltzmann(0.1), 6.0),
        ("EpsilonGreedy(0.1)", EpsilonGreedy(0.1), None),
    ):
        t = best(lambda policy=policy: policy.sample(q, rng), n, repeat)
        ratio = t / floor
        verdict = (
            "(no target; for the record)"
            if target is None
            else f"(target <= {target:g}x): {'met' if ratio <= target else 'NOT met'}"
        )
        print(
            f"  {name:20s} {t * 1e6:8.1f} us = {ratio:4.1f}x floor ({floor * 1e6:.1f} us) {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
