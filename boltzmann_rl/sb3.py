"""Any policy of ours as the exploration of Stable-Baselines3's DQN.

:class:`BoltzmannDQN` is SB3's :class:`~stable_baselines3.DQN` with one thing changed:
during training each action is drawn by a boltzmann_rl policy (Boltzmann with a fixed
or annealed temperature, ε-greedy, greedy, sparsemax, mellowmax, ...) from the
Q-network's values for the current observation, one draw per sub-environment. The
policy's schedules are evaluated at SB3's timestep counter ``num_timesteps``, and the
draws come from a numpy ``Generator`` seeded from the model's ``seed`` (SB3's own
ε-greedy draws from numpy's global random state). ``predict(obs,
deterministic=True)`` stays greedy. Learning, the replay buffer, the target network,
callbacks and the logger are SB3's.

This module needs the ``sb3`` extra (``pip install "boltzmann-rl[sb3]"``): it is the
only part of boltzmann_rl that imports PyTorch.

Logged with SB3's logger at every step (so they reach its stdout table, CSV and
TensorBoard output):

``exploration/temperature``, ``exploration/epsilon``, ``exploration/omega``
    the policy's current parameter (whichever it has), at ``num_timesteps``;
``exploration/entropy_nats``
    the mean entropy (nats) of the distributions the actions of the last rollout
    were drawn from (uniform during SB3's warm-up, ``learning_starts``), recorded when
    the rollout ends (like SB3's ``train/loss``, it is absent from a dump that comes
    before the next rollout's end).

Examples
--------
>>> from boltzmann_rl.sb3 import BoltzmannDQN
>>> model = BoltzmannDQN("MlpPolicy", "CartPole-v1", "boltzmann(temperature=0.5)",
...                      learning_starts=50, seed=0)
>>> model.exploration_policy
boltzmann(temperature=0.5)
>>> model = model.learn(200)
>>> model.num_timesteps
200
>>> action, _ = model.predict(model.env.reset(), deterministic=True)
>>> action.shape
(1,)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

try:
    import torch as th
    from gymnasium import spaces
    from stable_baselines3 import DQN
    from stable_baselines3.common.base_class import maybe_make_env
    from stable_baselines3.common.callbacks import BaseCallback
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f"boltzmann_rl.sb3 needs Stable-Baselines3 and PyTorch ({exc.name} is missing): "
        'pip install "boltzmann-rl[sb3]"'
    ) from exc

from boltzmann_rl.core import as_generator
from boltzmann_rl.gym.agents import _policy
from boltzmann_rl.policies import EpsilonGreedy, RowPolicy
from boltzmann_rl.schedules import Linear
from boltzmann_rl.spec import parse_policy

__all__ = ["BoltzmannDQN", "DQNResult", "run_dqn"]

# The policy parameters logged as exploration/<name> when the policy has one.
_LOGGED_PARAMETERS = ("temperature", "epsilon", "omega")


def _check_action_space(space: Any) -> int:
    """The number of actions of a Discrete space; anything else is refused."""
    if not isinstance(space, spaces.Discrete):
        raise ValueError(
            f"BoltzmannDQN needs a Discrete action space (one Q-value per action), "
            f"actual value: {space}"
        )
    return int(space.n)


def _check_policy(policy: Any) -> Any:
    policy = _policy(policy)
    if getattr(policy, "needs_counts", False):
        raise ValueError(
            "BoltzmannDQN: a policy that needs visit counts (UCB, Boltzmann-Gumbel) has none "
            f"from a Q-network; use boltzmann, egreedy, greedy or an alternative, actual value: "
            f"{policy!r}"
        )
    return policy


class BoltzmannDQN(DQN):
    """SB3's DQN exploring with a boltzmann_rl policy on the Q-network's values.

    Parameters
    ----------
    policy : str or type
        SB3's network policy (``"MlpPolicy"``, ``"CnnPolicy"``, ...), as for
        :class:`~stable_baselines3.DQN`.
    env : gymnasium.Env, VecEnv or str
        An environment with a ``Discrete`` action space.
    exploration_policy : Policy, str or None, default None
        The behaviour policy during training, or its text form
        (``"boltzmann(temperature=exp(5.0, 0.1, 20000))"``). Its schedules are
        evaluated at ``num_timesteps``; temperatures are in the units of the Q-values
        (returns). ``None`` is SB3's own rule: ε-greedy on the linear schedule from
        ``exploration_initial_eps`` to ``exploration_final_eps`` over the first
        ``exploration_fraction`` of the ``learn`` call's timesteps, drawn from this
        model's generator. The policy must have a text form that
        :func:`boltzmann_rl.spec.parse_policy` reads back: that text is what
        ``save`` stores.
    **kwargs
        Every other argument of :class:`~stable_baselines3.DQN` (``learning_rate``,
        ``buffer_size``, ``learning_starts``, ``seed``, ...).

    Attributes
    ----------
    exploration_policy : Policy or None
        The policy as given (parsed).
    behaviour_policy : Policy
        The policy in use: ``exploration_policy``, or SB3's ε-greedy rule resolved
        for the current ``learn`` call.

    Raises
    ------
    ValueError
        A policy that needs visit counts (``ucb``, ``bgumbel``), or an action space
        that is not ``Discrete`` (both named in the message).

    Notes
    -----
    During SB3's warm-up (``num_timesteps < learning_starts``) actions are uniform,
    as in SB3, drawn from the same generator. ``predict(obs)`` without
    ``deterministic=True`` draws from the policy too, at the current
    ``num_timesteps``. A loaded model restarts its generator from ``seed``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.sb3 import BoltzmannDQN
    >>> model = BoltzmannDQN("MlpPolicy", "CartPole-v1",
    ...                      "egreedy(epsilon=linear(1.0, 0.05, 500))", seed=1)
    >>> q = model.q_values(np.zeros((1, 4), dtype=np.float32))
    >>> q.shape
    (1, 2)
    >>> BoltzmannDQN("MlpPolicy", "CartPole-v1", "ucb(c=2.0)")
    Traceback (most recent call last):
    ...
    ValueError: BoltzmannDQN: a policy that needs visit counts (UCB, Boltzmann-Gumbel) ...
    """

    def __init__(
        self,
        policy: Any,
        env: Any,
        exploration_policy: Any = None,
        **kwargs: Any,
    ) -> None:
        if env is not None:
            env = maybe_make_env(env, kwargs.get("verbose", 0))
            _check_action_space(env.action_space)
        self.exploration_policy = (
            None if exploration_policy is None else _check_policy(exploration_policy)
        )
        # What save() keeps of the policy: its text form, parsed back by _setup_model.
        self.exploration_policy_text = (
            None if self.exploration_policy is None else repr(self.exploration_policy)
        )
        self._rng = as_generator(kwargs.get("seed"))
        self._reset_rollout()
        super().__init__(policy, env, **kwargs)

    # -- construction, seeding, saving

    def _setup_model(self) -> None:
        n_actions = _check_action_space(self.action_space)
        if self.exploration_policy_text is not None:
            self.exploration_policy = _check_policy(parse_policy(self.exploration_policy_text))
        elif not hasattr(self, "exploration_policy"):
            self.exploration_policy = None
        super()._setup_model()
        self._set_behaviour(self._behaviour(None))
        self._n_actions = n_actions
        self._reset_rollout()

    def _set_behaviour(self, policy: Any) -> None:
        self.behaviour_policy = policy
        # one decision (a single env) takes the policy's pure-Python row path if it has one
        self._row_path = isinstance(policy, RowPolicy)

    def _reset_rollout(self) -> None:
        # the rollout's Q-value rows and their steps: one entropy call at its end
        self._rollout_q: list[np.ndarray] = []
        self._rollout_steps: list[int] = []
        self._rollout_uniform = 0  # warm-up draws, uniform

    def _behaviour(self, total_timesteps: int | None) -> Any:
        if self.exploration_policy is not None:
            return self.exploration_policy
        if total_timesteps is None:
            # before learn(): SB3's predict uses the current exploration_rate
            return EpsilonGreedy(epsilon=float(self.exploration_rate))
        steps = max(1, round(self.exploration_fraction * total_timesteps))
        return EpsilonGreedy(
            epsilon=Linear(self.exploration_initial_eps, self.exploration_final_eps, steps)
        )

    def set_random_seed(self, seed: int | None = None) -> None:
        """SB3's seeding, plus this model's action generator (from ``seed``)."""
        super().set_random_seed(seed)
        self._rng = as_generator(seed)

    def _excluded_save_params(self) -> list[str]:
        # the policy travels as exploration_policy_text, never pickled
        return [
            *super()._excluded_save_params(),
            "exploration_policy",
            "behaviour_policy",
            "_rng",
            "_rollout_q",
            "_rollout_steps",
        ]

    def _setup_learn(self, total_timesteps: int, *args: Any, **kwargs: Any) -> Any:
        out = super()._setup_learn(total_timesteps, *args, **kwargs)
        self._set_behaviour(self._behaviour(self._total_timesteps))
        return out

    # -- acting

    def q_values(self, observation: Any) -> np.ndarray:
        """The online Q-network's values, float64, shape ``(n, n_actions)``.

        A single (non-vectorized) observation gives one row.
        """
        obs, _ = self.policy.obs_to_tensor(observation)
        with th.no_grad():
            q = self.q_net(obs)
        return q.cpu().numpy().astype(np.float64, copy=False)

    def _draw(self, observation: Any) -> tuple[np.ndarray, np.ndarray, bool]:
        obs, vectorized = self.policy.obs_to_tensor(observation)
        self.policy.set_training_mode(False)
        with th.no_grad():
            q = self.q_net(obs).cpu().numpy().astype(np.float64, copy=False)
        step = self.num_timesteps
        if self._row_path and q.shape[0] == 1:
            a = self.behaviour_policy.sample_row(q[0].tolist(), self._rng.random(), step=step)
            return np.array([a], dtype=np.int64), q, vectorized
        actions = np.asarray(self.behaviour_policy.sample(q, self._rng, step=step), np.int64)
        return actions.reshape(-1), q, vectorized

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        """Greedy with ``deterministic=True``; else a draw from the behaviour policy.

        Examples
        --------
        >>> import numpy as np
        >>> from boltzmann_rl.sb3 import BoltzmannDQN
        >>> model = BoltzmannDQN("MlpPolicy", "CartPole-v1", "boltzmann(temperature=1.0)",
        ...                      seed=0)
        >>> obs = np.zeros(4, dtype=np.float32)
        >>> a, _ = model.predict(obs, deterministic=True)
        >>> int(a) == int(model.q_values(obs).argmax())
        True
        """
        if deterministic:
            return self.policy.predict(observation, state, episode_start, True)
        actions, _, vectorized = self._draw(observation)
        return (actions if vectorized else actions[0]), state

    def _sample_action(
        self, learning_starts: int, action_noise: Any = None, n_envs: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.num_timesteps < learning_starts:
            actions = self._rng.integers(self._n_actions, size=n_envs)
            self._rollout_uniform += n_envs
        else:
            actions, q, _ = self._draw(self._last_obs)
            self._rollout_q.append(q)
            self._rollout_steps.append(self.num_timesteps)
        return actions, actions

    def collect_rollouts(self, *args: Any, **kwargs: Any) -> Any:
        """SB3's rollout, then the mean entropy of its action distributions is logged."""
        self._reset_rollout()
        out = super().collect_rollouts(*args, **kwargs)
        total = self._rollout_uniform * math.log(self._n_actions)
        count = self._rollout_uniform
        if self._rollout_q:
            rows = [len(q) for q in self._rollout_q]
            h = self.behaviour_policy.entropy(
                np.concatenate(self._rollout_q), step=np.repeat(self._rollout_steps, rows)
            )
            total += float(np.sum(h))
            count += sum(rows)
        if count:
            self.logger.record("exploration/entropy_nats", total / count)
        return out

    def _on_step(self) -> None:
        super()._on_step()
        log = self.logger
        # SB3's exploration_rate is its own ε schedule, not the policy in use.
        for store in (log.name_to_value, log.name_to_count, log.name_to_excluded):
            store.pop("rollout/exploration_rate", None)
        step = self.num_timesteps
        for name in _LOGGED_PARAMETERS:
            param = getattr(self.behaviour_policy, name, None)
            if callable(param):
                log.record(f"exploration/{name}", float(param(step)))


