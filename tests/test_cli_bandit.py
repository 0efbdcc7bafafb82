"""The ``bandit`` subcommand, through ``boltzmann_rl.cli.main`` with small sizes."""

from __future__ import annotations

import csv
import json

import pytest

from boltzmann_rl.bandits import BANDIT_AGENTS, make_bandit_agent, simulate
from boltzmann_rl.cli import main

SMALL = ["--runs", "30", "--steps", "20"]


def _json(capsys, *args):
    code = main(["bandit", *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_json_output_has_one_entry_per_policy(capsys):
    out = _json(
        capsys, "--policy", "boltzmann(temperature=0.1)", "--policy", "egreedy(epsilon=0.1)", *SMALL
    )
    assert [p["policy"] for p in out["policies"]] == [
        "boltzmann(temperature=0.1)",
        "egreedy(epsilon=0.1)",
    ]
    for p in out["policies"]:
        for key in (
            "mean_reward",
            "mean_reward_ci",
            "final_reward",
            "final_reward_ci",
            "final_optimal",
            "final_optimal_ci",
            "regret",
            "regret_ci",
        ):
            assert isinstance(p[key], float), key
        assert 0.0 <= p["final_optimal"] <= 1.0
    assert (out["env"], out["arms"], out["runs"], out["steps"], out["seed"]) == (
        "gaussian",
        10,
        30,
        20,
        0,
    )


def test_defaults_are_the_testbed():
    from boltzmann_rl.cli import build_parser

    args = build_parser().parse_args(["bandit", "--policy", "greedy"])
    assert (args.env, args.arms, args.runs, args.steps, args.seed) == (
        "gaussian",
        10,
        2000,
        1000,
        0,
    )
    assert (args.reward_offset, args.reward_scale, args.json, args.out) == (0.0, 1.0, False, None)


def test_same_seed_same_numbers_and_seed_matters(capsys):
    a = _json(capsys, "--policy", "ucb(c=2)", *SMALL, "--seed", "3")
    b = _json(capsys, "--policy", "ucb(c=2)", *SMALL, "--seed", "3")
    c = _json(capsys, "--policy", "ucb(c=2)", *SMALL, "--seed", "4")
    assert a == b
    assert a["policies"][0]["mean_reward"] != c["policies"][0]["mean_reward"]


def test_reward_offset_shifts_rewards_of_a_shift_invariant_policy(capsys):
    # UCB with sample averages picks the same arms when every reward moves by C
    base = _json(capsys, "--policy", "ucb(c=2)", *SMALL)["policies"][0]
    moved = _json(capsys, "--policy", "ucb(c=2)", *SMALL, "--reward-offset", "5")["policies"][0]
    assert moved["mean_reward"] == pytest.approx(base["mean_reward"] + 5, rel=1e-12)
    assert moved["regret"] == pytest.approx(base["regret"], rel=1e-12)


def test_reward_scale_scales_rewards_and_regret_of_a_scale_invariant_policy(capsys):
    # ε-greedy with sample averages (Q1 = 0) picks the same arms when rewards scale
    base = _json(capsys, "--policy", "egreedy(epsilon=0.1)", *SMALL)["policies"][0]
    scaled = _json(capsys, "--policy", "egreedy(epsilon=0.1)", *SMALL, "--reward-scale", "3")
    s = scaled["policies"][0]
    assert s["mean_reward"] == pytest.approx(3 * base["mean_reward"], rel=1e-12)
    assert s["regret"] == pytest.approx(3 * base["regret"], rel=1e-12)
    assert s["final_optimal"] == base["final_optimal"]


@pytest.mark.parametrize("env", ["bernoulli", "nonstationary"])
def test_other_environments(capsys, env):
    out = _json(capsys, "--policy", "greedy", "--env", env, "--arms", "3", *SMALL)
    assert out["env"] == env and out["arms"] == 3


def test_table_output(capsys):
    assert main(["bandit", "--policy", "greedy", "--policy", "bgumbel(c=1)", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "gaussian(arms=10): agent action_value, 30 runs x 20 steps, seed 0" in out
    assert "bgumbel(c=1)" in out and "±" in out


def test_out_writes_table_summary_and_plots(capsys, tmp_path):
    out_dir = tmp_path / "res"
    code = main(
        [
            "bandit",
            "--policy",
            "greedy",
            "--policy",
            "ucb(c=1)",
            *SMALL,
            "--json",
            "--out",
            str(out_dir),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    json.loads(captured.out)  # stdout stays pure JSON; the file list goes to stderr
    assert "wrote" in captured.err
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "bandit.csv",
        "entropy.png",
        "entropy.svg",
        "optimal.png",
        "optimal.svg",
        "regret.png",
        "regret.svg",
        "reward.png",
        "reward.svg",
        "summary.json",
    ]
    with (out_dir / "bandit.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 40 and rows[0]["policy"] == "greedy" and rows[-1]["step"] == "20"
    assert json.loads((out_dir / "summary.json").read_text())["policies"][1]["policy"] == "ucb(c=1)"
    assert (out_dir / "reward.png").read_bytes()[:4] == b"\x89PNG"


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys):
    main(["bandit", "--policy", "greedy", *SMALL])
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["--policy", "greedyy"], "unknown policy 'greedyy'"),
        (["--policy", "boltzmann(temperature=nan)"], "temperature"),
        (["--policy", "boltzmann(temperature=-1)"], "temperature"),
        (["--policy", "egreedy(epsilon=2)"], "epsilon"),
    ],
    ids=["unknown", "nan", "negative", "epsilon"],
)
def test_bad_policies_exit_2_with_a_message(capsys, args, message):
    assert main(["bandit", *args, *SMALL]) == 2
    err = capsys.readouterr().err
    assert "boltzmann-rl: error:" in err and message in err


@pytest.mark.parametrize(
    "args",
    [
        ["--runs", "0"],
        ["--steps", "-3"],
        ["--runs", "1.5"],
        ["--arms", "1"],
        ["--env", "cauchy"],
        ["--reward-scale", "0"],
        ["--reward-scale", "nan"],
        ["--reward-offset", "inf"],
        ["--seed", "-1"],
    ],
    ids=[
        "runs",
        "steps",
        "runs-float",
        "arms",
        "env",
        "scale-0",
        "scale-nan",
        "offset-inf",
        "seed",
    ],
)
def test_bad_arguments_are_usage_errors(capsys, args):
    with pytest.raises(SystemExit) as exc:
        main(["bandit", "--policy", "greedy", *args])
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_policy_is_required_for_a_policy_agent(capsys):
    assert main(["bandit", *SMALL]) == 2
    assert "agent 'action_value' needs at least one --policy" in capsys.readouterr().err


# --------------------------------------------------------------------------- --agent


def _env_for(entry):
    # EXP3 and Beta-Thompson need rewards in [0, 1]
    return "bernoulli" if getattr(entry.factory, "reward_range", None) else "gaussian"


@pytest.mark.parametrize("name", list(BANDIT_AGENTS))
def test_every_registered_agent_runs_with_its_defaults_as_in_python(capsys, name):
    entry = BANDIT_AGENTS[name]
    env = _env_for(entry)
    policy = ["--policy", "egreedy(epsilon=0.1)"] if entry.takes_policy else []
    plain = _json(capsys, "--agent", name, "--env", env, *policy, *SMALL)
    spelled = []  # every parameter written out at its default gives the same numbers
    for p in entry.params:
        if p.type == "bool":
            spelled.append(p.option if p.default else "--no-" + p.option[2:])
        else:
            spelled += [p.option, "none" if p.default is None else str(p.default)]
    assert _json(capsys, "--agent", name, "--env", env, *policy, *spelled, *SMALL) == {
        **plain,
        "agent_args": {p.name: p.default for p in entry.params},
    }
    agent = make_bandit_agent(name, "egreedy(epsilon=0.1)" if entry.takes_policy else None)
    py = simulate(env, agent, runs=30, steps=20, seed=0).summary()[0]
    assert {k: plain["policies"][0][k] for k in py} == py


def test_agent_options_reach_the_agent(capsys):
    out = _json(capsys, "--agent", "gradient", "--step-size", "0.4", "--no-baseline", *SMALL)
    assert out["agent"] == "gradient" and out["agent_args"] == {
        "step_size": 0.4,
        "baseline": False,
    }
    assert out["policies"][0]["policy"] == "gradient(step_size=0.4, baseline=False)"
    out = _json(capsys, "--policy", "greedy", "--initial", "5", "--step-size", "inverse(1, 1)")
    assert out["policies"][0]["policy"] == "greedy step_size=inverse(1.0, 1.0) initial=5.0"
    out = _json(capsys, "--agent", "exp3", "--env", "bernoulli", "--gamma", "0.3", *SMALL)
    assert out["policies"][0]["policy"] == "exp3(gamma=0.3)"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--agent", "exp3", "--step-size", "0.1"], "--step-size does not apply to agent 'exp3'"),
        (["--agent", "gradient", "--policy", "greedy"], "takes no --policy"),
        (["--agent", "gradient", "--step-size", "fast"], "--step-size: expected a number"),
        (["--agent", "gradient", "--step-size", "-1"], "step_size"),
        (["--policy", "greedy", "--step-size", "2"], "step_size"),
        (["--agent", "exp3", "--gamma", "0.1"], "rewards in [0.0, 1.0]"),
    ],
    ids=["not-its-option", "no-policy", "not-a-number", "negative", "above-1", "env-range"],
)
def test_bad_agent_arguments_exit_2_with_one_line(capsys, args, message):
    assert main(["bandit", *args, *SMALL]) == 2
    err = capsys.readouterr().err
    assert err.startswith("boltzmann-rl: error:") and message in err
    assert err.count("\n") == 1


