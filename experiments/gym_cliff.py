"""Cliff walking: SARSA's safer path against Q-learning's, with ε-greedy and with Boltzmann.

Sutton and Barto's Example 6.6 (2nd ed., figure 6.4) on gymnasium's CliffWalking-v1:
ε-greedy with ε = 0.1, α = 0.5, γ = 1, 500 episodes. Q-learning learns the values
of the optimal path along the edge of the cliff, but its ε-greedy behaviour keeps
stepping off it (-100 and back to the start), so its returns *during learning* are
worse than SARSA's, which learns the values of the policy it follows and so takes
the longer path away from the edge. Expected SARSA sits in between or above.

The same three agents with a Boltzmann policy (T = 1) show what changes when
exploration is graded by value: the step into the cliff is about 100 worse than the
others, so a Boltzmann policy almost never takes it once it is known; the gap between
the agents shrinks.

Run::

    python experiments/gym_cliff.py                  # 30 seeds, about 3 min on 2 cores
    python experiments/gym_cliff.py --quick --out /tmp/cliff

Writes to ``--out`` (default ``experiments/gym_figures``): ``gym_cliff_returns.png``
(sum of rewards per episode during learning, mean over seeds, 95 % band),
``gym_cliff_paths.png`` (the greedy path of each agent after learning, seed 0) and
``gym_cliff.json`` (the numbers quoted in ``experiments/gym_README.md``).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from boltzmann_rl.gym import GymResult, make_agent, make_env, run_gym
from boltzmann_rl.gym.plots import plot_grid_paths, plot_learning_curve
from boltzmann_rl.stats import mean_ci

AGENTS = ("qlearning", "sarsa", "expected-sarsa")
POLICIES = {
    "ε-greedy, ε = 0.1": "egreedy(epsilon=0.1)",
    "Boltzmann, T = 1": "boltzmann(temperature=1.0)",
}
SHAPE = (4, 12)
START, GOAL = (3, 0), (3, 11)
CLIFF = [(3, c) for c in range(1, 11)]


def run_one(agent: str, policy: str, seed: int, episodes: int) -> dict:
    """One learning run: per-episode returns, the final Q table, falls per episode."""
    result = run_gym(
        "CliffWalking-v1",
        agent,
        policy,
        episodes=episodes,
        alpha=0.5,
        gamma=1.0,
        seed=seed,
        eval_episodes=1,
        eval_every=episodes,
    )
    return {
        "returns": result.episode_returns.tolist(),
        "lengths": result.episode_lengths.tolist(),
        "q": result.trained_agent.q.tolist(),
        "greedy_return": result.summary()["eval_return"],
    }


def greedy_path(q: np.ndarray, max_steps: int = 60) -> list[tuple[int, int]]:
    """The cells visited by the greedy policy of ``q`` from the start (ties: lowest index)."""
    env = make_env("CliffWalking-v1")
    agent = make_agent("qlearning", env.observation_space, env.action_space, "greedy", rng=0)
    agent.q[:] = q
    obs, _ = env.reset(seed=0)
    path = [divmod(int(obs), SHAPE[1])]
    for _ in range(max_steps):
        obs, _, terminated, truncated, _ = env.step(int(np.argmax(agent.q[obs])))
        path.append(divmod(int(obs), SHAPE[1]))
        if terminated or truncated:
            break
    env.close()
    return path


def _result(label: str, returns: list[float]) -> GymResult:
    n = len(returns)
    zeros = np.zeros(n, dtype=np.int64)
    return GymResult("CliffWalking-v1", label, label, 0, np.array(returns), zeros, zeros)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2 seeds, 20 episodes (smoke run)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "gym_figures"))
    args = parser.parse_args(argv)
    seeds = 2 if args.quick else args.seeds
    episodes = 20 if args.quick else args.episodes
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(a, p, s) for p in POLICIES.values() for a in AGENTS for s in range(seeds)]
    start = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(run_one, *zip(*jobs), [episodes] * len(jobs)))
    else:
        results = [run_one(*job, episodes) for job in jobs]
    elapsed = time.perf_counter() - start
    by = {job: r for job, r in zip(jobs, results)}

    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    summary: dict = {"seeds": seeds, "episodes": episodes, "seconds": round(elapsed, 1)}
    for ax, (label, spec) in zip(axes, POLICIES.items()):
        groups = {
            agent: [_result(agent, by[(agent, spec, s)]["returns"]) for s in range(seeds)]
            for agent in AGENTS
        }
        plot_learning_curve(groups, window=10, ax=ax, show_eval=False, title=label)
        ax.set_ylim(-110, 0)
        ax.set_ylabel("sum of rewards per episode (moving avg. of 10)")
        stats = {}
        for agent in AGENTS:
            runs = [by[(agent, spec, s)] for s in range(seeds)]
            tail = np.array([np.mean(r["returns"][len(r["returns"]) // 2 :]) for r in runs])
            m, h = mean_ci(tail)
            lengths = Counter(len(greedy_path(np.array(r["q"]))) - 1 for r in runs)
            stats[agent] = {
                "online_return_second_half": float(m),
                "online_return_second_half_ci": float(h),
                "greedy_path_lengths": {str(k): v for k, v in sorted(lengths.items())},
                "greedy_return_mean": float(np.mean([r["greedy_return"] for r in runs])),
            }
        summary[label] = stats
    fig.suptitle(f"CliffWalking-v1: α = 0.5, γ = 1, {seeds} seeds")
    fig.savefig(out / "gym_cliff_returns.png", dpi=110)

    paths_fig = Figure(figsize=(12, 5.4), layout="constrained")
    axes = paths_fig.subplots(2, 1)
    for ax, (label, spec) in zip(axes, POLICIES.items()):
        paths = {agent: greedy_path(np.array(by[(agent, spec, 0)]["q"])) for agent in AGENTS}
        plot_grid_paths(
            SHAPE,
            paths,
            cliff=CLIFF,
            start=START,
            goal=GOAL,
            ax=ax,
            title=f"greedy paths after learning with {label} (seed 0)",
        )
    paths_fig.savefig(out / "gym_cliff_paths.png", dpi=110)
    (out / "gym_cliff.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    print(f"{len(jobs)} runs in {elapsed:.0f} s; wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
