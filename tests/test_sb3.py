"""The Stable-Baselines3 plug-in: boltzmann_rl policies as DQN's exploration.

The tests that need SB3 skip where the ``sb3`` extra is not installed; the import
guard and the "base install never imports torch" checks run everywhere.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from boltzmann_rl.spec import parse_policy


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_missing_extra_names_it():
    code = (
        "import sys\n"
        "sys.modules['stable_baselines3'] = sys.modules['torch'] = None\n"
        "try:\n"
        "    import boltzmann_rl.sb3\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert 'pip install "boltzmann-rl[sb3]"' in out.stdout
    assert "(torch is missing)" in out.stdout


def test_base_install_never_imports_torch():
    code = (
        "import sys\n"
        "import boltzmann_rl, boltzmann_rl.cli, boltzmann_rl.gym, boltzmann_rl.sweep\n"
        "import boltzmann_rl.sweep.tasks\n"
        "from boltzmann_rl.cli import main\n"
        "print('torch' in sys.modules, 'stable_baselines3' in sys.modules)\n"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


# ------------------------------------------------------------------ with SB3 installed


@pytest.fixture(scope="module")
def sb3():
    pytest.importorskip("stable_baselines3")
    th = pytest.importorskip("torch")
    threads = th.get_num_threads()
    th.set_num_threads(1)  # a busy 2-core machine: torch's thread pool only spins
    from boltzmann_rl import sb3 as module

    yield module
    th.set_num_threads(threads)


SMALL = {"learning_starts": 50, "buffer_size": 2000, "batch_size": 32, "train_freq": 4}


def _params(model):
    return [p.detach().numpy().copy() for p in model.q_net.parameters()]


def test_same_seed_twice_is_identical(sb3):
    runs = []
    for _ in range(2):
        m = sb3.BoltzmannDQN(
            "MlpPolicy", "CartPole-v1", "boltzmann(temperature=0.5)", seed=3, **SMALL
        )
        m.learn(200)
        runs.append((_params(m), [float(e["r"]) for e in m.ep_info_buffer]))
    (p1, r1), (p2, r2) = runs
    assert r1 == r2
    assert all(np.array_equal(a, b) for a, b in zip(p1, p2, strict=True))
    other = sb3.BoltzmannDQN(
        "MlpPolicy", "CartPole-v1", "boltzmann(temperature=0.5)", seed=4, **SMALL
    )
    other.learn(200)
    assert not all(np.array_equal(a, b) for a, b in zip(p1, _params(other), strict=True))


class _FixedQ:
    """A stand-in Q-network: the same action values for every observation."""

    def __new__(cls, q):
        import torch as th

        class FixedQ(th.nn.Module):
            def forward(self, obs):
                return th.as_tensor(q, dtype=th.float32).expand(obs.shape[0], -1)

        return FixedQ()


def _four_action_env():
    import gymnasium as gym

    class Env(gym.Env):
        observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
        action_space = gym.spaces.Discrete(4)

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            return np.zeros(3, np.float32), {}

        def step(self, action):
            return np.zeros(3, np.float32), 0.0, True, False, {}

    return Env()


@pytest.mark.parametrize(
    "text",
    [
        "boltzmann(temperature=0.7)",
        "egreedy(epsilon=0.3)",
        "boltzmann(temperature=linear(2.0, 0.1, 1000))",
        "sparsemax(temperature=1.0)",
    ],
)
def test_actions_follow_the_policy_probs(sb3, text):
    from scipy import stats

    q = np.array([0.0, 1.0, 1.0, -0.5], dtype=np.float32)
    model = sb3.BoltzmannDQN("MlpPolicy", _four_action_env(), text, seed=11, learning_starts=0)
    model.q_net = _FixedQ(q)
    model.num_timesteps = 400  # the schedule's step: SB3's counter
    n = 20_000
    obs = np.zeros((n, 3), np.float32)
    model._last_obs = obs
    p = parse_policy(text).probs(q.astype(np.float64), step=400)
    for actions in (
        model.predict(obs)[0],  # the public path
        model._sample_action(learning_starts=0, n_envs=n)[0],  # the training path
    ):
        counts = np.bincount(actions, minlength=4)
        keep = p > 0
        assert counts[~keep].sum() == 0
        _, pvalue = stats.chisquare(counts[keep], n * p[keep] / p[keep].sum())
        assert pvalue > 1e-3


def test_predict_deterministic_is_greedy(sb3):
    model = sb3.BoltzmannDQN(
        "MlpPolicy", _four_action_env(), "boltzmann(temperature=100.0)", seed=0
    )
    obs = np.random.default_rng(1).normal(size=(64, 3)).astype(np.float32)
    greedy = model.q_values(obs).argmax(axis=1)
    assert np.array_equal(model.predict(obs, deterministic=True)[0], greedy)
    a, _ = model.predict(obs[0], deterministic=True)
    assert a.shape == () and int(a) == greedy[0]
    a, _ = model.predict(obs[0])
    assert a.shape == () and 0 <= int(a) < 4
    # at T = 100 the draws are near uniform, so far from always greedy
    assert (model.predict(obs)[0] != greedy).any()


def test_no_global_random_state(sb3):
    """The draws do not touch numpy's global stream (SB3's own ε-greedy does)."""
    model = sb3.BoltzmannDQN("MlpPolicy", "CartPole-v1", "egreedy(epsilon=0.5)", seed=0, **SMALL)
    model.learn(120)
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - checking it is untouched
    model.predict(np.zeros((8, 4), np.float32))
    model._last_obs = np.zeros((1, 4), np.float32)
    model._sample_action(0, n_envs=1)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_save_load_round_trip(sb3, tmp_path):
    text = "boltzmann(temperature=exp(5.0, 0.05, 2000))"
    model = sb3.BoltzmannDQN("MlpPolicy", "CartPole-v1", text, seed=5, **SMALL)
    model.learn(200)
    path = tmp_path / "model.zip"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        data = json.loads(z.read("data"))
    assert data["exploration_policy_text"] == text
    assert "exploration_policy" not in data and "behaviour_policy" not in data
    loaded = sb3.BoltzmannDQN.load(path)
    assert loaded.exploration_policy == parse_policy(text)
    assert loaded.behaviour_policy == parse_policy(text)
    obs = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    assert np.array_equal(
        loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0]
    )
    loaded.set_env(model.get_env())
    loaded.learn(100, reset_num_timesteps=False)
    assert loaded.num_timesteps >= 300


def test_default_is_sb3_schedule_and_survives_load(sb3, tmp_path):
    model = sb3.BoltzmannDQN(
        "MlpPolicy",
        "CartPole-v1",
        seed=0,
        exploration_fraction=0.5,
        exploration_final_eps=0.2,
        **SMALL,
    )
    assert model.behaviour_policy == parse_policy("egreedy(epsilon=0.0)")  # as SB3 before learn
    model.learn(400)
    assert model.behaviour_policy == parse_policy("egreedy(epsilon=linear(1.0, 0.2, 200))")
    model.save(tmp_path / "m.zip")
    loaded = sb3.BoltzmannDQN.load(tmp_path / "m.zip")
    assert loaded.exploration_policy is None


def test_vector_env_one_draw_per_sub_env(sb3):
    from stable_baselines3.common.env_util import make_vec_env

    env = make_vec_env("CartPole-v1", n_envs=3, seed=0)
    model = sb3.BoltzmannDQN("MlpPolicy", env, "boltzmann(temperature=1.0)", seed=0, **SMALL)
    model.learn(300)
    assert model.num_timesteps >= 300 and model.num_timesteps % 3 == 0
    actions, buffer_actions = model._sample_action(0, n_envs=3)
    assert actions.shape == (3,) and np.array_equal(actions, buffer_actions)


def test_logged_keys_and_values(sb3, tmp_path):
    import csv

    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.logger import configure

    text = "boltzmann(temperature=linear(4.0, 1.0, 300))"
    seen = []

    class Spy(BaseCallback):
        def _on_step(self):
            # what the model's previous step recorded (at one timestep fewer), unless dumped
            v = self.model.logger.name_to_value
            if "exploration/temperature" in v:
                seen.append((self.model.num_timesteps - 1, v["exploration/temperature"]))
            return True

    model = sb3.BoltzmannDQN("MlpPolicy", "CartPole-v1", text, seed=0, **SMALL)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(400, callback=Spy(), log_interval=1)
    model.logger.close()
    assert seen
    schedule = parse_policy(text).temperature
    for step, temperature in seen:
        assert temperature == pytest.approx(schedule(step))
    with (tmp_path / "progress.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert "rollout/exploration_rate" not in rows[0]  # SB3's ε, not the policy in use
    entropies = [
        float(r["exploration/entropy_nats"]) for r in rows if r["exploration/entropy_nats"]
    ]
    temperatures = [float(r["exploration/temperature"]) for r in rows]
    assert entropies and all(0.0 <= h <= math.log(2) + 1e-12 for h in entropies)
    assert all(1.0 <= t <= 4.0 for t in temperatures)


@pytest.mark.parametrize(("temperature", "expected"), [("inf", math.log(2)), ("0", 0.0)])
def test_entropy_is_the_rollout_mean(sb3, temperature, expected):
    # uniform (T = inf) and greedy (T = 0; a network's two values are never tied)
    text = f"boltzmann(temperature={temperature})"
    model = sb3.BoltzmannDQN(
        "MlpPolicy", "CartPole-v1", text, seed=0, **{**SMALL, "learning_starts": 0}
    )
    model.learn(100)
    h = model.logger.name_to_value["exploration/entropy_nats"]
    assert h == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("text", ["ucb(c=2.0)", "bgumbel(c=1.0)"])
def test_policies_that_need_counts_are_refused(sb3, text):
    with pytest.raises(ValueError, match="needs visit counts.*actual value: " + text.split("(")[0]):
        sb3.BoltzmannDQN("MlpPolicy", "CartPole-v1", text)


def test_non_discrete_action_space_is_refused(sb3):
    with pytest.raises(ValueError, match=r"Discrete action space.*actual value: Box\("):
        sb3.BoltzmannDQN("MlpPolicy", "Pendulum-v1", "boltzmann(temperature=1.0)")


def test_bad_policy_text_is_refused(sb3):
    with pytest.raises(ValueError, match="temperature"):
        sb3.BoltzmannDQN("MlpPolicy", "CartPole-v1", "boltzmann(temperature=-1)")


def test_run_dqn_reports_episodes_and_greedy_returns(sb3):
    r = sb3.run_dqn(
        "CartPole-v1", "egreedy(epsilon=0.1)", timesteps=300, seed=0, eval_episodes=3, **SMALL
    )
    assert r.timesteps == 300 and len(r.eval_returns) == 3
    assert len(r.episode_returns) == len(r.episode_ends) > 0
    assert (np.diff(r.episode_ends) > 0).all() and r.episode_ends[-1] <= 300
    assert r.episode_returns.sum() <= 300
    with pytest.raises(ValueError, match="timesteps must be a positive integer, actual value: 0"):
        sb3.run_dqn("CartPole-v1", "greedy", timesteps=0, seed=0)


@pytest.mark.slow
def test_egreedy_on_sb3_schedule_reproduces_stock_dqn(sb3):
    """Only exploration changed: our ε-greedy on SB3's schedule vs stock SB3 DQN."""
    from scipy import stats

    hp = {
        "learning_starts": 500,
        "exploration_fraction": 0.3,
        "train_freq": 4,
        "buffer_size": 10_000,
    }
    ours, stock = [], []
    for seed in range(10):
        for policy, out in (("egreedy(epsilon=linear(1.0, 0.05, 1200))", ours), ("sb3", stock)):
            r = sb3.run_dqn("CartPole-v1", policy, timesteps=4000, seed=seed, eval_episodes=0, **hp)
            out.append(r.episode_returns.mean())
    assert stats.ttest_ind(ours, stock, equal_var=False).pvalue > 1e-3