def test_unknown_agent_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bandit", "--agent", "thompson", *SMALL])
    assert exc.value.code == 2
    assert "gaussian_thompson" in capsys.readouterr().err


def test_help_lists_every_agent_parameter_from_the_registry(capsys):
    with pytest.raises(SystemExit):
        main(["bandit", "--help"])
    out = capsys.readouterr().out
    for entry in BANDIT_AGENTS.values():
        assert entry.name in out
        for p in entry.params:
            assert p.option in out


def test_missing_entropy_is_said_in_the_table_and_the_legend(capsys, tmp_path, monkeypatch):
    from boltzmann_rl.plotting import curves

    legends = {}
    save = curves.save_figure

    def record(fig, path):
        legend = fig.axes[0].get_legend()
        legends[path.name] = [t.get_text() for t in legend.get_texts()]
        return save(fig, path)

    monkeypatch.setattr(curves, "save_figure", record)
    args = ["bandit", "--agent", "bernoulli_thompson", "--env", "bernoulli", *SMALL]
    assert main([*args, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "n/a (no closed-form entropy)" in out
    assert legends["entropy"] == ["thompson-bernoulli(a=1.0, b=1.0) (no closed-form entropy)"]
    assert legends["regret"] == ["thompson-bernoulli(a=1.0, b=1.0)"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["policies"][0]["final_entropy"] is None
    out = _json(capsys, "--policy", "egreedy(epsilon=0.1)", *SMALL)
    assert out["policies"][0]["final_entropy"] > 0
