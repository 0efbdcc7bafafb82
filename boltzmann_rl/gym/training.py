"""The training loop: episodes or steps, one seed, periodic greedy evaluation.

:func:`run_gym` is the one-call entry point (the ``boltzmann-rl gym`` command and the
sweeps use it): it makes the environment, the agent and the policy from names and
text, trains, evaluates and returns a :class:`GymResult`. :func:`train` runs the
same loop for an agent and an environment you built yourself, single or vector.

Seeding: one seed (an int or a :class:`numpy.random.SeedSequence`) is split with
``SeedSequence.spawn`` into independent streams for the agent's ``Generator``, the
training environment (``env.reset(seed=...)`` once, and its spaces), the evaluation
environment and the evaluation tie-breaks; the same seed gives identical results,
and evaluating more or less often does not change the training run.

Episode ends follow gymnasium: ``terminated`` is a terminal state (the target does
not bootstrap), ``truncated`` a time limit (it does). Vector environments
(:class:`gymnasium.vector.SyncVectorEnv` and ``AsyncVectorEnv``) are handled in the
environment's own autoreset mode (``NEXT_STEP``, gymnasium's default, ``SAME_STEP``
or ``DISABLED``): the reset step of ``NEXT_STEP`` is not learned from, the final
observation of ``SAME_STEP`` is bootstrapped from, and ``DISABLED`` environments are
reset by the loop.

Ctrl-C (``KeyboardInterrupt``) stops the loop and returns what was collected, with
``interrupted=True``. An observation outside the environment's observation space
raises ``ValueError`` naming it and the space; finite rewards whose sum overflows the
float range raise ``ValueError`` naming the episode (never an infinite return). A
non-finite reward raises ``ValueError`` naming the step and
the episode.

Examples
--------
>>> from boltzmann_rl.gym import run_gym
>>> result = run_gym("FrozenLake-v1", "qlearning", "boltzmann(temperature=0.1)",
...                  episodes=50, eval_episodes=5, seed=0)
>>> len(result.episode_returns), list(result.summary())[:3]
(50, ['env', 'agent', 'policy'])
"""

from __future__ import annotations

import csv
import difflib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from boltzmann_rl._checks import positive_int
from boltzmann_rl.core import as_generator
from boltzmann_rl.gym.agents import GymAgent, make_agent
from boltzmann_rl.gym.spaces import checked_observe

__all__ = [
    "DEFAULT_MAX_EPISODE_STEPS",
    "GymResult",
    "evaluate",
    "make_env",
    "make_vector_env",
    "run_gym",
    "train",
]

DEFAULT_MAX_EPISODE_STEPS = 1000
"""Time limit for environments registered without one (such as CliffWalking-v1).

Without it a greedy policy that walks into a wall forever never ends an episode.
The limit truncates (the agents bootstrap there), so learning is unaffected.
"""


# --------------------------------------------------------------------------- environments


def _registry_hint(env_id: str) -> str:
    import gymnasium

    known = sorted(gymnasium.registry)
    close = difflib.get_close_matches(env_id, known, n=3, cutoff=0.5)
    if close:
        return f"; did you mean {', '.join(close)}?"
    return "; see gymnasium.pprint_registry() for the registered ids"


