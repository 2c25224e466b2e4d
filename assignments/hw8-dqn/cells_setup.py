"""Homework 8, part 0: the introduction to value-based deep RL, the CartPole simulator and the seeded data.

CartPole is simulated in the locked set-up cell (the classic cart-pole equations, Euler steps of 0.02 s,
episodes cut at 200 steps), vectorised over several copies in NumPy, so the notebook needs no gymnasium
and every run is reproducible from its seed.
"""

from nbbuild import locked, markdown

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 8: Value-based deep RL

        DOTE 6635 *AI for Business Research*, session 5 (Reinforcement Learning III: DQN).

        1. Write the pieces of a **deep Q-network** (DQN) and check each on small fixed tensors: the
           Q-learning target, the **double DQN** target, a **replay buffer**, the **target network** update,
           the loss and $\varepsilon$-greedy exploration.
        2. Put them together and train a small DQN that balances a pole on a cart (**CartPole**), on a CPU,
           in a few seconds.

        Fill in every `YOUR CODE HERE` and the written answer. Visible checks follow each function; hidden
        checks run when the notebook is graded, with other random seeds. The whole notebook must run on a CPU
        in well under a minute. Restart the kernel and run all cells before submitting.
        """,
    ),
    markdown(
        "dqn-primer",
        r"""
        ## Q-learning with a neural network, in one page

        An agent observes a state $s_t$, takes an action $a_t$, receives a reward $r_t$ and moves to $s_{t+1}$.
        The **action value** $Q^\pi(s,a)$ is the expected discounted return $\sum_{k\ge 0}\gamma^k r_{t+k}$
        from taking $a$ in $s$ and following $\pi$ afterwards. The optimal action values satisfy the
        **Bellman optimality equation**
        $$Q^*(s,a) = \mathbb{E}\big[r + \gamma \max_{a'} Q^*(s',a') \,\big|\, s, a\big],$$
        and acting greedily, $\pi(s) = \arg\max_a Q^*(s,a)$, is optimal. Tabular Q-learning (session 4)
        moves a table entry towards the sampled right-hand side. **DQN** replaces the table by a network
        $Q_\theta$ and takes gradient steps on the Huber loss between $Q_\theta(s,a)$ and the **target**
        $$y = r + \gamma\,(1-d)\,\max_{a'} Q_{\bar\theta}(s',a'),$$
        where $d=1$ when the episode **terminated** in $s'$ (the pole fell: there is no future reward) and
        $d=0$ otherwise, including when the episode was merely **truncated** by a time limit (the future
        was cut off by us, not by the environment). The target is treated as a constant: no gradient flows
        through $y$.

        Two devices make this stable:

        * a **replay buffer** keeps the last $N$ transitions $(s,a,r,s',d)$; each gradient step uses a
          mini-batch drawn uniformly from it, which breaks the correlation between consecutive transitions
          and reuses every transition many times;
        * a **target network** $Q_{\bar\theta}$, a slowly moving copy of $Q_\theta$, computes the targets,
          so the regression target does not move with every step. Here it follows $Q_\theta$ by
          **Polyak averaging**, $\bar\theta \leftarrow \tau\theta + (1-\tau)\bar\theta$ after each step
          ($\tau = 1$ is the periodic hard copy of the original DQN).

        The max in the target picks the action whose value estimate is highest, and estimates that are high
        by chance are picked more often: Q-learning **overestimates**. **Double DQN** lets the online network
        choose the action and the target network evaluate it:
        $$y = r + \gamma\,(1-d)\,Q_{\bar\theta}\big(s', \arg\max_{a'} Q_\theta(s',a')\big).$$

        The **Huber loss** (PyTorch's `F.smooth_l1_loss` with its default $\beta = 1$) is quadratic for
        errors below 1 and linear above, so a few large errors early in training do not produce huge
        gradients. Exploration is **$\varepsilon$-greedy**: with probability $\varepsilon$ take a uniformly
        random action, otherwise the greedy one; $\varepsilon$ decreases during training.
        """,
    ),
    locked(
        "setup",
        """
        import copy
        import os

        import numpy as np
        import torch
        import torch._dynamo  # noqa: F401  (torch.optim loads it on first use; loading it here keeps that second out of training)
        import torch.nn.functional as F
        from torch import nn

        torch.set_num_threads(1)
        np.set_printoptions(precision=4, suppress=True)


        class CartPole:
            \"\"\"n_envs independent cart-poles stepped together; an episode ends when the pole passes 12 degrees
            or the cart leaves [-2.4, 2.4] (terminated), or after max_steps steps (truncated). Reward 1 per step.
            A finished copy restarts at once; step() returns the last observation of the finished episode in
            final_obs (for every other copy, final_obs is its new observation).\"\"\"

            GRAVITY, CART_MASS, POLE_MASS, HALF_LENGTH, FORCE, DT = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
            X_LIMIT, THETA_LIMIT = 2.4, 12 * 2 * np.pi / 360
            n_actions, obs_dim = 2, 4

            def __init__(self, n_envs, seed, max_steps=200):
                self.n_envs, self.max_steps = n_envs, max_steps
                self.rng = np.random.default_rng(seed)
                self.state = self.rng.uniform(-0.05, 0.05, size=(n_envs, 4))
                self.steps = np.zeros(n_envs, dtype=np.int64)

            def observe(self):
                \"\"\"Current observations (cart position, cart velocity, pole angle, pole angular velocity).\"\"\"
                return torch.tensor(self.state, dtype=torch.float32)

            def step(self, actions):
                \"\"\"Push left (0) or right (1); returns next_obs, rewards, terminated, truncated, final_obs.\"\"\"
                x, x_dot, theta, theta_dot = self.state.T
                force = np.where(np.asarray(actions) == 1, self.FORCE, -self.FORCE)
                total_mass, pole_moment = self.CART_MASS + self.POLE_MASS, self.POLE_MASS * self.HALF_LENGTH
                cos, sin = np.cos(theta), np.sin(theta)
                temp = (force + pole_moment * theta_dot**2 * sin) / total_mass
                theta_acc = (self.GRAVITY * sin - cos * temp) / (
                    self.HALF_LENGTH * (4.0 / 3.0 - self.POLE_MASS * cos**2 / total_mass)
                )
                x_acc = temp - pole_moment * theta_acc * cos / total_mass
                self.state = np.column_stack(
                    [x + self.DT * x_dot, x_dot + self.DT * x_acc, theta + self.DT * theta_dot, theta_dot + self.DT * theta_acc]
                )
                self.steps += 1
                terminated = (np.abs(self.state[:, 0]) > self.X_LIMIT) | (np.abs(self.state[:, 2]) > self.THETA_LIMIT)
                truncated = ~terminated & (self.steps >= self.max_steps)
                final_obs = self.observe()
                done = terminated | truncated
                if done.any():
                    self.state[done] = self.rng.uniform(-0.05, 0.05, size=(int(done.sum()), 4))
                    self.steps[done] = 0
                rewards = torch.ones(self.n_envs)
                return self.observe(), rewards, torch.from_numpy(terminated), torch.from_numpy(truncated), final_obs


        def evaluate_greedy(q_net, *, n_episodes, seed):
            \"\"\"Mean return of the greedy policy argmax_a q_net(s)[a] over n_episodes fresh episodes (at most 200).\"\"\"
            env = CartPole(n_episodes, seed)
            returns, alive = torch.zeros(n_episodes), torch.ones(n_episodes, dtype=torch.bool)
            obs = env.observe()
            with torch.no_grad():
                for _ in range(env.max_steps):
                    obs, rewards, terminated, truncated, _ = env.step(q_net(obs).argmax(dim=1).numpy())
                    returns += rewards * alive
                    alive &= ~(terminated | truncated)
                    if not alive.any():
                        break
            return float(returns.mean())
        """,
    ),
    markdown(
        "data-intro",
        r"""
        ## The data

        Part 1 checks your functions on a small random batch drawn from this notebook's seed: `demo_rewards`,
        `demo_terminated`, and Q-value tables `demo_next_q_online`, `demo_next_q_target` (6 transitions,
        3 actions). Part 2 trains on CartPole copies started from the same seed; `evaluate_greedy` measures a
        trained network on fresh episodes.
        """,
    ),
    locked(
        "data-generate",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))

        demo_generator = torch.Generator().manual_seed(SEED)
        demo_rewards = torch.randint(-2, 3, (6,), generator=demo_generator).float()
        demo_terminated = torch.rand(6, generator=demo_generator) < 0.4
        demo_next_q_online = torch.randn(6, 3, generator=demo_generator)
        demo_next_q_target = torch.randn(6, 3, generator=demo_generator)
        print(f"seed {SEED}: rewards {demo_rewards.tolist()}, terminated {demo_terminated.tolist()}")
        """,
    ),
]
