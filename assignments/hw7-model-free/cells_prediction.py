"""Homework 7, parts 0-1: set-up, the random-walk episodes, returns, Monte Carlo and TD(0) prediction.

Hidden tests use fixed episodes drawn from internal seeds, so a given submission always gets the same score
whatever GRADER_SEED the data cell was run with.
"""

from nbbuild import answer, locked, markdown, solution, tests

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 7: Model-free prediction and control

        DOTE 6635 *AI for Business Research*, session 4 (Reinforcement Learning II: Monte Carlo and
        temporal-difference learning).

        In homework 6 the transition probabilities were known and dynamic programming solved the Bellman
        equations directly. Here the agent only sees sampled experience. You will

        1. estimate state values from episodes by Monte Carlo (first-visit and every-visit) and by TD(0);
        2. learn to act by SARSA and Q-learning with $\epsilon$-greedy exploration on the cliff-walking grid,
           and see why the two learn different paths.

        Fill in every cell that says `YOUR CODE HERE` (delete the `raise NotImplementedError()` line) and the
        two written answers. Use NumPy only. The cells after each function run a few visible checks; more
        checks run when your notebook is graded. Before submitting, restart the kernel and run all cells.

        ## Background

        An episode is a sequence $S_0, A_0, R_1, S_1, A_1, R_2, \dots, S_T$ ending in a terminal state. The
        **return** from time $t$ is $G_t = R_{t+1} + \gamma R_{t+2} + \dots + \gamma^{T-t-1} R_T$, computed
        backwards by $G_t = R_{t+1} + \gamma G_{t+1}$ with $G_T = 0$. The value of a policy is
        $V^\pi(s) = \mathbb{E}_\pi[G_t \mid S_t = s]$.

        * **Monte Carlo** prediction averages the observed returns after visits to $s$. *First-visit* MC uses
          only the first visit to $s$ in each episode; *every-visit* MC uses all of them. Both converge to
          $V^\pi$; MC targets are unbiased but have high variance and need complete episodes.
        * **TD(0)** updates after every step towards a bootstrapped target:
          $V(S_t) \leftarrow V(S_t) + \alpha\,[R_{t+1} + \gamma V(S_{t+1}) - V(S_t)]$, with $V = 0$ at
          terminal states. The target uses the current estimate $V(S_{t+1})$: it is biased, but its variance
          is much lower, and it learns during the episode.
        * **SARSA** and **Q-learning** apply the same idea to action values $Q(s, a)$ (section 2).
        """,
    ),
    locked(
        "setup",
        """
        import os

        import matplotlib.pyplot as plt
        import numpy as np

        np.set_printoptions(precision=3, suppress=True, linewidth=120)
        """,
    ),
    markdown(
        "walk-intro",
        r"""
        ## The random walk

        Seven states in a row: $0$ and $6$ are terminal, every episode starts in the middle state $3$ and
        moves left or right with probability $1/2$ each. The reward is $+1$ on reaching state $6$ and $0$
        otherwise, with $\gamma = 1$, so the true value of state $i \in \{1, \dots, 5\}$ is the probability of
        leaving on the right, $i / 6$. An episode is stored as `(states, rewards)`: `states[t]` is $S_t$ for
        the non-terminal states visited ($t = 0, \dots, T - 1$) and `rewards[t]` is $R_{t+1}$; the state after
        the last step is terminal. The cell below draws this seed's 100 episodes.
        """,
    ),
    locked(
        "data-walk",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))
        N_WALK_STATES = 7
        TRUE_V = np.arange(N_WALK_STATES) / 6.0
        TRUE_V[-1] = 0.0  # state 6 is terminal


        def random_walk_episode(rng, start=3):
            states, rewards, s = [], [], start
            while 0 < s < N_WALK_STATES - 1:
                states.append(s)
                s += 1 if rng.random() < 0.5 else -1
                rewards.append(1.0 if s == N_WALK_STATES - 1 else 0.0)
            return states, rewards


        rng = np.random.default_rng(SEED)
        walk_episodes = [random_walk_episode(rng) for _ in range(100)]
        walk_lengths = np.array([len(states) for states, _ in walk_episodes])
        walk_wins = np.array([rewards[-1] for _, rewards in walk_episodes])
        print(f"seed {SEED}: 100 episodes, mean length {walk_lengths.mean():.2f}, right exits {int(walk_wins.sum())}")
        """,
    ),
]