# ------------------------------------------------------------------- one training run


class _EpisodeRecorder(BaseCallback):
    """Collects each finished episode's return and the timestep it ended at."""

    def __init__(self) -> None:
        super().__init__()
        self.returns: list[float] = []
        self.ends: list[int] = []

    def _on_step(self) -> bool:
        for i, info in enumerate(self.locals["infos"]):
            ep = info.get("episode")
            if ep is not None:
                self.returns.append(float(ep["r"]))
                self.ends.append(self.num_timesteps - len(self.locals["infos"]) + i + 1)
        return True


@dataclass
class DQNResult:
    """What :func:`run_dqn` returns.

    Attributes
    ----------
    episode_returns : ndarray
        Return of each training episode, in the order they ended.
    episode_ends : ndarray
        The timestep (``num_timesteps``) at which each training episode ended.
    eval_returns : ndarray
        Greedy (``deterministic=True``) returns of the evaluation episodes.
    timesteps : int
    seconds : float
        Training wall time.
    policy : str
        The behaviour policy's text form (``"sb3"``: stock SB3 DQN).
    interrupted : bool
        Always False (``learn`` has no interruption of its own); kept so the sweep
        layer treats every trainer alike.
    model : BoltzmannDQN or DQN
        The trained model.
    eval_at, eval_means : ndarray
        Periodic greedy evaluations (the episodes, the mean returns): empty, since a
        DQN run is budgeted in timesteps and evaluated once at its end; kept so the
        sweep layer reads every trainer's result alike.

    Examples
    --------
    >>> from boltzmann_rl.sb3 import run_dqn
    >>> r = run_dqn("CartPole-v1", "greedy", timesteps=100, seed=0, eval_episodes=1)
    >>> bool(r.episode_returns.sum() <= 100), r.episode_ends.dtype
    (True, dtype('int64'))
    """

    episode_returns: np.ndarray
    episode_ends: np.ndarray
    eval_returns: np.ndarray
    timesteps: int
    seconds: float
    policy: str
    interrupted: bool = False
    model: Any = field(default=None, repr=False)
    eval_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    eval_means: np.ndarray = field(default_factory=lambda: np.zeros(0))


