"""Homework 9, part 0: the introduction to policy gradients and PPO, the CartPole simulator and the seeded data.

CartPole is simulated in the locked set-up cell (the classic cart-pole equations, Euler steps of 0.02 s,
episodes cut at 200 steps), vectorised over several copies in NumPy, so the notebook needs no gymnasium
and every run is reproducible from its seed. Homework 8 uses the same simulator.
"""

from nbbuild import locked, markdown

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 9: Policy gradients and PPO

        DOTE 6635 *AI for Business Research*, session 6 (Reinforcement Learning IV: policy gradients, PPO).

        1. Write the pieces of a policy-gradient method and check each on small fixed tensors: discounted
           returns, **generalized advantage estimation** (GAE), log-probabilities and entropy of a softmax
           policy, and the **PPO clipped objective**.
        2. Put them together and train a policy with **PPO** that balances a pole on a cart (**CartPole**),
           on a CPU, in a few seconds.

        Fill in every `YOUR CODE HERE` and the written answer. Visible checks follow each function; hidden
        checks run when the notebook is graded, with other random seeds. The whole notebook must run on a CPU
        in well under a minute. Restart the kernel and run all cells before submitting.
        """,
    ),
    markdown(
        "pg-primer",
        r"""
        ## Policy gradients, in one page

        Instead of learning action values and acting greedily on them (homework 8), a **policy-gradient**
        method learns the policy itself: a network with parameters $\theta$ maps a state to action
        probabilities $\pi_\theta(a\mid s)$ (here a softmax over the network's outputs, the *logits*). The
        objective is the expected return $J(\theta) = \mathbb{E}_{\pi_\theta}\big[\sum_t \gamma^t r_t\big]$, and
        the **policy gradient theorem** gives its gradient as an expectation we can sample:
        $$\nabla_\theta J(\theta) = \mathbb{E}_{\pi_\theta}\Big[\sum_t \nabla_\theta \log \pi_\theta(a_t\mid s_t)\, \Psi_t\Big].$$
        **REINFORCE** uses the discounted return from $t$ on, $\Psi_t = G_t = \sum_{k\ge 0}\gamma^k r_{t+k}$
        (computed backwards: $G_t = r_t + \gamma G_{t+1}$, restarting at each episode's end). Subtracting a
        **baseline** $b(s_t)$ that does not depend on the action leaves the gradient unbiased and lowers its
        variance; with a learned value function $V_\phi(s) \approx \mathbb{E}[G_t\mid s_t = s]$ the weight is the
        **advantage** $\Psi_t = A_t \approx Q(s_t,a_t) - V(s_t)$: how much better the action was than usual.

        **Generalized advantage estimation** trades bias for variance with a parameter $\lambda\in[0,1]$. With
        the one-step TD errors $\delta_t = r_t + \gamma(1-d_t)V(s_{t+1}) - V(s_t)$ ($d_t = 1$ if the episode
        *terminated* at $t+1$),
        $$\hat A_t = \delta_t + \gamma\lambda(1-e_t)\,\hat A_{t+1},$$
        where $e_t = 1$ if the episode *ended* at $t+1$ for any reason (terminated or truncated by the time
        limit): the sum never runs into the next episode, but a truncated episode still bootstraps from
        $V(s_{t+1})$. $\lambda = 0$ gives $\delta_t$ (low variance, biased by $V$); $\lambda = 1$ gives
        $G_t - V(s_t)$ (unbiased, high variance). The value network is trained towards $\hat A_t + V(s_t)$.

        **PPO** reuses each batch of experience for several gradient steps. With the probability ratio
        $\rho_t(\theta) = \pi_\theta(a_t\mid s_t)/\pi_{\text{old}}(a_t\mid s_t)$ between the current policy and the one
        that collected the data, it maximises the **clipped surrogate**
        $$L^{\text{clip}}(\theta) = \mathbb{E}_t\Big[\min\big(\rho_t\hat A_t,\ \operatorname{clip}(\rho_t, 1-\epsilon, 1+\epsilon)\,\hat A_t\big)\Big],$$
        which stops rewarding a move of the ratio beyond $1\pm\epsilon$ in the direction the advantage favours,
        so the new policy stays close to the old one. An **entropy** bonus
        $H(\pi(\cdot\mid s)) = -\sum_a \pi(a\mid s)\log\pi(a\mid s)$ can be added to keep exploring.
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


        def evaluate_greedy(policy_net, *, n_episodes, seed):
            \"\"\"Mean return over n_episodes fresh episodes (at most 200 steps) when the most likely action
            argmax_a policy_net(s)[a] is always taken.\"\"\"
            env = CartPole(n_episodes, seed)
            returns, alive = torch.zeros(n_episodes), torch.ones(n_episodes, dtype=torch.bool)
            obs = env.observe()
            with torch.no_grad():
                for _ in range(env.max_steps):
                    obs, rewards, terminated, truncated, _ = env.step(policy_net(obs).argmax(dim=1).numpy())
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

        Part 1 checks your functions on a small random rollout drawn from this notebook's seed: `demo_rewards`,
        `demo_values`, `demo_next_values`, `demo_terminated` and `demo_episode_end` (8 time steps of 3
        CartPole copies), and `demo_logits` with `demo_actions` for 5 states. Part 2 trains on CartPole copies
        started from the same seed; `evaluate_greedy` measures a trained policy on fresh episodes.
        """,
    ),
    locked(
        "data-generate",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))

        demo_generator = torch.Generator().manual_seed(SEED)
        demo_rewards = torch.randint(0, 3, (8, 3), generator=demo_generator).float()
        demo_values = torch.randn(8, 3, generator=demo_generator)
        demo_next_values = torch.randn(8, 3, generator=demo_generator)
        demo_terminated = torch.rand(8, 3, generator=demo_generator) < 0.2
        demo_episode_end = demo_terminated | (torch.rand(8, 3, generator=demo_generator) < 0.1)
        demo_logits = torch.randn(5, 4, generator=demo_generator)
        demo_actions = torch.randint(0, 4, (5,), generator=demo_generator)
        print(f"seed {SEED}: {int(demo_episode_end.sum())} episode ends in the demo rollout")
        """,
    ),
]