def make_env(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    *,
    max_episode_steps: int | None = None,
) -> Any:
    """Make a gymnasium environment, with errors that say what went wrong.

    Parameters
    ----------
    env_id : str
        A registered id, for example ``"FrozenLake-v1"``, or ``"module:EnvName-v0"``
        to import ``module`` first (which registers ``EnvName-v0``), as
        ``gymnasium.make`` does.
    env_kwargs : dict, optional
        Keyword arguments of the environment (``{"map_name": "8x8"}``).
    max_episode_steps : int, optional
        Time limit; default the registered one, or
        :data:`DEFAULT_MAX_EPISODE_STEPS` for environments registered without.

    Returns
    -------
    gymnasium.Env

    Raises
    ------
    ValueError
        For an unknown id (with close matches), keyword arguments the environment
        does not accept, or an invalid time limit.

    Examples
    --------
    >>> from boltzmann_rl.gym import make_env
    >>> make_env("CliffWalking-v1").spec.max_episode_steps
    1000
    >>> make_env("FrozenLake-v2")
    Traceback (most recent call last):
    ...
    ValueError: unknown environment id 'FrozenLake-v2' (...); did you mean FrozenLake-v1...
    """
    import importlib

    import gymnasium

    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a str, got {type(env_id).__name__}: {env_id!r}")
    kwargs = dict(env_kwargs or {})
    if max_episode_steps is not None:
        positive_int(max_episode_steps, "max_episode_steps")
    # gymnasium's "module:EnvName-v0" form: the module registers the id when imported
    # (gymnasium.make imports it the same way; the spec is read first, for the limit).
    module, _, name = env_id.rpartition(":")
    if module:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ValueError(
                f"unknown environment {env_id!r}: cannot import the module {module!r} ({exc})"
            ) from None
    try:
        spec = gymnasium.spec(name)
    except gymnasium.error.Error as exc:
        raise ValueError(
            f"unknown environment id {env_id!r} ({exc}){_registry_hint(env_id)}"
        ) from None
    limit = max_episode_steps
    if limit is None and spec.max_episode_steps is None:
        limit = DEFAULT_MAX_EPISODE_STEPS
    try:
        if limit is None:
            return gymnasium.make(env_id, **kwargs)
        return gymnasium.make(env_id, max_episode_steps=limit, **kwargs)
    except gymnasium.error.Error as exc:
        raise ValueError(f"cannot make environment {env_id!r}: {exc}") from None
    except (TypeError, KeyError, ValueError, AssertionError) as exc:
        raise ValueError(
            f"environment {env_id!r} rejected the keyword arguments {kwargs}: "
            f"{type(exc).__name__}: {exc}"
        ) from None


def _env_thunk(env_id: str, env_kwargs: dict[str, Any], max_episode_steps: int | None) -> Any:
    return make_env(env_id, env_kwargs, max_episode_steps=max_episode_steps)


def make_vector_env(
    env_id: str,
    num_envs: int,
    env_kwargs: dict[str, Any] | None = None,
    *,
    mode: str = "sync",
    max_episode_steps: int | None = None,
    autoreset_mode: Any = None,
) -> Any:
    """Make a gymnasium vector environment of ``num_envs`` copies (sync or async).

    Parameters
    ----------
    env_id, env_kwargs, max_episode_steps
        As for :func:`make_env`.
    num_envs : int
        Number of sub-environments, ``>= 1``.
    mode : {"sync", "async"}, default "sync"
        :class:`gymnasium.vector.SyncVectorEnv` (one process) or ``AsyncVectorEnv``
        (one process per sub-environment).
    autoreset_mode : gymnasium.vector.AutoresetMode or str, optional
        Default gymnasium's (``NEXT_STEP``); :func:`train` handles all three.

    Returns
    -------
    gymnasium.vector.VectorEnv

    Examples
    --------
    >>> from boltzmann_rl.gym import make_vector_env
    >>> env = make_vector_env("FrozenLake-v1", 2)
    >>> env.num_envs, type(env).__name__
    (2, 'SyncVectorEnv')
    >>> env.close()
    """
    import functools

    import gymnasium

    positive_int(num_envs, "num_envs")
    if mode not in ("sync", "async"):
        raise ValueError(f"mode must be 'sync' or 'async', actual value: {mode!r}")
    kwargs = dict(env_kwargs or {})
    make_env(env_id, kwargs, max_episode_steps=max_episode_steps).close()  # fail early, clearly
    thunk = functools.partial(_env_thunk, env_id, kwargs, max_episode_steps)
    vector_kwargs: dict[str, Any] = {}
    if autoreset_mode is not None:
        vector_kwargs["autoreset_mode"] = autoreset_mode
    cls = gymnasium.vector.SyncVectorEnv if mode == "sync" else gymnasium.vector.AsyncVectorEnv
    return cls([thunk] * num_envs, **vector_kwargs)


# --------------------------------------------------------------------------- results


def _json_float(x: Any) -> float | None:
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


