"""Mountain Car with tile coding: a linear action-value function driven by our policies.

Sutton and Barto's Example 10.1 (2nd ed., figures 10.1 and 10.2) on gymnasium's
MountainCar-v0: semi-gradient SARSA with 8 tilings of 8 x 8 tiles over (position,
velocity), α = 0.5 (that is 0.5 / 8 per active tile), γ = 1, 200-step episodes. The
action values start at 0 while every reward is -1, so they are optimistic and even
the greedy policy explores. Boltzmann (T = 0.5) and ε-greedy (ε = 0.01) run on the
same agent; Q-learning and Expected SARSA are run too.

Run::

    python experiments/gym_mountaincar.py            # 5 seeds x 300 episodes, about 4 min
    python experiments/gym_mountaincar.py --quick --out /tmp/mc

Writes to ``--out`` (default ``experiments/gym_figures``): ``gym_mountaincar.png``
(steps per episode, mean over seeds with a 95 % band) and
``gym_mountaincar_cost_to_go.png`` (``-max_a q(s, a)`` after learning, seed 0), and
``gym_mountaincar.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from boltzmann_rl.gym import GymResult, run_gym
from boltzmann_rl.gym.plots import plot_learning_curve
from boltzmann_rl.stats import mean_ci

POLICIES = {
    "greedy (optimistic Q₀ = 0)": "greedy",
    "Boltzmann, T = 0.5": "boltzmann(temperature=0.5)",
    "ε-greedy, ε = 0.01": "egreedy(epsilon=0.01)",
}
AGENTS = ("sarsa", "qlearning", "expected-sarsa")


def run_one(agent: str, policy: str, seed: int, episodes: int, eval_episodes: int = 20) -> dict:
    """One run; the weights come back for the cost-to-go figure."""
    result = run_gym(
        "MountainCar-v0",
        agent,
        policy,
        episodes=episodes,
        alpha=0.5,
        gamma=1.0,
        seed=seed,
        eval_episodes=eval_episodes,
        eval_every=max(episodes // 10, 1),
        agent_kwargs={"tilings": 8, "tiles": 8},
    )
    learner = result.trained_agent
    grid = np.stack(
        np.meshgrid(np.linspace(-1.2, 0.6, 60), np.linspace(-0.07, 0.07, 60)), axis=-1
    ).reshape(-1, 2)
    cost = -learner.w[learner.coder.batch(grid)].sum(axis=1).max(axis=1)
    return {
        "returns": result.episode_returns.tolist(),
        "summary": result.summary(),
        "cost_to_go": cost.reshape(60, 60).tolist(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 seed, 3 episodes (smoke run)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "gym_figures"))
    args = parser.parse_args(argv)
    seeds = 1 if args.quick else args.seeds
    episodes = 3 if args.quick else args.episodes
    eval_episodes = 2 if args.quick else 20
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(a, p, s) for a in AGENTS for p in POLICIES.values() for s in range(seeds)]
    start = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(
                pool.map(run_one, *zip(*jobs), [episodes] * len(jobs), [eval_episodes] * len(jobs))
            )
    else:
        results = [run_one(*job, episodes, eval_episodes) for job in jobs]
    elapsed = time.perf_counter() - start
    by = {job: r for job, r in zip(jobs, results)}

    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4.2), layout="constrained")
    axes = fig.subplots(1, len(AGENTS), sharey=True)
    summary: dict = {"seeds": seeds, "episodes": episodes, "seconds": round(elapsed, 1)}
    for ax, agent in zip(axes, AGENTS):
        groups = {}
        for label, spec in POLICIES.items():
            runs = [by[(agent, spec, s)] for s in range(seeds)]
            groups[label] = [
                GymResult(
                    "MountainCar-v0",
                    agent,
                    spec,
                    s,
                    -np.array(r["returns"]),
                    np.zeros(episodes, int),
                    np.zeros(episodes, int),
                )
                for s, r in enumerate(runs)
            ]
            evals = np.array([r["summary"]["eval_return"] for r in runs])
            tail = np.array([np.mean(r["returns"][-50:]) for r in runs])
            m, h = mean_ci(evals) if seeds > 1 else (evals.mean(), float("nan"))
            tm, th = mean_ci(tail) if seeds > 1 else (tail.mean(), float("nan"))
            summary[f"{agent} / {label}"] = {
                "greedy_return": float(m),
                "greedy_return_ci": float(h),
                "train_return_last50": float(tm),
                "train_return_last50_ci": float(th),
                "seconds_per_run": float(np.mean([r["summary"]["seconds"] for r in runs])),
            }
        plot_learning_curve(groups, window=10, ax=ax, show_eval=False, title=agent)
        ax.set_yscale("log")
        ax.set_ylabel("steps per episode (moving average of 10)")
    fig.suptitle(f"MountainCar-v0, 8 tilings of 8 x 8, α = 0.5, γ = 1, {seeds} seeds")
    fig.savefig(out / "gym_mountaincar.png", dpi=110)

    ctg = Figure(figsize=(5.5, 4.2), layout="constrained")
    ax = ctg.add_subplot()
    image = ax.imshow(
        np.array(by[("sarsa", "greedy", 0)]["cost_to_go"]),
        origin="lower",
        aspect="auto",
        extent=(-1.2, 0.6, -0.07, 0.07),
        cmap="viridis",
    )
    ctg.colorbar(image, ax=ax, label="-max_a q(s, a)  (steps to go)")
    ax.set_xlabel("position")
    ax.set_ylabel("velocity")
    ax.set_title(f"cost-to-go after {episodes} episodes (SARSA, greedy, seed 0)")
    ctg.savefig(out / "gym_mountaincar_cost_to_go.png", dpi=110)
    (out / "gym_mountaincar.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    print(f"{len(jobs)} runs in {elapsed:.0f} s; wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
