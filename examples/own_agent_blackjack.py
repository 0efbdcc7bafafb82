"""Your own agent, our policy: gymnasium's Blackjack tutorial agent with Boltzmann exploration.

The agent below has the shape of the Q-learning agent of gymnasium's tutorial
"Solving Blackjack with Q-Learning": a Q table, ``get_action`` and ``update``. The
tutorial explores with ε-greedy::

    if np.random.random() < self.epsilon:
        return self.env.action_space.sample()
    return int(np.argmax(self.q_values[obs]))

Here those lines are replaced by a Boltzmann policy whose temperature cools over the
episodes; that is the whole change (the lines marked with arrows below):

    from boltzmann_rl.policies import Boltzmann
    self.policy = Boltzmann(temperature=Exponential(1.0, 0.02, n_episodes))
    return self.policy.sample(self.q_values[obs], self.rng, step=self.episode)

Any policy of :mod:`boltzmann_rl.policies` fits the same line (``EpsilonGreedy``,
``Greedy``, ``UCB`` with ``counts=``), or its text form through
:func:`boltzmann_rl.spec.parse_policy`.

Run it::

    python examples/own_agent_blackjack.py --episodes 100000

It trains, then plays greedily and prints the mean return per hand; with the
optimal (basic-strategy-like) policy it is about -0.05: the house keeps its edge.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import gymnasium as gym
import numpy as np

from boltzmann_rl.policies import Boltzmann  # <- boltzmann_rl
from boltzmann_rl.schedules import Exponential  # <- boltzmann_rl


class BlackjackAgent:
    """A tabular Q-learning agent in the shape of gymnasium's tutorial agent."""

    def __init__(
        self,
        env: gym.Env,
        learning_rate: float,
        n_episodes: int,
        discount_factor: float = 0.95,
        seed: int = 0,
    ) -> None:
        self.env = env
        self.q_values: defaultdict = defaultdict(lambda: np.zeros(env.action_space.n))
        self.lr = learning_rate
        self.discount_factor = discount_factor
        self.rng = np.random.default_rng(seed)
        self.episode = 0
        # the tutorial's epsilon, epsilon_decay and final_epsilon become one policy:
        self.policy = Boltzmann(temperature=Exponential(1.0, 0.02, n_episodes))  # <- boltzmann_rl
        self.training_error: list[float] = []

    def get_action(self, obs: tuple[int, int, bool]) -> int:
        """Draw an action from the Boltzmann policy over the Q values of ``obs``."""
        return self.policy.sample(self.q_values[obs], self.rng, step=self.episode)  # <- here

    def update(
        self,
        obs: tuple[int, int, bool],
        action: int,
        reward: float,
        terminated: bool,
        next_obs: tuple[int, int, bool],
    ) -> None:
        """The tutorial's Q-learning update, unchanged."""
        future_q_value = (not terminated) * np.max(self.q_values[next_obs])
        temporal_difference = (
            reward + self.discount_factor * future_q_value - self.q_values[obs][action]
        )
        self.q_values[obs][action] = self.q_values[obs][action] + self.lr * temporal_difference
        self.training_error.append(float(temporal_difference))

    def end_episode(self) -> None:
        """Replaces the tutorial's ``decay_epsilon``: the schedule reads the episode count."""
        self.episode += 1


def train(n_episodes: int, seed: int = 0, learning_rate: float = 0.01) -> BlackjackAgent:
    """Train the agent for ``n_episodes`` hands of Blackjack-v1."""
    env = gym.make("Blackjack-v1", sab=False)
    agent = BlackjackAgent(env, learning_rate, n_episodes, seed=seed)
    obs, _ = env.reset(seed=seed)
    for _ in range(n_episodes):
        done = False
        while not done:
            action = agent.get_action(obs)
            next_obs, reward, terminated, truncated, _ = env.step(action)
            agent.update(obs, action, float(reward), terminated, next_obs)
            done = terminated or truncated
            obs = next_obs
        agent.end_episode()
        obs, _ = env.reset()
    env.close()
    return agent


def evaluate(agent: BlackjackAgent, n_episodes: int, seed: int = 1) -> float:
    """Mean return of the greedy policy (argmax of the learned Q values) per hand."""
    env = gym.make("Blackjack-v1", sab=False)
    total = 0.0
    obs, _ = env.reset(seed=seed)
    for _ in range(n_episodes):
        done = False
        while not done:
            q = agent.q_values[obs]
            action = int(np.argmax(q))
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        obs, _ = env.reset()
    env.close()
    return total / n_episodes


def main(argv: list[str] | None = None) -> float:
    """Train, evaluate greedily, print and return the mean greedy return."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100_000, help="training hands")
    parser.add_argument("--eval-episodes", type=int, default=20_000, help="greedy hands")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    agent = train(args.episodes, seed=args.seed)
    mean = evaluate(agent, args.eval_episodes, seed=args.seed + 1)
    print(
        f"{args.episodes} training hands with {agent.policy!r}: "
        f"greedy mean return {mean:+.3f} per hand over {args.eval_episodes} hands"
    )
    return mean


if __name__ == "__main__":
    main()