def test_cli_gym_agent_dqn(sb3, capsys):
    from boltzmann_rl.cli import main

    argv = ["gym", "CartPole-v1", "--agent", "dqn", "--policy", "boltzmann(temperature=1.0)"]
    code = main(
        [
            *argv,
            "--timesteps",
            "200",
            "--eval-episodes",
            "2",
            "--json",
            "--dqn-arg",
            "learning_starts=100",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (summary["agent"], summary["steps"], summary["eval_episodes"]) == ("dqn", 200, 2)
    assert main(argv) == 2  # no --timesteps
    assert "--timesteps" in capsys.readouterr().err
    assert main([*argv[:-1], "ucb(c=1.0)", "--timesteps", "10"]) == 2
    assert "needs visit counts" in capsys.readouterr().err
    # the plain-text summary names the learner
    assert main([*argv, "--timesteps", "200", "--eval-episodes", "1"]) == 0
    assert "BoltzmannDQN (Stable-Baselines3 DQN" in capsys.readouterr().out


DQN_STUDY = """
[study]
name = "dqn_tiny"
[problem]
type = "gym"
env = "CartPole-v1"
[agent]
name = "dqn"
args = {{ {args} }}
[budget]
seeds = 2
episodes = 1000
eval_episodes = 2
[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature={{temperature}})"
grid = {{ temperature = [0.1, 1.0] }}
"""


def test_study_with_a_dqn_agent(sb3, tmp_path):
    from boltzmann_rl.sweep.config import loads_study
    from boltzmann_rl.sweep.runner import run_study

    args = "timesteps = 150, learning_starts = 100, train_freq = 4, buffer_size = 500"
    study = loads_study(DQN_STUDY.format(args=args))
    from boltzmann_rl.sweep.store import Store

    result = run_study(study, tmp_path / "out", backend="serial", figures=False)
    assert (result.ran, result.failed) == (2, 0)
    with Store(tmp_path / "out", readonly=True) as store:
        summaries = [store.summary(m.cell.id) for m in study.members]
    for summary in summaries:
        assert np.isfinite(summary["eval_return"]) and np.isfinite(summary["eval_return_ci"])
    with pytest.raises(ValueError, match="timesteps"):
        loads_study(DQN_STUDY.format(args="learning_starts = 10"))
    with pytest.raises(ValueError, match="colour"):
        loads_study(DQN_STUDY.format(args="timesteps = 10, colour = 1"))


# ------------------------------------------------------------------ DQN studies, seed by seed

DQN_SEEDS = DQN_STUDY.replace("seeds = 2", "seeds = 3").format(
    args="timesteps = 250, learning_starts = 100, train_freq = 4, buffer_size = 500"
)


def _stop_after(n: int):
    """A quiet progress that stops the run (as Ctrl-C would) once ``n`` seeds are stored."""
    from boltzmann_rl._progress import Progress

    class StopAfter(Progress):
        def finished(self, k):
            super().finished(k)
            if self.done - self.done_before >= n:
                raise KeyboardInterrupt

    return StopAfter("run", "cells", mode="quiet")


def _lines():
    from boltzmann_rl._progress import Progress

    return Progress("run", "cells", io.StringIO(), mode="lines")


def test_dqn_study_runs_one_seed_per_task_and_resumes_seed_by_seed(sb3, tmp_path):
    from helpers import assert_same_stores

    from boltzmann_rl.sweep.config import loads_study
    from boltzmann_rl.sweep.runner import run_study
    from boltzmann_rl.sweep.store import Store

    study = loads_study(DQN_SEEDS)
    run_study(study, tmp_path / "serial", backend="serial", report=False)
    progress = _lines()
    whole = run_study(
        study, tmp_path / "process", backend="process", workers=2, report=False, progress=progress
    )
    assert (whole.ran, whole.failed) == (2, 0)
    lines = progress.stream.getvalue().splitlines()
    assert lines[0] == "run: 6 seeds, 0 already done, 6 to run"  # 2 settings x 3 seeds
    assert lines[-1].startswith("run: 6/6 seeds done")
    assert_same_stores(tmp_path / "serial", tmp_path / "process")

    out = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        run_study(study, out, backend="process", workers=2, report=False, progress=_stop_after(2))
    with Store(out, readonly=True) as store:
        # two seeds of the first setting: stored, its cell not yet
        assert store.done_ids() == set()
        assert sum(map(len, store.part_indices().values())) == 2
    progress = _lines()
    again = run_study(study, out, backend="process", workers=2, report=False, progress=progress)
    assert (again.ran, again.skipped) == (2, 0)
    assert progress.stream.getvalue().startswith("run: 6 seeds, 2 already done, 4 to run")
    assert_same_stores(tmp_path / "serial", out)


@pytest.mark.slow  # a local Ray starts in ~15 s
def test_dqn_study_on_ray_resumes_seed_by_seed(sb3, tmp_path):
    pytest.importorskip("ray")
    from helpers import assert_same_stores

    from boltzmann_rl.sweep.config import load_study
    from boltzmann_rl.sweep.runner import run_study

    path = tmp_path / "dqn.toml"
    path.write_text(DQN_SEEDS)
    study = load_study(path)
    run_study(study, tmp_path / "serial", backend="serial", report=False)
    out = tmp_path / "ray"
    with pytest.raises(KeyboardInterrupt):  # three seeds stored, one cell of the two
        run_study(study, out, backend="serial", report=False, progress=_stop_after(3))
    cmd = [sys.executable, "-m", "boltzmann_rl", "run", str(path), "--out", str(out)]
    cmd += ["--backend", "ray", "--workers", "2", "--json", "--no-figures"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["backend"], data["ran"], data["skipped"], data["failed"]) == ("ray", 1, 1, 0)
    assert_same_stores(tmp_path / "serial", out)