@dataclass
class GymResult:
    """What a training run produced: per-episode arrays, evaluations, a summary.

    Attributes
    ----------
    env_id : str
    agent : str
        The algorithm (``"qlearning"``, ``"sarsa"``, ``"expected-sarsa"``).
    policy : str
        The policy's text form.
    seed : int
        The root seed (for ``seed=None``, the entropy drawn, so the run can be
        repeated).
    episode_returns, episode_lengths : ndarray
        Undiscounted return and number of steps of each finished training episode.
    episode_end_steps : ndarray
        The global step count at which each training episode ended.
    eval_at : ndarray
        Training episodes finished at each periodic greedy evaluation.
    eval_means : ndarray
        Mean greedy return at each periodic evaluation.
    eval_returns : ndarray
        Returns of the final greedy evaluation episodes (empty if interrupted).
    steps : int
        Transitions learned from.
    seconds : float
        Wall-clock time of the run.
    interrupted : bool
        The run was stopped by Ctrl-C; the arrays hold what was collected.
    config : dict
        Everything else needed to repeat the run (env kwargs, alpha, gamma, ...).
    trained_agent : object
        The agent after training (its ``q`` table or weights); not compared.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.gym import GymResult
    >>> r = GymResult("E-v0", "sarsa", "greedy", 0, np.array([1.0, 0.0]), np.array([3, 4]),
    ...               np.array([3, 7]), eval_returns=np.array([1.0, 1.0, 0.0]))
    >>> s = r.summary()
    >>> s["train_return_last100"], round(s["eval_return"], 4), s["episodes"]
    (0.5, 0.6667, 2)
    """

    env_id: str
    agent: str
    policy: str
    seed: int
    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    episode_end_steps: np.ndarray
    eval_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    eval_means: np.ndarray = field(default_factory=lambda: np.zeros(0))
    eval_returns: np.ndarray = field(default_factory=lambda: np.zeros(0))
    steps: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    trained_agent: Any = field(default=None, repr=False, compare=False)

    @property
    def episodes(self) -> int:
        """Number of finished training episodes."""
        return len(self.episode_returns)

    def eval_ci(self) -> tuple[float | None, float | None]:
        """Mean and 95 % Student-t half-width of the final greedy returns (None if absent)."""
        n = len(self.eval_returns)
        if n == 0:
            return None, None
        if n == 1:
            return float(self.eval_returns[0]), None
        from boltzmann_rl.stats import mean_ci

        mean, half = mean_ci(self.eval_returns)
        return float(mean), _json_float(half)

    def summary(self) -> dict[str, Any]:
        """The run in one JSON-ready dict (the ``--json`` output of the command line).

        Keys: ``env``, ``agent``, ``policy``, ``eval_return`` (mean greedy return
        over the final evaluation episodes), ``eval_return_ci`` (its 95 % half-width),
        ``train_return_last100`` (mean return of the last 100 training episodes),
        ``episodes``, then ``steps``, ``seed``, ``eval_episodes``, ``interrupted``,
        ``seconds`` and the ``config`` entries. Missing values are ``None``.
        """
        mean, half = self.eval_ci()
        last = self.episode_returns[-100:]
        out: dict[str, Any] = {
            "env": self.env_id,
            "agent": self.agent,
            "policy": self.policy,
            "eval_return": mean,
            "eval_return_ci": half,
            "train_return_last100": float(np.mean(last)) if len(last) else None,
            "episodes": self.episodes,
            "steps": int(self.steps),
            "seed": self.seed,
            "eval_episodes": len(self.eval_returns),
            "interrupted": bool(self.interrupted),
            "seconds": round(float(self.seconds), 3),
        }
        for key, value in self.config.items():
            out.setdefault(key, value)
        return out

    def to_frame(self, table: str = "episodes") -> Any:
        """The run as a pandas DataFrame (needs pandas: the ``pandas`` extra).

        Parameters
        ----------
        table : {"episodes", "evaluations"}, default "episodes"
            ``"episodes"``: one row per training episode (``episode`` from 1,
            ``return``, ``length``, ``end_step``), the columns of ``episodes.csv``.
            ``"evaluations"``: one row per periodic greedy evaluation (``episode``,
            ``greedy_return_mean``), the columns of ``evaluations.csv``.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ValueError
            For another ``table``.
        boltzmann_rl._optional.MissingExtra
            If pandas is not installed (the message names the extra).

        Examples
        --------
        >>> import numpy as np
        >>> from boltzmann_rl.gym import GymResult
        >>> r = GymResult("E-v0", "sarsa", "greedy", 0, np.array([1.0, 0.0]),
        ...               np.array([3, 4]), np.array([3, 7]))
        >>> r.to_frame()["return"].tolist()
        [1.0, 0.0]
        """
        from boltzmann_rl._optional import import_optional

        if table not in ("episodes", "evaluations"):
            raise ValueError(f"table must be 'episodes' or 'evaluations', actual value: {table!r}")
        pd = import_optional("pandas", "pandas", "GymResult.to_frame()")
        if table == "evaluations":
            return pd.DataFrame(
                {"episode": self.eval_at.astype(np.int64), "greedy_return_mean": self.eval_means}
            )
        return pd.DataFrame(
            {
                "episode": np.arange(1, self.episodes + 1),
                "return": self.episode_returns,
                "length": self.episode_lengths,
                "end_step": self.episode_end_steps,
            }
        )

    def write(self, out_dir: str | Path, *, plot: bool = True) -> list[Path]:
        """Write ``episodes.csv``, ``evaluations.csv``, ``summary.json`` and the plot.

        Parameters
        ----------
        out_dir : str or Path
            Created if missing.
        plot : bool, default True
            Also write ``learning_curve.png`` (see
            :func:`boltzmann_rl.gym.plots.plot_learning_curve`).

        Returns
        -------
        list of Path
            The files written.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "episodes.csv", out / "evaluations.csv", out / "summary.json"]
        with paths[0].open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["episode", "return", "length", "end_step"])
            for i, (g, n, t) in enumerate(
                zip(self.episode_returns, self.episode_lengths, self.episode_end_steps)
            ):
                w.writerow([i + 1, repr(float(g)), int(n), int(t)])
        with paths[1].open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["episode", "greedy_return_mean"])
            for e, m in zip(self.eval_at, self.eval_means):
                w.writerow([int(e), repr(float(m))])
        paths[2].write_text(json.dumps(self.summary(), indent=2) + "\n")
        if plot:
            from boltzmann_rl.gym.plots import plot_learning_curve

            fig = plot_learning_curve(self)
            paths.append(out / "learning_curve.png")
            fig.savefig(paths[-1], dpi=120)
        return paths


# --------------------------------------------------------------------------- loops


def _nan_error(reward: Any, step: int, episode: int, total: int) -> ValueError:
    return ValueError(
        f"the environment returned a non-finite reward {reward!r} at step {step} of "
        f"episode {episode} (global step {total}); rewards must be finite numbers"
    )


def _overflow_error(episode: int, total: int) -> ValueError:
    return ValueError(
        f"the return of episode {episode} (global step {total}) overflowed the float range: "
        "its finite rewards sum beyond about 1.8e308; rescale the rewards (for example "
        "with gymnasium.wrappers.TransformReward)"
    )


def evaluate(
    agent: GymAgent,
    env: Any,
    episodes: int,
    *,
    rng: Any = None,
    seed: int | None = None,
    max_steps: int = 100_000,
) -> np.ndarray:
    """Greedy returns of ``agent`` over ``episodes`` episodes (argmax, random tie-breaks).

    Parameters
    ----------
    agent : GymAgent
        Reads its ``observe``, ``actions`` and ``greedy_index(state, rng)``.
    env : gymnasium.Env
        A single (not vector) environment; it is not closed.
    episodes : int
        Number of episodes, ``>= 0``.
    rng : Generator, int or None
        For the tie-breaks (see :func:`boltzmann_rl.as_generator`).
    seed : int, optional
        Passed to the first ``env.reset``.
    max_steps : int, default 100000
        Guard against an environment without a time limit.

    Returns
    -------
    ndarray of float64
        One undiscounted return per episode.

    Examples
    --------
    >>> from boltzmann_rl.gym import evaluate, make_agent, make_env
    >>> env = make_env("FrozenLake-v1")
    >>> agent = make_agent("qlearning", env.observation_space, env.action_space, "greedy")
    >>> evaluate(agent, env, 3, rng=0, seed=0).shape
    (3,)
    """
    gen = as_generator(rng)
    observe = checked_observe(env.observation_space, agent.observe)
    to_env = agent.actions.to_env
    greedy = agent.greedy_index
    out = np.zeros(episodes)
    for e in range(episodes):
        obs, _ = env.reset(seed=seed if e == 0 else None)
        total = 0.0
        for t in range(max_steps):
            obs, r, terminated, truncated, _ = env.step(to_env(greedy(observe(obs), gen)))
            if not math.isfinite(r):
                raise _nan_error(r, t + 1, e + 1, t + 1)
            total += r
            if terminated or truncated:
                break
        if not math.isfinite(total):
            raise _overflow_error(e + 1, t + 1)
        out[e] = total
    return out


class _Recorder:
    """Lists of per-episode values while the loop runs; arrays at the end."""

    def __init__(self) -> None:
        self.returns: list[float] = []
        self.lengths: list[int] = []
        self.ends: list[int] = []
        self.eval_at: list[int] = []
        self.eval_means: list[float] = []


def _seed_int(ss: np.random.SeedSequence) -> int:
    return int(ss.generate_state(1)[0])


def train(
    agent: GymAgent,
    env: Any,
    *,
    episodes: int | None = None,
    steps: int | None = None,
    seed: int | np.random.SeedSequence | None = None,
    eval_env: Any = None,
    eval_every: int | None = None,
    eval_episodes: int = 0,
    env_id: str | None = None,
) -> GymResult:
    """Train ``agent`` on ``env`` for a number of episodes or steps.

    Parameters
    ----------
    agent : GymAgent
        For example from :func:`~boltzmann_rl.gym.make_agent`; any object with the
        methods of :class:`~boltzmann_rl.gym.GymAgent`, which is all the loop reads.
        Its own ``rng`` is used for its decisions (seed it from the same root;
        :func:`run_gym` does).
    env : gymnasium.Env or gymnasium.vector.VectorEnv
        Not closed here. A vector environment batches the policy over its
        sub-environments.
    episodes : int, optional
        Stop after this many finished episodes (over all sub-environments).
    steps : int, optional
        Stop after this many transitions. At least one of ``episodes`` and
        ``steps`` must be given; the first reached stops the run.
    seed : int or SeedSequence, optional
        Seeds the environment (``reset(seed=...)`` and its spaces), the evaluation
        environment and the evaluation tie-breaks through ``SeedSequence.spawn``.
    eval_env : gymnasium.Env, optional
        A single environment for greedy evaluation; needed when
        ``eval_episodes > 0``.
    eval_every : int, optional
        Evaluate greedily every this many training episodes.
    eval_episodes : int, default 0
        Episodes per evaluation; the final evaluation after training uses the same
        number.
    env_id : str, optional
        For the result; default ``env.spec.id``.

    Returns
    -------
    GymResult
        ``interrupted=True`` if Ctrl-C stopped the run.

    Raises
    ------
    ValueError
        For invalid budgets, or a non-finite reward (naming the step and episode).

    Examples
    --------
    >>> from boltzmann_rl.gym import make_agent, make_env, train
    >>> env = make_env("CliffWalking-v1")
    >>> agent = make_agent("sarsa", env.observation_space, env.action_space,
    ...                    "egreedy(epsilon=0.1)", alpha=0.5, rng=1)
    >>> result = train(agent, env, episodes=20, seed=1)
    >>> result.episodes, result.steps == int(result.episode_lengths.sum())
    (20, True)
    """
    import gymnasium

    if episodes is None and steps is None:
        raise ValueError("give episodes or steps (or both): the training budget")
    for name, value in (("episodes", episodes), ("steps", steps), ("eval_every", eval_every)):
        if value is not None:
            positive_int(value, name)
    if isinstance(eval_episodes, bool) or not isinstance(eval_episodes, int) or eval_episodes < 0:
        raise ValueError(f"eval_episodes must be an integer >= 0, actual value: {eval_episodes!r}")
    if eval_episodes > 0 and eval_env is None:
        raise ValueError("eval_episodes > 0 needs an eval_env (a single environment)")
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    env_ss, space_ss, eval_env_ss, eval_rng_ss = root.spawn(4)
    eval_rng = np.random.default_rng(eval_rng_ss)
    eval_seed: list[int | None] = [_seed_int(eval_env_ss)]
    vector = isinstance(env, gymnasium.vector.VectorEnv)
    space_seed = _seed_int(space_ss)
    if vector:
        env.single_action_space.seed(space_seed)
        env.single_observation_space.seed(space_seed + 1)
    env.action_space.seed(space_seed)
    env.observation_space.seed(space_seed + 1)

    rec = _Recorder()
    max_episodes = episodes if episodes is not None else math.inf
    max_steps = steps if steps is not None else math.inf

    def run_eval() -> np.ndarray:
        returns = evaluate(agent, eval_env, eval_episodes, rng=eval_rng, seed=eval_seed[0])
        eval_seed[0] = None
        return returns

    def on_episode() -> None:
        if eval_every and eval_episodes and len(rec.returns) % eval_every == 0:
            rec.eval_at.append(len(rec.returns))
            rec.eval_means.append(float(run_eval().mean()))

    start = time.perf_counter()
    interrupted = False
    final = np.zeros(0)
    counter = [0]
    try:
        loop = _train_vector if vector else _train_single
        loop(agent, env, max_episodes, max_steps, _seed_int(env_ss), rec, on_episode, counter)
        if eval_episodes:
            final = run_eval()
    except KeyboardInterrupt:
        interrupted = True
    seconds = time.perf_counter() - start
    info = agent.describe()
    if env_id is None:
        spec = getattr(env, "spec", None)
        env_id = spec.id if spec is not None else type(env).__name__
    return GymResult(
        env_id=env_id,
        agent=info.pop("agent"),
        policy=info.pop("policy"),
        # a caller's own SeedSequence may hold a sequence of ints: recorded as given
        seed=int(root.entropy) if isinstance(root.entropy, int) else root.entropy,  # type: ignore[arg-type]
        episode_returns=np.asarray(rec.returns, dtype=np.float64),
        episode_lengths=np.asarray(rec.lengths, dtype=np.int64),
        episode_end_steps=np.asarray(rec.ends, dtype=np.int64),
        eval_at=np.asarray(rec.eval_at, dtype=np.int64),
        eval_means=np.asarray(rec.eval_means, dtype=np.float64),
        eval_returns=final,
        steps=counter[0],
        seconds=seconds,
        interrupted=interrupted,
        config=info,
        trained_agent=agent,
    )


def _train_single(
    agent: GymAgent,
    env: Any,
    max_episodes: float,
    max_steps: float,
    env_seed: int,
    rec: _Recorder,
    on_episode: Any,
    counter: list[int],
) -> None:
    """The hot loop for one environment; every name it calls is bound locally."""
    from boltzmann_rl.gym.spaces import DiscreteIndex

    observe = checked_observe(env.observation_space, agent.observe)
    # A Discrete(n) observation that is a Python int in range is its own table index:
    # skip the call; anything else (7, -1, 1.5 in Discrete(3)) goes to observe, which
    # refuses it naming the value and the space.
    plain = type(observe) is DiscreteIndex and observe.start == 0
    n_rows = observe.n if plain else 0
    start = agent.actions.start
    act = agent.act_index
    update = agent.update_index
    update_and_act = agent.update_and_act  # one call per ordinary step
    end_episode = agent.end_episode
    isfinite = math.isfinite
    step = env.step
    returns, lengths, ends = rec.returns, rec.lengths, rec.ends
    total = 0
    seed: int | None = env_seed
    try:
        while len(returns) < max_episodes and total < max_steps:
            obs, _ = env.reset(seed=seed)
            seed = None
            s = obs if plain and obs.__class__ is int and 0 <= obs < n_rows else observe(obs)
            a = act(s)
            ret = 0.0
            n = 0
            while True:
                obs, r, terminated, truncated, _ = step(a + start)
                n += 1
                if not isfinite(r):
                    counter[0] = total
                    raise _nan_error(r, n, len(returns) + 1, total + 1)
                s2 = obs if plain and obs.__class__ is int and 0 <= obs < n_rows else observe(obs)
                ret += r
                total += 1
                if terminated or truncated:
                    update(s, a, r, s2, terminated)
                    break
                a2 = update_and_act(s, a, r, s2)
                if total >= max_steps:
                    counter[0] = total
                    return
                s = s2
                a = a2
            counter[0] = total
            if not isfinite(ret):
                raise _overflow_error(len(returns) + 1, total)
            returns.append(ret)
            lengths.append(n)
            ends.append(total)
            end_episode()
            on_episode()
    except KeyboardInterrupt:
        counter[0] = total  # the transitions learned from so far
        raise


def _train_vector(
    agent: GymAgent,
    env: Any,
    max_episodes: float,
    max_steps: float,
    env_seed: int,
    rec: _Recorder,
    on_episode: Any,
    counter: list[int],
) -> None:
    """The loop for a vector environment, in its autoreset mode."""
    from gymnasium.vector import AutoresetMode

    mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if isinstance(mode, str):
        mode = AutoresetMode(mode)
    n_envs = env.num_envs
    observe = checked_observe(env.single_observation_space, agent.observe)
    observe_batch = observe.batch
    to_env = agent.actions.to_env
    on_policy = agent.on_policy
    update = agent.update_index
    obs, _ = env.reset(seed=env_seed)
    s = observe_batch(obs)
    a = agent.act_batch(s)
    ret = np.zeros(n_envs)
    length = np.zeros(n_envs, dtype=np.int64)
    skip = np.zeros(n_envs, dtype=bool)
    no_fresh = np.zeros(n_envs, dtype=bool)
    total = 0
    while True:
        obs, rewards, terminated, truncated, info = env.step(to_env(a))
        rewards = np.asarray(rewards, dtype=np.float64)
        terminated = np.asarray(terminated, dtype=bool)
        done = terminated | np.asarray(truncated, dtype=bool)
        s2 = observe_batch(obs)
        s_next = s2
        if mode == AutoresetMode.SAME_STEP and done.any():
            # obs already holds the reset observation; learn from the final one
            s_next = s2.copy()
            final = info["final_obs"]
            for j in np.flatnonzero(done):
                s_next[j] = observe(final[j])
        a_pre = agent.act_batch(s_next) if on_policy else None
        for i in range(n_envs):
            if skip[i]:  # NEXT_STEP: this step only reset sub-environment i
                continue
            r = float(rewards[i])
            length[i] += 1
            if not math.isfinite(r):
                raise _nan_error(r, int(length[i]), len(rec.returns) + 1, total + 1)
            ret_i = float(ret[i]) + r  # a Python float: no overflow warning
            total += 1
            if not math.isfinite(ret_i):
                raise _overflow_error(len(rec.returns) + 1, total)
            ret[i] = ret_i
            # a_pre is an array whenever on_policy
            next_action = int(a_pre[i]) if on_policy and not done[i] else None  # type: ignore[index]
            update(s[i], int(a[i]), r, s_next[i], bool(terminated[i]), next_action)
            counter[0] = total
            if done[i]:
                rec.returns.append(float(ret[i]))
                rec.lengths.append(int(length[i]))
                rec.ends.append(total)
                ret[i] = 0.0
                length[i] = 0
                agent.end_episode()
                on_episode()
                if len(rec.returns) >= max_episodes:
                    return
            if total >= max_steps:
                return
        if mode == AutoresetMode.DISABLED and done.any():
            obs, _ = env.reset(options={"reset_mask": done})
            s2 = s2.copy()
            s2[done] = observe_batch(obs)[done]
        fresh = done if mode != AutoresetMode.NEXT_STEP else no_fresh
        if on_policy:
            a_next = a_pre.copy()  # type: ignore[union-attr]  # an array when on_policy
            if fresh.any():
                a_next[fresh] = agent.act_batch(s2[fresh])
        else:
            a_next = agent.act_batch(s2)
        skip = done if mode == AutoresetMode.NEXT_STEP else no_fresh
        s, a = s2, a_next


# --------------------------------------------------------------------------- one call


def run_gym(
    env_id: str,
    agent: str,
    policy: Any,
    *,
    env_kwargs: dict[str, Any] | None = None,
    episodes: int | None = 1000,
    steps: int | None = None,
    alpha: Any = 0.1,
    gamma: float = 0.99,
    seed: int | None = 0,
    eval_episodes: int = 100,
    eval_every: int | None = None,
    initial_value: float = 0.0,
    anneal: str = "step",
    alpha_by: str = "visits",
    num_envs: int | None = None,
    vectorization: str = "sync",
    max_episode_steps: int | None = None,
    agent_kwargs: dict[str, Any] | None = None,
) -> GymResult:
    """Train and evaluate one agent on one gymnasium environment, from names and text.

    Parameters
    ----------
    env_id : str
        A registered gymnasium id (``"FrozenLake-v1"``, ``"Taxi-v4"``, ...).
    agent : {"qlearning", "sarsa", "expected-sarsa"}
    policy : Policy or str
        A policy object or its text form (``"boltzmann(temperature=exp(1, 0.01, 500))"``).
    env_kwargs : dict, optional
        Environment keyword arguments (``{"is_slippery": False}``).
    episodes, steps : int, optional
        The training budget (see :func:`train`); default 1000 episodes.
    alpha : float, Schedule or str, default 0.1
        Step size, or a schedule or its text form (``"inverse(1, 100)"``).
    gamma : float, default 0.99
    seed : int or None, default 0
        The one seed of the whole run.
    eval_episodes : int, default 100
        Greedy episodes of the final evaluation and of each periodic one.
    eval_every : int, optional
        Periodic evaluation every this many training episodes; default a tenth of
        ``episodes`` (none for a step budget).
    initial_value, anneal, alpha_by
        As for :class:`~boltzmann_rl.gym.agents.TabularAgent`.
    num_envs : int, optional
        Train on a vector environment of this many copies.
    vectorization : {"sync", "async"}, default "sync"
    max_episode_steps : int, optional
        Time limit (see :func:`make_env`).
    agent_kwargs : dict, optional
        More keyword arguments for :func:`~boltzmann_rl.gym.make_agent` (for
        example ``tilings`` and ``tiles`` for a ``Box`` observation space).

    Returns
    -------
    GymResult
        ``result.summary()`` is the ``--json`` dict of the command line.

    Raises
    ------
    ValueError
        For an unknown environment or agent, an unsupported space, invalid
        hyperparameters, or a non-finite reward.

    Examples
    --------
    >>> from boltzmann_rl.gym import run_gym
    >>> r = run_gym("FrozenLake-v1", "sarsa", "egreedy(epsilon=0.1)", episodes=20,
    ...             eval_episodes=3, env_kwargs={"is_slippery": False}, seed=3)
    >>> r.summary()["episodes"], r.summary()["env_kwargs"]
    (20, {'is_slippery': False})
    """
    if episodes is not None and eval_every is None and steps is None:
        eval_every = max(1, int(episodes) // 10) if isinstance(episodes, int) else None
    kwargs = dict(env_kwargs or {})
    root = np.random.SeedSequence(seed)
    agent_ss, loop_ss = root.spawn(2)
    eval_env = None
    env = None
    try:
        if num_envs is None:
            env = make_env(env_id, kwargs, max_episode_steps=max_episode_steps)
        else:
            env = make_vector_env(
                env_id, num_envs, kwargs, mode=vectorization, max_episode_steps=max_episode_steps
            )
        obs_space = env.single_observation_space if num_envs else env.observation_space
        act_space = env.single_action_space if num_envs else env.action_space
        learner = make_agent(
            agent,
            obs_space,
            act_space,
            policy,
            alpha=alpha,
            gamma=gamma,
            initial_value=initial_value,
            anneal=anneal,
            alpha_by=alpha_by,
            rng=np.random.default_rng(agent_ss),
            **(agent_kwargs or {}),
        )
        if eval_episodes:
            eval_env = make_env(env_id, kwargs, max_episode_steps=max_episode_steps)
        result = train(
            learner,
            env,
            episodes=episodes,
            steps=steps,
            seed=loop_ss,
            eval_env=eval_env,
            eval_every=eval_every,
            eval_episodes=eval_episodes,
            env_id=env_id,
        )
    finally:
        for e in (env, eval_env):
            if e is not None:
                try:
                    e.close()
                except Exception:  # after Ctrl-C the async workers may already be gone
                    pass
    # SeedSequence(int or None) holds an int: the seed, or the entropy drawn for None
    result.seed = int(root.entropy)  # type: ignore[arg-type]
    result.config = {
        "env_kwargs": kwargs,
        **result.config,
        "num_envs": num_envs,
    }
    return result
