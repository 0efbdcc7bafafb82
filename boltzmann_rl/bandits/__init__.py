"""Multi-armed bandits: environments, agents and the vectorized simulation.

One call simulates every run of an experiment at once::

    from boltzmann_rl.bandits import simulate
    result = simulate("gaussian", ["boltzmann(temperature=0.1)", "egreedy(epsilon=0.1)"],
                      runs=2000, steps=1000, seed=0)
    result.summary()          # mean_reward, final_reward, final_optimal, regret (+ CIs)
    result.tidy()             # one row per policy x step; pandas.DataFrame(...) reads it

=================================  ===========================================================
name                               what it is
=================================  ===========================================================
:func:`simulate`                   R runs x T steps of one or more agent configurations
:class:`BanditResult`              per-step curves and summaries with 95 % CIs; tidy table
:class:`GaussianBandit`            the k-armed testbed (offset and scale for every env)
:class:`BernoulliBandit`           0/1 rewards, probabilities fixed or drawn per run
:class:`NonstationaryBandit`       true values on random walks
:func:`make_env`                   an environment by name
:class:`BanditAgent`               the agent contract: reset, select, update, entropy
:class:`ActionValueAgent`          Q estimates + any policy (sample average or α, Q_1)
:class:`GradientBandit`            softmax preferences, with or without baseline
:class:`EXP3`                      exponential weights for rewards in [0, 1]
:class:`GaussianThompson`          Thompson sampling, Gaussian rewards
:class:`BernoulliThompson`         Thompson sampling, Beta posteriors
:class:`~.rng.BatchRNG`            the per-chunk random streams agents draw from
:data:`BANDIT_AGENTS`              the agents by name, with their parameters and defaults
:func:`register_bandit_agent`      add an agent of your own (then a study file can name it)
:func:`make_bandit_agent`          an agent by name, with keyword arguments
=================================  ===========================================================

Examples
--------
>>> from boltzmann_rl.bandits import simulate
>>> r = simulate("bernoulli", "ucb(c=1)", runs=20, steps=30, seed=0)
>>> r.summary()[0]["policy"], r.runs, r.steps
('ucb(c=1)', 20, 30)
"""

from boltzmann_rl.bandits.agents import (
    EXP3,
    ActionValueAgent,
    BanditAgent,
    BernoulliThompson,
    GaussianThompson,
    GradientBandit,
    as_agent,
)
from boltzmann_rl.bandits.envs import (
    ENVIRONMENTS,
    BanditEnv,
    BernoulliBandit,
    EnvBatch,
    GaussianBandit,
    NonstationaryBandit,
    make_env,
)
from boltzmann_rl.bandits.registry import (
    BANDIT_AGENTS,
    make_bandit_agent,
    register_bandit_agent,
)
from boltzmann_rl.bandits.results import METRICS, SUMMARIES, BanditResult, Curve, GroupResult
from boltzmann_rl.bandits.rng import BatchRNG
from boltzmann_rl.bandits.simulate import final_steps, simulate

__all__ = [
    "BANDIT_AGENTS",
    "ENVIRONMENTS",
    "EXP3",
    "METRICS",
    "SUMMARIES",
    "ActionValueAgent",
    "BanditAgent",
    "BanditEnv",
    "BanditResult",
    "BatchRNG",
    "BernoulliBandit",
    "BernoulliThompson",
    "Curve",
    "EnvBatch",
    "GaussianBandit",
    "GaussianThompson",
    "GradientBandit",
    "GroupResult",
    "NonstationaryBandit",
    "as_agent",
    "final_steps",
    "make_bandit_agent",
    "make_env",
    "register_bandit_agent",
    "simulate",
]
