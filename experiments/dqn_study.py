"""Run a DQN study file seed by seed, resumably, and draw its figure and table.

The sweep layer runs the same file cell by cell (``boltzmann-rl run``); this script
runs it seed-major (every setting's seed 0, then every setting's seed 1, ...), so a
run cut short still has the same seeds for every setting, appends one JSON line per
finished run to ``results/<study name>/runs.jsonl`` (a rerun skips what is there), and
writes the figure and the table of experiments/dqn_README.md::

    python experiments/dqn_study.py experiments/dqn_cartpole.toml --stock
    python experiments/dqn_study.py experiments/dqn_acrobot.toml
    python experiments/dqn_study.py experiments/dqn_cartpole.toml --stock --report

``--stock`` adds stock SB3 DQN (its own epsilon-greedy on numpy's global random state)
on the same seeds: the check that the plug-in changes only how actions are drawn.

Seeds are the sweep's: ``SeedSequence(cell entropy, spawn_key=(i,))``, so run ``i``
of a setting here is run ``i`` of its cell there. Torch is kept to one thread: on a
shared 2-core machine its default thread pool made each step ~15x slower.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


STOCK = ("stock SB3 DQN", "sb3")  # run_dqn's text for SB3's own DQN


def settings(study: dict, stock: bool = False) -> list[tuple[str, str]]:
    """(label, policy text) of every setting of the study (then stock SB3 DQN)."""
    out = []
    for fam in study["family"]:
        grid = fam.get("grid", {})
        if not grid:
            out.append((fam["name"], fam["policy"]))
            continue
        ((key, values),) = grid.items()
        for v in values:
            out.append((f"{fam['name']} {key}={v}", fam["policy"].replace("{" + key + "}", str(v))))
    return [*out, STOCK] if stock else out


def seed_of(study: dict, policy: str, index: int) -> int:
    from boltzmann_rl.sweep.cells import Cell

    args = dict(study["agent"]["args"])
    budget = dict(study["budget"])
    cell = Cell(
        "gym",
        study["problem"]["env"],
        {},
        study["agent"]["name"],
        args,
        policy,
        budget,
        study["study"]["seed"],
    )
    ss = np.random.SeedSequence(cell.entropy, spawn_key=(index,))
    # the sweep's 64-bit seed words, reduced to the 32 bits SB3's seeding accepts
    return int(ss.generate_state(1, np.uint64)[0]) % 2**32


def run(out: Path, study: dict, stock: bool, shard: int = 0, shards: int = 1) -> None:
    import torch

    from boltzmann_rl.sb3 import run_dqn

    torch.set_num_threads(1)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["policy"], r["seed_index"]))
    args = dict(study["agent"]["args"])
    timesteps = args.pop("timesteps")
    order = [(i, s) for i in range(study["budget"]["seeds"]) for s in settings(study, stock)]
    for k, (i, (label, policy)) in enumerate(order):
        if k % shards != shard or (policy, i) in done:
            continue
        seed = seed_of(study, policy, i)
        r = run_dqn(
            study["problem"]["env"],
            policy,
            timesteps=timesteps,
            seed=seed,
            eval_episodes=study["budget"]["eval_episodes"],
            **args,
        )
        row = {
            "label": label,
            "policy": policy,
            "seed_index": i,
            "seed": seed,
            "seconds": r.seconds,
            "eval_returns": r.eval_returns.tolist(),
            "episode_returns": r.episode_returns.tolist(),
            "episode_ends": r.episode_ends.tolist(),
        }
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(
            f"{label:40s} seed {i}: eval {r.eval_returns.mean():6.1f}  {r.seconds:5.0f} s",
            flush=True,
        )


def report(out: Path, study: dict, stock: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from boltzmann_rl.stats import mean_ci

    rows = [json.loads(line) for line in out.read_text().splitlines()]
    # only seeds that every setting finished: a run cut short compares like with like
    per = [{r["seed_index"] for r in rows if r["policy"] == p} for _, p in settings(study, stock)]
    common = set.intersection(*per)
    rows = [r for r in rows if r["seed_index"] in common]
    print(f"seeds finished by every setting: {len(common)}")
    timesteps = study["agent"]["args"]["timesteps"]
    grid = np.linspace(0, timesteps, 41)[1:]
    fig, (ax, bx) = plt.subplots(
        1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [2, 1]}, layout="constrained"
    )
    names = []
    print(
        "| setting | policy | seeds | final greedy return (mean ± 95% CI) | "
        "training return, last 20% of steps | s / run |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for label, policy in settings(study, stock):
        runs = [r for r in rows if r["policy"] == policy]
        if not runs:
            continue
        evals = np.array([np.mean(r["eval_returns"]) for r in runs])
        m, h = mean_ci(evals) if len(evals) > 1 else (evals.mean(), np.nan)
        late = []
        curves = []
        for r in runs:
            ends = np.array(r["episode_ends"])
            ret = np.array(r["episode_returns"])
            late.append(
                ret[ends > 0.8 * timesteps].mean() if (ends > 0.8 * timesteps).any() else np.nan
            )
            # return of the episodes ending in each window of timesteps (last 10 episodes)
            curves.append(
                [ret[ends <= g][-10:].mean() if (ends <= g).any() else np.nan for g in grid]
            )
        lm, lh = mean_ci(np.array(late)) if len(late) > 1 else (np.mean(late), np.nan)
        c = np.array(curves)
        # mean and CI at each timestep over the seeds that have finished an episode by
        # then (a seed with none yet is missing there, not a return of 0)
        cm, ch = np.full(len(grid), np.nan), np.full(len(grid), np.nan)
        for j in range(len(grid)):
            col = c[:, j][np.isfinite(c[:, j])]
            if len(col) > 1:
                cm[j], ch[j] = mean_ci(col)
            elif len(col):
                cm[j] = col[0]
        (line,) = ax.plot(grid, cm, label=label)
        ax.fill_between(grid, cm - ch, cm + ch, alpha=0.15, color=line.get_color())
        # the final greedy return: each seed, and the mean with its 95% CI
        x = len(names)
        names.append(label)
        bx.plot(np.full(len(evals), x) + 0.12, evals, ".", color=line.get_color(), alpha=0.5)
        bx.errorbar(
            x, m, yerr=h if np.isfinite(h) else None, fmt="o", capsize=4, color=line.get_color()
        )
        secs = np.median([r["seconds"] for r in runs])
        print(
            f"| {label} | `{policy}` | {len(runs)} | {m:.1f} ± {h:.1f} | "
            f"{lm:.1f} ± {lh:.1f} | {secs:.0f} |"
        )
    ax.set_xlabel("timestep")
    ax.set_ylabel("training return (last 10 episodes)")
    env = study["problem"]["env"]
    fig.suptitle(f"SB3 DQN on {env}, zoo hyperparameters: mean and 95% CI over seeds")
    ax.set_title("training", fontsize=10)
    ax.legend(fontsize=8)
    bx.set_title("greedy policy at the end (dots: seeds)", fontsize=10)
    bx.set_ylabel(f"greedy return ({study['budget']['eval_episodes']} episodes)")
    bx.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    bx.grid(True, axis="y", alpha=0.3)
    fig_dir = HERE / "dqn_figures"
    fig_dir.mkdir(exist_ok=True)
    fig.savefig(fig_dir / f"{study['study']['name']}_curves.png", dpi=110)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("study", type=Path, help="a gym study file with a dqn agent")
    p.add_argument("--stock", action="store_true", help="also run stock SB3 DQN")
    p.add_argument("--report", action="store_true", help="only draw the figure and table")
    p.add_argument("--shard", default="0/1", help="k/n: run every n-th run from the k-th")
    p.add_argument("--out", type=Path, help="default: results/<study name>/runs.jsonl")
    a = p.parse_args(argv)
    study = tomllib.loads(a.study.read_text())
    if a.out is None:
        a.out = Path("results") / study["study"]["name"] / "runs.jsonl"
    a.out.parent.mkdir(parents=True, exist_ok=True)
    if not a.report:
        k, n = (int(x) for x in a.shard.split("/"))
        run(a.out, study, a.stock, k, n)
        if n > 1:
            return 0
    report(a.out, study, a.stock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
