"""Benchmark: the agent's share of a training step against the environment's own step (issue 5).

Measured in one run, on FrozenLake-v1 and Taxi-v4 (``gymnasium.make``, so with the
standard wrappers a user gets):

* **env**: the environment's own steps with random actions (drawn beforehand, so no
  sampling is timed), resetting at each episode end;
* **train**: the full training loop, :func:`boltzmann_rl.gym.train`, of a tabular
  Q-learning agent with a Boltzmann policy at a fixed temperature, for the same
  number of steps;
* **agent share** ``(train - env) / env``: what the agent (decision, update,
  counters, the loop's bookkeeping) adds per step, relative to the environment's
  own step. Target: at most 50 %.

To show where the agent's time goes, the same loop is also timed with a protocol
policy that does no work (``int(u * K)`` from the agent's uniform, through the same
``sample_row`` fast path as the Boltzmann policy): that run minus the environment
and minus the draw itself is the agent's own work (the update, the counters, the
loop, the row read); the rest of the agent share is the policy's decision, which is
also timed standalone on one row. Informative rows follow for SARSA / Expected
SARSA and for other policies (annealed Boltzmann, ε-greedy, greedy).

Run: ``python benchmarks/bench_gym.py`` (``--quick`` for a smoke run). Each figure
is the best of ``--repeat`` runs of ``--steps`` steps, the variants interleaved, in
CPU time of the process (``time.process_time``), so that other processes on the
machine disturb the figures less.
"""

from __future__ import annotations

import argparse
import platform
import time

import gymnasium
import numpy as np

from boltzmann_rl.gym import make_agent, make_env, train


class NoWork:
    """A Policy (and RowPolicy) object that draws uniformly and does nothing else."""

    needs_counts = False

    def probs(self, q, *, step=0, counts=None):
        return np.full(np.shape(q), 1.0 / np.shape(q)[-1])

    def sample(self, q, rng, *, step=0, counts=None):
        return int(rng.random() * len(q))

    def sample_row(self, row, u, *, step=0):
        return int(u * len(row))

    def probs_row(self, row, *, step=0):
        return [1.0 / len(row)] * len(row)

    def log_prob(self, q, action, *, step=0, counts=None):
        return -np.log(np.shape(q)[-1])

    def entropy(self, q, *, step=0, counts=None):
        return np.log(np.shape(q)[-1])

    def __repr__(self):
        return "nowork"


def time_env(env_id: str, steps: int) -> float:
    """Seconds per step of the environment alone, random actions drawn beforehand."""
    env = make_env(env_id)
    actions = np.random.default_rng(0).integers(env.action_space.n, size=steps).tolist()
    env.reset(seed=0)
    step, reset = env.step, env.reset
    start = time.process_time()
    for a in actions:
        _, _, terminated, truncated, _ = step(a)
        if terminated or truncated:
            reset()
    elapsed = time.process_time() - start
    env.close()
    return elapsed / steps


def time_train(env_id: str, steps: int, algorithm: str, policy, **kwargs) -> float:
    """Seconds per step of the full training loop."""
    env = make_env(env_id)
    agent = make_agent(algorithm, env.observation_space, env.action_space, policy, rng=0, **kwargs)
    start = time.process_time()
    result = train(agent, env, steps=steps, seed=0)
    elapsed = time.process_time() - start
    env.close()
    assert result.steps == steps
    return elapsed / steps


def time_sample(policy, k: int, number: int) -> float:
    """Seconds per single decision on one row of ``k`` values, standalone.

    What the agent calls: ``sample_row`` on the row as a list with a uniform taken from
    a list (the agent's block) when the policy has it, else ``sample`` on the row.
    """
    import timeit

    from boltzmann_rl.policies import RowPolicy
    from boltzmann_rl.spec import parse_policy

    pi = parse_policy(policy) if isinstance(policy, str) else policy
    q = np.linspace(0.0, 1.0, k)
    rng = np.random.default_rng(0)
    if isinstance(pi, RowPolicy):
        row, sample_row, us = q.tolist(), pi.sample_row, iter(rng.random(10 * number).tolist())
        call = lambda: sample_row(row, next(us), step=5)  # noqa: E731
    else:
        sample = pi.sample
        call = lambda: sample(q, rng, step=5)  # noqa: E731
    return min(timeit.repeat(call, number=number, repeat=3)) / number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps (smoke run)")
    parser.add_argument("--repeat", type=int, default=15, help="timing repeats (best is kept)")
    parser.add_argument("--steps", type=int, default=30_000, help="steps per timing")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    steps = 2_000 if args.quick else args.steps
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"gymnasium {gymnasium.__version__}, {platform.machine()}; {steps} steps, "
        f"best of {repeat}"
    )
    boltzmann = "boltzmann(temperature=0.5)"
    informative = [
        ("sarsa", boltzmann),
        ("expected-sarsa", boltzmann),
        ("qlearning", "boltzmann(temperature=exp(1.0, 0.05, 50000))"),
        ("qlearning", "egreedy(epsilon=0.1)"),
        ("qlearning", "greedy"),
    ]
    worst = 0.0
    for env_id in ("FrozenLake-v1", "Taxi-v4"):
        env_t, train_t, nowork_t = [], [], []
        for _ in range(repeat):
            env_t.append(time_env(env_id, steps))
            train_t.append(time_train(env_id, steps, "qlearning", boltzmann))
            nowork_t.append(time_train(env_id, steps, "qlearning", NoWork()))
        e, t, nw = min(env_t), min(train_t), min(nowork_t)
        k = make_env(env_id).action_space.n
        alone = time_sample(boltzmann, k, steps)
        draw = time_sample(NoWork(), k, steps)
        share = (t - e) / e
        worst = max(worst, share)
        print(f"\n{env_id}")
        print(f"  env step, random actions            {e * 1e6:7.2f} us")
        print(f"  train step, Q-learning + {boltzmann}  {t * 1e6:7.2f} us")
        print(
            f"  agent share (train - env) / env     {share:7.0%}   "
            f"(target <= 50%: {'met' if share <= 0.5 else 'NOT met'})"
        )
        own = nw - e - draw
        print(
            f"    of which the policy's sample      {(t - e - own) / e:7.0%}   "
            f"({(t - e - own) * 1e6:.2f} us/step; standalone {alone * 1e6:.2f} us per call)"
        )
        print(
            f"    of which the agent's own work     {own / e:7.0%}   "
            f"({own * 1e6:.2f} us/step: update, counters, loop; no-work policy "
            f"{nw * 1e6:.2f} us/step minus its {draw * 1e6:.2f} us draw)"
        )
        for algorithm, policy in informative:
            ti = min(
                time_train(env_id, steps // 2 if not args.quick else steps, algorithm, policy)
                for _ in range(max(1, repeat // 2))
            )
            print(
                f"  train step, {algorithm:14s} + {policy:44s} {ti * 1e6:7.2f} us, "
                f"agent share {(ti - e) / e:5.0%}"
            )
    print(f"\nworst agent share (Boltzmann, Q-learning): {worst:.0%} (target <= 50%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
