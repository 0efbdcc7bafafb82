"""The 10-armed testbed studies of Sutton and Barto (2nd ed., ch. 2), from the library.

Reproduces, with :func:`boltzmann_rl.bandits.simulate`:

1. figure 2.2: greedy vs ε-greedy (ε = 0.01, 0.1), sample averages: average reward and
   % optimal action over 1000 steps;
2. figure 2.5: the gradient bandit with and without the average-reward baseline,
   α = 0.1 and 0.4, true values drawn around +4;
3. figure 2.6: the parameter study, average reward over the first 1000 steps for
   ε-greedy, the gradient bandit, UCB and greedy with optimistic initial values
   (α = 0.1), plus Boltzmann at a fixed temperature, Boltzmann with an exponentially
   annealed temperature and Boltzmann-Gumbel, on the same axes.

Every study is 2000 runs x 1000 steps with seed 0; all the configurations of a study
run as one stacked simulation on the same 2000 testbeds (common random numbers).

Run from the repository root (about a minute on one core)::

    python experiments/textbook_testbed.py                 # writes experiments/textbook_figures/
    python experiments/textbook_testbed.py --runs 100 --out /tmp/tb   # a quick look

It writes ``textbook_fig2_2.png``, ``textbook_fig2_5.png``, ``textbook_fig2_6.png`` and
``textbook_results.json`` (every number quoted in ``experiments/README.md``).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boltzmann_rl.bandits import ActionValueAgent, GaussianBandit, GradientBandit, simulate
from boltzmann_rl.plotting import plot_result, save_figure


@dataclass(frozen=True)
class Config:
    """The budget of every study (the book's: 2000 runs of 1000 steps)."""

    runs: int = 2000
    steps: int = 1000
    seed: int = 0
    out: Path = Path(__file__).resolve().parent / "textbook_figures"


# The parameter study's families: label, x values (powers of two), agent for a value.
def _families() -> list[tuple[str, list[float], Any]]:
    p2 = [2.0**k for k in range(-7, 3)]  # 1/128 .. 4
    return [
        ("ε-greedy (ε)", [x for x in p2 if x <= 0.25], lambda e: f"egreedy(epsilon={e!r})"),
        ("gradient bandit (α)", [x for x in p2 if 1 / 32 <= x <= 4], lambda a: GradientBandit(a)),
        ("UCB (c)", [x for x in p2 if x >= 1 / 16], lambda c: f"ucb(c={c!r})"),
        (
            "greedy, optimistic Q₀, α = 0.1 (Q₀)",
            [x for x in p2 if x >= 1 / 4],
            lambda q0: ActionValueAgent("greedy", step_size=0.1, initial=q0),
        ),
        ("Boltzmann, fixed T (T)", p2, lambda t: f"boltzmann(temperature={t!r})"),
        (
            "Boltzmann, T = exp(T₀, 0.01, 1000) (T₀)",
            [x for x in p2 if x >= 1 / 32],
            lambda t: f"boltzmann(temperature=exp({t!r}, 0.01, 1000))",
        ),
        ("Boltzmann-Gumbel (c)", [x for x in p2 if x >= 1 / 16], lambda c: f"bgumbel(c={c!r})"),
    ]


def _summary(group: Any) -> dict[str, float]:
    out = {}
    for name in ("mean_reward", "final_reward", "final_optimal", "regret"):
        mean, half = group.stats[name]
        out[name] = round(mean, 4)
        out[f"{name}_ci"] = round(half, 4)
    out["reward_at_1000"] = round(float(group.curves["reward"].mean[-1]), 4)
    out["optimal_at_1000"] = round(float(group.curves["optimal"].mean[-1]), 4)
    return out


def figure_2_2(cfg: Config) -> dict[str, Any]:
    """Greedy vs ε-greedy, sample averages."""
    specs = ["greedy", "egreedy(epsilon=0.01)", "egreedy(epsilon=0.1)"]
    labels = ["ε = 0 (greedy)", "ε = 0.01", "ε = 0.1"]
    result = simulate(
        GaussianBandit(), specs, runs=cfg.runs, steps=cfg.steps, seed=cfg.seed, labels=labels
    )
    fig = plot_result(result, title="Figure 2.2: ε-greedy on the 10-armed testbed")
    save_figure(fig, cfg.out / "textbook_fig2_2", formats=("png",))
    return {g.label: _summary(g) for g in result}


def figure_2_5(cfg: Config) -> dict[str, Any]:
    """The gradient bandit with and without baseline, true values around +4."""
    agents = [
        GradientBandit(0.1, baseline=True),
        GradientBandit(0.4, baseline=True),
        GradientBandit(0.1, baseline=False),
        GradientBandit(0.4, baseline=False),
    ]
    labels = [
        "α = 0.1, with baseline",
        "α = 0.4, with baseline",
        "α = 0.1, without baseline",
        "α = 0.4, without baseline",
    ]
    result = simulate(
        GaussianBandit(mean=4.0),
        agents,
        runs=cfg.runs,
        steps=cfg.steps,
        seed=cfg.seed,
        labels=labels,
    )
    fig = plot_result(result, ["optimal"], title="Figure 2.5: gradient bandit, q*(a) ~ N(4, 1)")
    save_figure(fig, cfg.out / "textbook_fig2_5", formats=("png",))
    return {g.label: _summary(g) for g in result}


def figure_2_6(cfg: Config) -> dict[str, Any]:
    """The parameter study: average reward over the first 1000 steps."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 5.0), layout="constrained")
    ax = fig.subplots()
    out: dict[str, Any] = {}
    for name, xs, make in _families():
        result = simulate(
            GaussianBandit(),
            [make(x) for x in xs],
            runs=cfg.runs,
            steps=cfg.steps,
            seed=cfg.seed,
        )
        means = [g.stats["mean_reward"][0] for g in result]
        halves = [g.stats["mean_reward"][1] for g in result]
        ax.errorbar(xs, means, yerr=halves, marker="o", markersize=3, capsize=2, label=name)
        best = max(range(len(xs)), key=lambda i: means[i])
        out[name] = {
            "x": xs,
            "mean_reward": [round(m, 4) for m in means],
            "mean_reward_ci": [round(h, 4) for h in halves],
            "best_x": xs[best],
            "best_mean_reward": round(means[best], 4),
            "best_mean_reward_ci": round(halves[best], 4),
        }
    ax.set_xscale("log", base=2)
    ax.set_xticks([2.0**k for k in range(-7, 3)])
    ax.set_xticklabels(["1/128", "1/64", "1/32", "1/16", "1/8", "1/4", "1/2", "1", "2", "4"])
    ax.set_xlabel("ε   α   c   Q₀   T   T₀   c  (the parameter named in the legend)")
    ax.set_ylabel(f"Average reward over first {cfg.steps} steps")
    ax.set_title("Figure 2.6: parameter study, plus Boltzmann variants (95% CI bars)")
    ax.legend(fontsize="small", frameon=False)
    save_figure(fig, cfg.out / "textbook_fig2_6", formats=("png",))
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=Config.runs)
    parser.add_argument("--steps", type=int, default=Config.steps)
    parser.add_argument("--seed", type=int, default=Config.seed)
    parser.add_argument("--out", type=Path, default=Config.out)
    args = parser.parse_args(argv)
    cfg = Config(args.runs, args.steps, args.seed, args.out)
    cfg.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results = {
        "config": {"runs": cfg.runs, "steps": cfg.steps, "seed": cfg.seed},
        "figure_2_2": figure_2_2(cfg),
        "figure_2_5": figure_2_5(cfg),
        "figure_2_6": figure_2_6(cfg),
    }
    results["config"]["seconds"] = round(time.perf_counter() - start, 1)
    path = cfg.out / "textbook_results.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {cfg.out} in {results['config']['seconds']} s")
    return results


if __name__ == "__main__":
    main()