STOCK = "sb3"
"""The policy text that :func:`run_dqn` reads as stock SB3 DQN (its own ε-greedy)."""


def run_dqn(
    env_id: str,
    policy: Any,
    *,
    timesteps: int,
    seed: int,
    env_kwargs: dict[str, Any] | None = None,
    episodes: int | None = None,
    eval_episodes: int = 10,
    callback: Any = None,
    **dqn_kwargs: Any,
) -> DQNResult:
    """Train a :class:`BoltzmannDQN` for ``timesteps`` and evaluate it greedily.

    Parameters
    ----------
    env_id : str
        A gymnasium id with a Discrete action space (``"CartPole-v1"``).
    policy : Policy, str or None
        The exploration policy; ``None`` is SB3's ε-greedy rule on this model's
        generator, and the text ``"sb3"`` is stock :class:`~stable_baselines3.DQN`
        itself (its ε-greedy on numpy's global random state), for comparisons.
    timesteps : int
        ``learn(total_timesteps)``.
    seed : int
        The model's ``seed``; the evaluation environment is seeded from it too.
    env_kwargs : dict, optional
        Keyword arguments of ``gymnasium.make``.
    episodes : int, optional
        Stop earlier, after this many training episodes.
    eval_episodes : int, default 10
        Greedy evaluation episodes after training (0: none).
    callback : SB3 callback, optional
        Passed to ``learn`` beside the episode recorder.
    **dqn_kwargs
        SB3 DQN hyperparameters (``learning_rate``, ``batch_size``, ...);
        ``policy_kwargs`` may be a dict such as ``{"net_arch": [256, 256]}``.

    Returns
    -------
    DQNResult

    Examples
    --------
    >>> from boltzmann_rl.sb3 import run_dqn
    >>> r = run_dqn("CartPole-v1", "boltzmann(temperature=1.0)", timesteps=300, seed=0,
    ...             eval_episodes=2, learning_starts=100)
    >>> r.timesteps, len(r.eval_returns), r.policy
    (300, 2, 'boltzmann(temperature=1.0)')
    """
    import gymnasium as gym
    from stable_baselines3.common.callbacks import StopTrainingOnMaxEpisodes
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    if isinstance(timesteps, bool) or not isinstance(timesteps, int) or timesteps < 1:
        raise ValueError(f"timesteps must be a positive integer, actual value: {timesteps!r}")
    kwargs = dict(env_kwargs or {})
    env = Monitor(gym.make(env_id, **kwargs))
    stock = isinstance(policy, str) and policy.strip() == STOCK
    if stock:
        _check_action_space(env.action_space)
        model: Any = DQN("MlpPolicy", env, seed=seed, **dqn_kwargs)
    else:
        model = BoltzmannDQN("MlpPolicy", env, policy, seed=seed, **dqn_kwargs)
    recorder = _EpisodeRecorder()
    callbacks = [recorder] if callback is None else [recorder, callback]
    if episodes is not None:
        callbacks.append(StopTrainingOnMaxEpisodes(episodes))
    t0 = time.perf_counter()
    model.learn(total_timesteps=timesteps, callback=callbacks)
    seconds = time.perf_counter() - t0
    evals: Any = []  # evaluate_policy's episode rewards (list[float] with return_episode_rewards)
    if eval_episodes > 0:
        eval_env = DummyVecEnv([lambda: Monitor(gym.make(env_id, **kwargs))])
        eval_env.seed(int(as_generator(seed).integers(2**31)))
        evals, _ = evaluate_policy(
            model,
            eval_env,
            n_eval_episodes=eval_episodes,
            deterministic=True,
            return_episode_rewards=True,
        )
        eval_env.close()
    env.close()
    return DQNResult(
        episode_returns=np.asarray(recorder.returns, dtype=np.float64),
        episode_ends=np.asarray(recorder.ends, dtype=np.int64),
        eval_returns=np.asarray(evals, dtype=np.float64),
        timesteps=int(model.num_timesteps),
        seconds=seconds,
        policy=STOCK if stock else repr(model.behaviour_policy),
        model=model,
    )
