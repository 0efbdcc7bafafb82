"""Boltzmann, ε-greedy and greedy policies inside agents on gymnasium environments.

The gym world of the toolkit: tabular Q-learning, SARSA and Expected SARSA (and a
tile-coded linear variant for ``Box`` observations) driven by any policy of the
Policy protocol, a seeded training loop for single and vector environments, and
the result and plots of a run. It imports nothing from the bandit world.

=====================================  ===================================================
name                                   purpose
=====================================  ===================================================
:func:`run_gym`                        env id + agent name + policy text -> :class:`GymResult`
:func:`train`, :func:`evaluate`        the loop for an agent and env you built
:class:`GymAgent`                      what the loop calls: the contract of an agent
:class:`Algorithm`, :class:`Anneal`    the learning rules, what a schedule's step counts
:func:`make_agent`                     the agent for an environment's spaces
:class:`TabularAgent`                  Q-learning / SARSA / Expected SARSA on a table
:class:`QLearningAgent` ...            the same with the algorithm fixed
:class:`LinearAgent`, :class:`TileCoder`  the same on tile-coded ``Box`` observations
:func:`observation_index`              a discrete observation space -> table rows
:func:`action_map`                     a ``Discrete`` action space -> ``0 .. n - 1``
:func:`make_env`, :func:`make_vector_env`  gymnasium environments with clear errors
:func:`train_tabular`, :class:`TabularModel`  R runs at once on a known finite MDP
=====================================  ===================================================

Examples
--------
>>> from boltzmann_rl.gym import run_gym
>>> result = run_gym("FrozenLake-v1", "expected-sarsa", "boltzmann(temperature=0.2)",
...                  episodes=30, eval_episodes=5, seed=0)
>>> result.summary()["episodes"]
30
"""

from boltzmann_rl.gym.agents import (
    AGENTS,
    ALGORITHMS,
    ANNEAL,
    Algorithm,
    Anneal,
    ExpectedSarsaAgent,
    GymAgent,
    LinearAgent,
    QLearningAgent,
    SarsaAgent,
    TabularAgent,
    make_agent,
)
from boltzmann_rl.gym.spaces import (
    ActionMap,
    DiscreteIndex,
    TupleIndex,
    UnsupportedSpaceError,
    action_map,
    observation_index,
)
from boltzmann_rl.gym.tabular import NoModelError, TabularModel, TabularResult, train_tabular
from boltzmann_rl.gym.tiles import TileCoder
from boltzmann_rl.gym.training import (
    DEFAULT_MAX_EPISODE_STEPS,
    GymResult,
    evaluate,
    make_env,
    make_vector_env,
    run_gym,
    train,
)

__all__ = [
    "AGENTS",
    "ALGORITHMS",
    "ANNEAL",
    "DEFAULT_MAX_EPISODE_STEPS",
    "ActionMap",
    "Algorithm",
    "Anneal",
    "DiscreteIndex",
    "ExpectedSarsaAgent",
    "GymAgent",
    "GymResult",
    "LinearAgent",
    "NoModelError",
    "QLearningAgent",
    "SarsaAgent",
    "TabularAgent",
    "TabularModel",
    "TabularResult",
    "TileCoder",
    "TupleIndex",
    "UnsupportedSpaceError",
    "action_map",
    "evaluate",
    "make_agent",
    "make_env",
    "make_vector_env",
    "observation_index",
    "run_gym",
    "train",
    "train_tabular",
]
