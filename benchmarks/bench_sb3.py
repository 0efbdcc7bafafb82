"""Benchmark: the Stable-Baselines3 plug-in's cost per environment step (issue 15).

On CartPole-v1 with the rl-baselines3-zoo DQN hyperparameters, in one run:

* **stock**: SB3's own ``DQN.learn`` for ``--steps`` steps (its ε-greedy);
* **plug-in**: :class:`boltzmann_rl.sb3.BoltzmannDQN` for the same steps, with a
  Boltzmann policy at a fixed temperature, and with our ε-greedy on SB3's schedule;
* **extra** ``plug-in / stock - 1``: what drawing from the policy on the Q-values
  (the network's values to numpy, the draw, the entropy, the logging) adds to a
  whole training step (environment, replay buffer, gradient steps). Target <= 10 %.

A decision alone is timed too: stock ``predict`` (non-deterministic) against the
plug-in's ``_sample_action`` on one observation.

The variants alternate, ``--repeat`` times; figures are medians of CPU time of the
process (``time.process_time``) per step. Torch runs on one thread (on a shared
machine its thread pool only spins). Run: ``python benchmarks/bench_sb3.py``
(``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from boltzmann_rl.sb3 import DQN, BoltzmannDQN

ZOO = {  # rl-baselines3-zoo hyperparams/dqn.yml, CartPole-v1
    "learning_rate": 2.5e-4,
    "batch_size": 512,
    "buffer_size": 100_000,
    "learning_starts": 0,
    "gamma": 0.99,
    "target_update_interval": 5000,
    "train_freq": 16,
    "gradient_steps": 4,
    "exploration_fraction": 0.06,
    "exploration_final_eps": 0.11,
}

VARIANTS = {
    "stock SB3 DQN": None,
    "plug-in, boltzmann(temperature=1.0)": "boltzmann(temperature=1.0)",
    "plug-in, our egreedy on SB3's schedule": "egreedy",
}


def _model(policy: str | None, steps: int, seed: int):
    if policy is None:
        return DQN("MlpPolicy", "CartPole-v1", seed=seed, **ZOO)
    if policy == "egreedy":
        return BoltzmannDQN("MlpPolicy", "CartPole-v1", seed=seed, **ZOO)  # SB3's rule
    return BoltzmannDQN("MlpPolicy", "CartPole-v1", policy, seed=seed, **ZOO)


def train_step(policy: str | None, steps: int, seed: int) -> float:
    """CPU seconds per step of ``learn(steps)`` (model construction excluded)."""
    model = _model(policy, steps, seed)
    t0 = time.process_time()
    model.learn(steps)
    return (time.process_time() - t0) / steps


def decision(policy: str | None, n: int, seed: int) -> float:
    """CPU seconds per exploratory decision on one CartPole observation."""
    model = _model(policy, n, seed)
    model.learn(32)  # sets _last_obs, the schedules and the logger
    obs = model._last_obs
    t0 = time.process_time()
    if policy is None:
        for _ in range(n):
            model.predict(obs, deterministic=False)
    else:
        for _ in range(n):
            model._sample_action(0, n_envs=1)
    return (time.process_time() - t0) / n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="a smoke run (300 steps, once)")
    a = p.parse_args(argv)
    if a.quick:
        a.steps, a.repeat = 300, 1
    torch.set_num_threads(1)
    print(f"load average at start: {os.getloadavg()[0]:.2f}; torch {torch.__version__}")
    train: dict[str, list[float]] = {k: [] for k in VARIANTS}
    dec: dict[str, list[float]] = {k: [] for k in VARIANTS}
    for r in range(a.repeat):
        for name, policy in VARIANTS.items():
            train[name].append(train_step(policy, a.steps, seed=r))
            dec[name].append(decision(policy, max(200, a.steps // 5), seed=r))
    base_t = statistics.median(train["stock SB3 DQN"])
    print(f"{'variant':42s} {'us/step':>9s} {'extra':>7s} {'us/decision':>12s}")
    for name in VARIANTS:
        t = statistics.median(train[name])
        d = statistics.median(dec[name])
        print(f"{name:42s} {t * 1e6:9.1f} {t / base_t - 1:+7.1%} {d * 1e6:12.1f}")
    for name in list(VARIANTS)[1:]:
        extra = statistics.median(train[name]) / base_t - 1
        print(f"ratio {name}: {extra:+.3f} (target <= +0.10)")
    spread = np.ptp(train["stock SB3 DQN"]) / base_t if a.repeat > 1 else 0.0
    print(f"stock run-to-run spread: {spread:.1%} of its median")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
