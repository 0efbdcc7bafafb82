"""Benchmark: the full 10-armed testbed against the np.exp floor and a per-run loop.

Run from the repository root::

    python benchmarks/bench_bandit.py            # the figures in benchmarks/README.md
    python benchmarks/bench_bandit.py --quick    # fewer repeats

What is timed, in the same process. Every figure is the smallest **CPU time** of this
process over several repeats (``time.process_time``): numpy runs single-threaded here,
so on a quiet machine it equals the wall time, and on a busy one it is less inflated by
other processes than the wall time is.

* **floor**: ``np.exp`` on a ``(2000, 10)`` float64 array, 1000 times: the cost of one
  elementwise pass over the action values per step, the least any softmax simulation
  of 2000 runs x 1000 steps must pay;
* **boltzmann_rl**: :func:`boltzmann_rl.bandits.simulate` on the testbed (2000 runs x
  1000 steps), Boltzmann T = 0.1 and ε-greedy ε = 0.1, sample averages, every metric
  (mean reward, % optimal, cumulative regret, entropy, 95 % CIs, summaries) included;
* **plain numpy**: a straightforward program vectorized over runs, ``(runs, arms)``
  arrays, softmax sampling by ``cumsum`` (reward and % optimal only);
* **per-run loop**: the textbook kind of program, one run at a time in Python, built
  like the widely used reference code of the book's chapter 2 (timed on fewer runs,
  scaled to 2000);
* **memory**: peak traced allocation of ``simulate`` at 1000 and 4000 steps.
"""

from __future__ import annotations

import argparse
import gc
import math
import time
import tracemalloc

import numpy as np

from boltzmann_rl.bandits import GaussianBandit, simulate

RUNS, STEPS, ARMS = 2000, 1000, 10


def best_of(fn, repeats: int) -> float:
    """Smallest CPU time (seconds) of ``repeats`` calls of ``fn``."""
    best = math.inf
    for _ in range(repeats):
        gc.collect()
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def floor() -> None:
    x = np.random.default_rng(0).standard_normal((RUNS, ARMS))
    for _ in range(STEPS):
        np.exp(x)


def plain_numpy(policy: str, runs: int = RUNS, steps: int = STEPS, seed: int = 0):
    """A plain vectorized program: what one writes without tuning."""
    rng = np.random.default_rng(seed)
    q_true = rng.standard_normal((runs, ARMS))
    best = q_true.argmax(axis=1)
    q = np.zeros((runs, ARMS))
    n = np.zeros((runs, ARMS))
    rows = np.arange(runs)
    avg_reward = np.empty(steps)
    optimal = np.empty(steps)
    for t in range(steps):
        if policy == "boltzmann":
            z = (q - q.max(axis=1, keepdims=True)) / 0.1
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            cdf = p.cumsum(axis=1)
            a = (cdf < rng.random((runs, 1))).sum(axis=1).clip(max=ARMS - 1)
        else:
            greedy = q.argmax(axis=1)
            explore = rng.random(runs) < 0.1
            a = np.where(explore, rng.integers(0, ARMS, runs), greedy)
        r = q_true[rows, a] + rng.standard_normal(runs)
        n[rows, a] += 1
        q[rows, a] += (r - q[rows, a]) / n[rows, a]
        avg_reward[t] = r.mean()
        optimal[t] = (a == best).mean()
    return avg_reward, optimal


class TextbookBandit:
    """One run of the testbed, one decision at a time: the structure of the widely used
    reference code for the book's chapter 2 (a class with ``act`` and ``step``, ties
    broken with ``choice``, the softmax drawn with ``choice(p=...)``)."""

    def __init__(self, rng: np.random.Generator, policy: str) -> None:
        self.rng = rng
        self.policy = policy
        self.indices = np.arange(ARMS)

    def reset(self) -> None:
        self.q_true = self.rng.standard_normal(ARMS)
        self.q_estimation = np.zeros(ARMS)
        self.action_count = np.zeros(ARMS)
        self.best_action = np.argmax(self.q_true)

    def act(self) -> int:
        if self.policy == "boltzmann":
            e = np.exp((self.q_estimation - self.q_estimation.max()) / 0.1)
            self.action_prob = e / e.sum()
            return self.rng.choice(self.indices, p=self.action_prob)
        if self.rng.random() < 0.1:
            return self.rng.choice(self.indices)
        q_best = np.max(self.q_estimation)
        return self.rng.choice(np.where(self.q_estimation == q_best)[0])

    def step(self, action: int) -> float:
        reward = self.rng.standard_normal() + self.q_true[action]
        self.action_count[action] += 1
        self.q_estimation[action] += (reward - self.q_estimation[action]) / self.action_count[
            action
        ]
        return reward


def per_run_loop(policy: str, runs: int, steps: int = STEPS, seed: int = 0):
    """The textbook kind: one run at a time, one decision at a time, in Python."""
    bandit = TextbookBandit(np.random.default_rng(seed), policy)
    rewards = np.zeros((runs, steps))
    best_action_counts = np.zeros((runs, steps))
    for run in range(runs):
        bandit.reset()
        for t in range(steps):
            action = bandit.act()
            rewards[run, t] = bandit.step(action)
            if action == bandit.best_action:
                best_action_counts[run, t] = 1
    return rewards.mean(axis=0), best_action_counts.mean(axis=0)


def peak_memory(steps: int) -> int:
    tracemalloc.start()
    simulate(GaussianBandit(), "boltzmann(temperature=0.1)", runs=RUNS, steps=steps, seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and loop runs")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    loop_runs = 5 if args.quick else 20

    env = GaussianBandit()
    simulate(env, "greedy", runs=RUNS, steps=50, seed=0)  # warm up imports and caches
    rows = []
    floor_s = best_of(floor, repeats * 2)
    for label, spec, kind in (
        ("Boltzmann T=0.1", "boltzmann(temperature=0.1)", "boltzmann"),
        ("ε-greedy 0.1", "egreedy(epsilon=0.1)", "egreedy"),
    ):
        ours = best_of(lambda s=spec: simulate(env, s, runs=RUNS, steps=STEPS, seed=0), repeats)
        plain = best_of(lambda k=kind: plain_numpy(k), max(repeats // 2, 2))
        loop = best_of(lambda k=kind: per_run_loop(k, loop_runs), 2) * RUNS / loop_runs
        f2 = best_of(floor, repeats)  # the floor again, next to this measurement
        fl = min(floor_s, f2)
        rows.append((label, ours, plain, loop, fl))

    print(f"floor (np.exp on (2000, 10), 1000 times): {floor_s * 1e3:.1f} ms\n")
    print(
        "| policy | boltzmann_rl | x floor | plain numpy | x floor | per-run loop (scaled) "
        "| loop / ours |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, ours, plain, loop, fl in rows:
        print(
            f"| {label} | {ours * 1e3:.0f} ms | {ours / fl:.1f} | {plain * 1e3:.0f} ms | "
            f"{plain / fl:.1f} | {loop:.1f} s | {loop / ours:.0f} |"
        )
    m1, m4 = peak_memory(1000), peak_memory(4000)
    print(
        f"\npeak traced memory of simulate, 2000 runs: {m1 / 2**20:.1f} MiB at 1000 steps, "
        f"{m4 / 2**20:.1f} MiB at 4000 steps (per-step metric arrays: "
        f"{(m4 - m1) / 3000:.0f} bytes per extra step)"
    )


if __name__ == "__main__":
    main()