PREDICTION = [
    markdown(
        "returns-intro",
        r"""
        ## 1. Prediction (2 + 3 + 3 points)

        **Returns.** Write `discounted_returns`, which returns the array $(G_0, \dots, G_{T-1})$ for the
        rewards $(R_1, \dots, R_T)$, computed backwards in one pass.
        """,
    ),
    solution(
        "discounted_returns",
        """
        def discounted_returns(rewards, gamma):
            \"\"\"Array of G_t = R_{t+1} + gamma * G_{t+1} for t = 0..T-1, with G_T = 0.\"\"\"
            ### BEGIN SOLUTION
            rewards = np.asarray(rewards, dtype=float)
            returns = np.zeros(len(rewards))
            running = 0.0
            for t in range(len(rewards) - 1, -1, -1):
                running = rewards[t] + gamma * running
                returns[t] = running
            return returns
            ### END SOLUTION
        """,
    ),
    tests(
        "test_discounted_returns",
        2,
        """
        assert np.allclose(discounted_returns([1.0, 0.0, 2.0], 1.0), [3.0, 2.0, 2.0])
        assert np.shape(discounted_returns([0.0] * 5, 0.9)) == (5,)
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(404)
        for gamma_t in (0.0, 0.5, 0.97, 1.0):
            r_t = rng_t.normal(size=23)
            G_t = np.asarray(discounted_returns(r_t, gamma_t), dtype=float)
            ref = np.array([sum(gamma_t**k * r_t[t + k] for k in range(len(r_t) - t)) for t in range(len(r_t))])
            assert G_t.shape == (23,)
            assert np.allclose(G_t, ref, rtol=1e-12, atol=1e-12), f"returns for gamma={gamma_t}"
        assert np.asarray(discounted_returns([], 0.9), dtype=float).shape == (0,)
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "mc-intro",
        r"""
        **Monte Carlo.** Write `mc_prediction`, which returns the array $V$ of length `n_states`: for each
        state, the average of the returns that follow its visits (only the first visit in each episode when
        `first_visit` is true, every visit otherwise). States that are never visited get $0$.
        """,
    ),
    solution(
        "mc_prediction",
        """
        def mc_prediction(episodes, n_states, gamma, first_visit=True):
            \"\"\"Monte Carlo estimate of V from a list of (states, rewards) episodes.\"\"\"
            ### BEGIN SOLUTION
            totals = np.zeros(n_states)
            counts = np.zeros(n_states)
            for states, rewards in episodes:
                returns = discounted_returns(rewards, gamma)
                seen = set()
                for t, s in enumerate(states):
                    if first_visit and s in seen:
                        continue
                    seen.add(s)
                    totals[s] += returns[t]
                    counts[s] += 1
            V = np.zeros(n_states)
            visited = counts > 0
            V[visited] = totals[visited] / counts[visited]
            return V
            ### END SOLUTION
        """,
    ),
    tests(
        "test_mc_prediction",
        3,
        """
        toy = [([1, 2], [0.0, 1.0]), ([1], [0.0])]
        assert np.allclose(mc_prediction(toy, 4, 1.0), [0.0, 0.5, 1.0, 0.0])
        assert np.allclose(mc_prediction(toy, 4, 1.0, first_visit=False), [0.0, 0.5, 1.0, 0.0])
        ### BEGIN HIDDEN TESTS
        def _ref_mc(episodes, n, gamma, first):
            sums, counts = np.zeros(n), np.zeros(n)
            for states, rewards in episodes:
                for t, s in enumerate(states):
                    if first and s in states[:t]:
                        continue
                    sums[s] += sum(gamma**k * rewards[t + k] for k in range(len(rewards) - t))
                    counts[s] += 1
            return np.divide(sums, counts, out=np.zeros(n), where=counts > 0)

        rng_t = np.random.default_rng(505)
        eps_t = []
        for _ in range(30):
            length = int(rng_t.integers(1, 12))
            eps_t.append((list(rng_t.integers(0, 6, size=length)), list(rng_t.normal(size=length))))
        for gamma_t in (1.0, 0.8):
            for first in (True, False):
                V_t = np.asarray(mc_prediction(eps_t, 8, gamma_t, first_visit=first), dtype=float)
                assert V_t.shape == (8,)
                assert np.allclose(V_t, _ref_mc(eps_t, 8, gamma_t, first), atol=1e-12), (gamma_t, first)
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "td-intro",
        r"""
        **TD(0).** Write `td0_prediction`: start from a copy of `v_init` and make **one online pass** over the
        episodes in order, updating $V(S_t)$ after every step (so a later step of the same episode already
        sees the new values). The state after the last step of an episode is terminal, with value $0$.
        Return the final $V$ (do not modify `v_init`).
        """,
    ),
    solution(
        "td0_prediction",
        """
        def td0_prediction(episodes, n_states, alpha, gamma, v_init):
            \"\"\"One online pass of TD(0) over the (states, rewards) episodes; returns a new array V.\"\"\"
            ### BEGIN SOLUTION
            V = np.array(v_init, dtype=float)
            for states, rewards in episodes:
                for t, (s, r) in enumerate(zip(states, rewards)):
                    v_next = V[states[t + 1]] if t + 1 < len(states) else 0.0
                    V[s] += alpha * (r + gamma * v_next - V[s])
            return V
            ### END SOLUTION
        """,
    ),
    tests(
        "test_td0_prediction",
        3,
        """
        v0 = np.array([0.0, 0.5, 0.5, 0.0])
        assert np.allclose(td0_prediction([([1, 2], [0.0, 1.0])], 4, 0.5, 1.0, v0), [0.0, 0.5, 0.75, 0.0])
        assert np.allclose(v0, [0.0, 0.5, 0.5, 0.0]), "v_init is not modified"
        ### BEGIN HIDDEN TESTS
        def _ref_td(episodes, alpha, gamma, v):
            v = np.array(v, dtype=float)
            for states, rewards in episodes:
                nxt = list(states[1:]) + [None]
                for s, r, s2 in zip(states, rewards, nxt):
                    v[s] = v[s] + alpha * (r + (0.0 if s2 is None else gamma * v[s2]) - v[s])
            return v

        rng_t = np.random.default_rng(606)
        eps_t = []
        for _ in range(25):
            length = int(rng_t.integers(1, 10))
            eps_t.append((list(rng_t.integers(0, 5, size=length)), list(rng_t.normal(size=length))))
        v_t = rng_t.normal(size=6)
        v_keep = v_t.copy()
        for alpha_t, gamma_t in ((0.1, 1.0), (0.5, 0.9)):
            V_t = np.asarray(td0_prediction(eps_t, 6, alpha_t, gamma_t, v_t), dtype=float)
            assert V_t.shape == (6,)
            assert np.allclose(V_t, _ref_td(eps_t, alpha_t, gamma_t, v_t), atol=1e-12), (alpha_t, gamma_t)
        assert np.array_equal(v_t, v_keep), "v_init is not modified"
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "compare-intro",
        r"""
        The cell below runs both methods on this seed's 100 episodes, TD(0) with $\alpha = 0.05$ from
        $V = 0.5$, and plots the root-mean-square error over states 1 to 5 as the number of episodes grows.
        """,
    ),
    locked(
        "compare-prediction",
        """
        inner = slice(1, N_WALK_STATES - 1)
        v_start = np.where(np.arange(N_WALK_STATES) % 6 == 0, 0.0, 0.5)
        counts = np.arange(5, 101, 5)
        rms_mc, rms_td = [], []
        for n in counts:
            V_mc = mc_prediction(walk_episodes[:n], N_WALK_STATES, 1.0)
            V_td = td0_prediction(walk_episodes[:n], N_WALK_STATES, 0.05, 1.0, v_start)
            rms_mc.append(np.sqrt(np.mean((V_mc[inner] - TRUE_V[inner]) ** 2)))
            rms_td.append(np.sqrt(np.mean((V_td[inner] - TRUE_V[inner]) ** 2)))
        plt.plot(counts, rms_mc, label="first-visit MC")
        plt.plot(counts, rms_td, label="TD(0), alpha = 0.05")
        plt.xlabel("episodes")
        plt.ylabel("RMS error, states 1-5")
        plt.legend()
        plt.show()
        print("MC :", mc_prediction(walk_episodes, N_WALK_STATES, 1.0)[inner])
        print("TD :", td0_prediction(walk_episodes, N_WALK_STATES, 0.05, 1.0, v_start)[inner])
        print("true", TRUE_V[inner])
        """,
    ),
    answer(
        "answer_mc_vs_td",
        2,
        r"""
        With few episodes TD(0) is usually closer to the truth: every MC estimate is an average of a handful
        of 0/1 returns, so its variance is large, while TD's target $R + V(S')$ averages over what the agent
        has already learned about the neighbouring states. MC is unbiased and its error keeps shrinking like
        $1/\sqrt{n}$; TD with a constant $\alpha$ is biased towards its start $V = 0.5$ at first and then
        fluctuates around the truth with a noise that does not vanish (it weights recent episodes more), so
        with many episodes the MC curve can catch up or pass it. A smaller $\alpha$ lowers TD's noise but
        slows it down; a larger one learns faster and stays noisier.
        """,
    ),
]
