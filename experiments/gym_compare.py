"""Boltzmann against ε-greedy and greedy, inside Q-learning, SARSA and Expected SARSA.

One script, the library only (:func:`boltzmann_rl.gym.run_gym`): on FrozenLake-v1
(4x4, slippery), Taxi-v4 and CliffWalking-v1, each of three tabular agents is driven
by five policies (Boltzmann at a fixed and at an annealed temperature, ε-greedy at a
fixed and at an annealed ε, greedy), each trained from ``--seeds`` seeds within an
episode budget that trains in well under a minute per run. The greedy policy of each
trained agent is then evaluated, and compared with the return known to be achievable.

Run::

    python experiments/gym_compare.py                 # 5 seeds, about 15 min on 2 cores
    python experiments/gym_compare.py --quick --out /tmp/gym   # a smoke run

Writes to ``--out`` (default ``experiments/gym_figures``): ``gym_<env>.png``, the
learning curves (moving average of the training returns, mean over seeds with a 95 %
band, and the periodic greedy evaluations as dots), and ``gym_compare.json``, every
number of ``experiments/gym_README.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from boltzmann_rl.gym import run_gym
from boltzmann_rl.gym.plots import plot_learning_curve
from boltzmann_rl.stats import mean_ci

AGENTS = ("qlearning", "sarsa", "expected-sarsa")


@dataclass(frozen=True)
class Policy:
    """A policy of the comparison: a label, its text form, and agent options it needs."""

    label: str
    spec: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Setting:
    """One environment with its budget, hyperparameters and policies."""

    env_id: str
    episodes: int
    alpha: float
    gamma: float
    eval_episodes: int
    achievable: float
    achievable_note: str
    policies: tuple[Policy, ...]
    ylim: tuple[float, float]
    env_kwargs: dict[str, Any] = field(default_factory=dict)


SETTINGS = (
    Setting(
        env_id="FrozenLake-v1",
        env_kwargs={"map_name": "4x4", "is_slippery": True},
        episodes=8000,
        alpha=0.1,
        gamma=0.99,
        eval_episodes=1000,
        achievable=0.744,
        achievable_note="success rate of the optimal policy within the 100-step limit, "
        "by dynamic programming on the environment's transition table (optimal_return)",
        policies=(
            Policy("Boltzmann, T = 0.01", "boltzmann(temperature=0.01)"),
            Policy(
                "Boltzmann, T = 0.01, Q₀ = 1 (optimistic)",
                "boltzmann(temperature=0.01)",
                {"initial_value": 1.0},
            ),
            Policy(
                "Boltzmann, T = exp(1, 0.01, 4000) by episode",
                "boltzmann(temperature=exp(1.0, 0.01, 4000))",
                {"anneal": "episode"},
            ),
            Policy("ε-greedy, ε = 0.1", "egreedy(epsilon=0.1)"),
            Policy(
                "ε-greedy, ε = linear(1, 0.01, 4000) by episode",
                "egreedy(epsilon=linear(1.0, 0.01, 4000))",
                {"anneal": "episode"},
            ),
            Policy("greedy, Q₀ = 1 (optimistic)", "greedy", {"initial_value": 1.0}),
        ),
        ylim=(0.0, 0.85),
    ),
    Setting(
        env_id="Taxi-v4",
        episodes=3000,
        alpha=0.5,
        gamma=0.99,
        eval_episodes=300,
        achievable=7.93,
        achievable_note="mean return of the optimal policy over the random starts, by "
        "dynamic programming on the environment's transition table (optimal_return)",
        policies=(
            Policy("Boltzmann, T = 1", "boltzmann(temperature=1.0)"),
            Policy(
                "Boltzmann, T = exp(10, 0.1, 1500) by episode",
                "boltzmann(temperature=exp(10.0, 0.1, 1500))",
                {"anneal": "episode"},
            ),
            Policy("ε-greedy, ε = 0.1", "egreedy(epsilon=0.1)"),
            Policy(
                "ε-greedy, ε = linear(1, 0.01, 1500) by episode",
                "egreedy(epsilon=linear(1.0, 0.01, 1500))",
                {"anneal": "episode"},
            ),
            Policy("greedy, Q₀ = 0 (optimistic: rewards are -1 per step)", "greedy"),
        ),
        ylim=(-150.0, 15.0),
    ),
    Setting(
        env_id="CliffWalking-v1",
        episodes=500,
        alpha=0.5,
        gamma=1.0,
        eval_episodes=10,
        achievable=-13.0,
        achievable_note="the shortest path along the cliff, 13 steps",
        policies=(
            Policy("Boltzmann, T = 1", "boltzmann(temperature=1.0)"),
            Policy(
                "Boltzmann, T = exp(5, 0.1, 250) by episode",
                "boltzmann(temperature=exp(5.0, 0.1, 250))",
                {"anneal": "episode"},
            ),
            Policy("ε-greedy, ε = 0.1", "egreedy(epsilon=0.1)"),
            Policy(
                "ε-greedy, ε = linear(1, 0.01, 250) by episode",
                "egreedy(epsilon=linear(1.0, 0.01, 250))",
                {"anneal": "episode"},
            ),
            Policy("greedy, Q₀ = 0 (optimistic)", "greedy"),
        ),
        ylim=(-150.0, 0.0),
    ),
)


def optimal_return(env_id: str, env_kwargs: dict[str, Any], horizon: int) -> float:
    """Expected undiscounted return of the optimal policy within ``horizon`` steps.

    Finite-horizon dynamic programming on the environment's own transition table
    (``env.unwrapped.P``, the toy-text environments), averaged over its start states.
    """
    from boltzmann_rl.gym import make_env

    env = make_env(env_id, env_kwargs).unwrapped
    table = env.P
    n = len(table)
    value = np.zeros(n)
    for _ in range(horizon):
        new = np.array(
            [
                max(
                    sum(p * (r + (0.0 if done else value[s2])) for p, s2, r, done in outcomes)
                    for outcomes in table[s].values()
                )
                for s in range(n)
            ]
        )
        if np.array_equal(new, value):
            break
        value = new
    return float(np.asarray(env.initial_state_distrib) @ value)


def run_one(
    setting: Setting, agent: str, policy: Policy, seed: int, scale: float, limit: int | None = None
) -> dict:
    """Train one agent from one seed; return its summary and per-episode returns."""
    episodes = max(int(setting.episodes * scale), 10)
    result = run_gym(
        setting.env_id,
        agent,
        policy.spec,
        env_kwargs=setting.env_kwargs,
        episodes=episodes,
        alpha=setting.alpha,
        gamma=setting.gamma,
        seed=seed,
        eval_episodes=max(int(setting.eval_episodes * scale), 2),
        eval_every=max(episodes // (20 if limit is None else 1), 1),
        max_episode_steps=limit,
        **policy.options,
    )
    return {
        "summary": result.summary(),
        "returns": result.episode_returns.tolist(),
        "eval_at": result.eval_at.tolist(),
        "eval_means": result.eval_means.tolist(),
    }


def _as_results(runs: list[dict]) -> list[Any]:
    """Light GymResult stand-ins for the plot (it reads only these fields)."""
    from boltzmann_rl.gym import GymResult

    out = []
    for r in runs:
        s = r["summary"]
        n = len(r["returns"])
        out.append(
            GymResult(
                s["env"],
                s["agent"],
                s["policy"],
                s["seed"],
                np.array(r["returns"]),
                np.zeros(n, dtype=np.int64),
                np.zeros(n, dtype=np.int64),
                eval_at=np.array(r["eval_at"], dtype=np.int64),
                eval_means=np.array(r["eval_means"]),
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="independent runs per cell")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument(
        "--quick", action="store_true", help="2%% of the budgets, 1 seed, 100-step episodes"
    )
    parser.add_argument("--envs", default=",".join(s.env_id for s in SETTINGS))
    parser.add_argument("--out", default=str(Path(__file__).parent / "gym_figures"))
    args = parser.parse_args(argv)
    scale = 0.02 if args.quick else 1.0
    seeds = 1 if args.quick else args.seeds
    limit = 100 if args.quick else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = args.envs.split(",")
    settings = [s for s in SETTINGS if s.env_id in wanted]
    jobs = [
        (s, agent, p, seed)
        for s in settings
        for agent in AGENTS
        for p in s.policies
        for seed in range(seeds)
    ]
    start = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            futures = [pool.submit(run_one, *job, scale, limit) for job in jobs]
            results = [f.result() for f in futures]
    else:
        results = [run_one(*job, scale, limit) for job in jobs]
    elapsed = time.perf_counter() - start

    path = out / "gym_compare.json"
    table: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    table.update({"seeds": seeds, "scale": scale})  # a run with --envs updates its envs only
    if not isinstance(table.get("seconds"), dict):
        table["seconds"] = {}  # CPU seconds of the training runs, per environment
    for s in settings:
        rows = []
        for agent in AGENTS:
            fig_runs = {}
            for p in s.policies:
                runs = [
                    r
                    for job, r in zip(jobs, results)
                    if job[0] is s and job[1] == agent and job[2] is p
                ]
                evals = np.array([r["summary"]["eval_return"] for r in runs], dtype=float)
                last = np.array([r["summary"]["train_return_last100"] for r in runs], dtype=float)
                secs = np.array([r["summary"]["seconds"] for r in runs], dtype=float)
                m, h = mean_ci(evals) if len(evals) > 1 else (evals.mean(), float("nan"))
                lm, lh = mean_ci(last) if len(last) > 1 else (last.mean(), float("nan"))
                rows.append(
                    {
                        "agent": agent,
                        "policy": p.label,
                        "spec": p.spec,
                        "options": p.options,
                        "eval_return": float(m),
                        "eval_return_ci": float(h),
                        "eval_returns": evals.tolist(),
                        "train_return_last100": float(lm),
                        "train_return_last100_ci": float(lh),
                        "seconds_per_run": float(secs.mean()),
                    }
                )
                fig_runs[p.label] = _as_results(runs)
            fig = plot_learning_curve(
                fig_runs,
                window=max(min(100, s.episodes // 20), 1),
                title=f"{s.env_id}, {agent} (α = {s.alpha}, γ = {s.gamma}, {seeds} seeds)",
            )
            ax = fig.axes[0]
            ax.axhline(s.achievable, color="0.4", linestyle="--", linewidth=1)
            ax.set_ylim(*s.ylim)
            ax.text(0, s.achievable, " achievable", va="bottom", fontsize="small", color="0.4")
            fig.savefig(out / f"gym_{s.env_id.split('-')[0].lower()}_{agent}.png", dpi=110)
        table["seconds"][s.env_id] = round(
            sum(r["summary"]["seconds"] for job, r in zip(jobs, results) if job[0] is s), 1
        )
        table[s.env_id] = {
            "setting": {k: v for k, v in asdict(s).items() if k != "policies"},
            "rows": rows,
        }
        print(f"\n{s.env_id} ({s.episodes} episodes, achievable {s.achievable})")
        print("| agent | policy | greedy return | training return, last 100 | s/run |")
        print("| --- | --- | --- | --- | --- |")
        for r in rows:
            print(
                f"| {r['agent']} | {r['policy']} | {r['eval_return']:.3f} ± "
                f"{r['eval_return_ci']:.3f} | {r['train_return_last100']:.2f} ± "
                f"{r['train_return_last100_ci']:.2f} | {r['seconds_per_run']:.1f} |"
            )
    path.write_text(json.dumps(table, indent=1) + "\n")
    print(f"\n{len(jobs)} runs in {elapsed:.0f} s; wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
