"""Benchmark: the batched tabular engine against the per-env training loop (issue 12).

Measured in one run, on FrozenLake-v1 and Taxi-v4:

* **per-env**: :func:`boltzmann_rl.gym.train` of one tabular Q-learning agent with a
  Boltzmann policy at a fixed temperature on the gymnasium environment, time per
  transition;
* **engine**: :func:`boltzmann_rl.gym.tabular.train_tabular` with the same agent and
  policy for ``R`` = 100, 1,000 and 10,000 runs, metrics included (per-episode
  returns and lengths, the exact greedy value of every run every 100 episodes), time
  per learned transition (the sum of all runs' episode lengths: a run that has
  finished its episodes while others go on is not counted);
* **speed-up**: per-env time per step over engine time per run-step. Targets at
  R = 1,000: at least 75x on FrozenLake-v1 and 50x on Taxi-v4.

The two sides alternate ``--repeat`` times; the table shows medians of CPU time
(``time.process_time``) so that other processes on the machine disturb the figures
less. ``--quick`` is a smoke run.

Run: ``python benchmarks/bench_tabular.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from boltzmann_rl.gym import make_agent, make_env, train
from boltzmann_rl.gym.tabular import TabularModel, train_tabular

CASES = {
    # env id: (temperature, alpha, per-env steps, engine episodes per R)
    "FrozenLake-v1": (0.1, 0.1, 40_000, {100: 2000, 1000: 400, 10_000: 60}),
    "Taxi-v4": (1.0, 0.5, 40_000, {100: 300, 1000: 60, 10_000: 8}),
}


def per_env(env_id: str, temperature: float, alpha: float, steps: int, seed: int) -> float:
    """CPU seconds per transition of the per-env training loop."""
    env = make_env(env_id)
    agent = make_agent(
        "qlearning",
        env.observation_space,
        env.action_space,
        f"boltzmann(temperature={temperature})",
        alpha=alpha,
        gamma=0.99,
        rng=seed,
    )
    start = time.process_time()
    result = train(agent, env, steps=steps, seed=seed)
    elapsed = time.process_time() - start
    env.close()
    return elapsed / result.steps


def engine(
    model: TabularModel, temperature: float, alpha: float, runs: int, episodes: int, seed: int
) -> tuple[float, float]:
    """CPU seconds per learned run-step of the engine, and peak bytes of its arrays."""
    start = time.process_time()
    result = train_tabular(
        model,
        f"boltzmann(temperature={temperature})",
        runs=runs,
        episodes=episodes,
        alpha=alpha,
        gamma=0.99,
        eval_every=100 if episodes >= 100 else episodes,
        seed=seed,
    )
    elapsed = time.process_time() - start
    run_steps = int(result.episode_lengths.sum())
    nbytes = result.q.nbytes + result.episode_returns.nbytes + result.episode_lengths.nbytes
    return elapsed / run_steps, nbytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke run (seconds)")
    parser.add_argument(
        "--runs", type=int, nargs="+", help="only these R (of 100, 1000, 10000)", default=None
    )
    parser.add_argument("--env", nargs="+", help="only these environments", default=None)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, nproc {os.cpu_count()}")
    print(f"load before: {os.getloadavg()[0]:.2f}")
    print("| env | R | per-env | engine / run-step | speed-up | target |")
    print("| --- | --- | --- | --- | --- | --- |")
    for env_id, (temp, alpha, steps, sizes) in CASES.items():
        if args.env is not None and env_id not in args.env:
            continue
        model = TabularModel.from_env(env_id)
        if args.runs is not None:
            sizes = {r: e for r, e in sizes.items() if r in args.runs}
        if args.quick:
            steps, sizes = 2000, {100: 20}
        for runs, episodes in sizes.items():
            base, ours = [], []
            for i in range(1 if args.quick else args.repeat):
                base.append(per_env(env_id, temp, alpha, steps, seed=i))
                ours.append(engine(model, temp, alpha, runs, episodes, seed=i)[0])
            b, o = statistics.median(base), statistics.median(ours)
            target = {"FrozenLake-v1": 75, "Taxi-v4": 50}[env_id] if runs == 1000 else None
            met = "" if target is None else f">= {target}x: {'yes' if b / o >= target else 'no'}"
            print(
                f"| {env_id} | {runs:,} | {b * 1e6:.2f} µs | {o * 1e9:.0f} ns | "
                f"**{b / o:.0f}x** | {met} |"
            )
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
