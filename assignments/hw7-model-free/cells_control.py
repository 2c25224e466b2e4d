"""Homework 7, part 2: epsilon-greedy, SARSA and Q-learning on the cliff-walking grid, and the greedy path.

The episode functions take the action-choosing rule as an argument, so hidden tests drive them with their
own seeded exploration and compare Q exactly with a reference run; no test depends on GRADER_SEED.
"""

from nbbuild import answer, locked, markdown, solution, tests

CONTROL = [
    markdown(
        "cliff-intro",
        r"""
        ## 2. Control on the cliff (2 + 3 + 3 + 2 points)

        The grid has 4 rows and 12 columns; states are numbered `row * 12 + column`. The agent starts at the
        bottom left (state 36) and must reach the bottom right (state 47). The cells between them on the
        bottom row are a cliff: stepping into one gives reward $-100$ and sends the agent back to the start
        (the episode goes on). Every other step gives $-1$. Actions are 0 up, 1 right, 2 down, 3 left; a move
        off the grid leaves the agent where it is. We use $\gamma = 1$. This is Example 6.6 of Sutton and
        Barto; the environment below follows the `reset` / `step` style of gymnasium's `CliffWalking`.

        **$\epsilon$-greedy.** With probability $\epsilon$ take a uniformly random action, otherwise a
        greedy one. So that runs can be reproduced, draw exactly in this order: `u = rng.random()`; if
        `u < epsilon` return `int(rng.integers(len(q_row)))`, otherwise return `int(np.argmax(q_row))` (the
        first maximiser) without drawing again.

        **SARSA** (on-policy TD control) updates towards the value of the action it will actually take next:
        $Q(S, A) \leftarrow Q(S, A) + \alpha\,[R + \gamma Q(S', A') - Q(S, A)]$, where $A'$ is chosen from
        $S'$ by the same $\epsilon$-greedy policy and then taken. **Q-learning** (off-policy) updates towards
        the greedy value, whatever it does next:
        $Q(S, A) \leftarrow Q(S, A) + \alpha\,[R + \gamma \max_a Q(S', a) - Q(S, A)]$. In both, the target is
        just $R$ when $S'$ is terminal.

        Write `sarsa_episode` and `q_learning_episode`. Each runs one episode from `env.reset()`, updates the
        array `Q` **in place**, and returns the episode's total (undiscounted) reward. Actions come from
        `choose(q_row)`: call it **exactly once for every action the agent takes, and at no other time**
        (in particular, not at the terminal state), so that exploration draws line up with the reference.
        """,
    ),
    locked(
        "cliff-env",
        """
        class CliffWalk:
            \"\"\"The 4 x 12 cliff-walking grid; step(action) returns (next_state, reward, terminated).\"\"\"

            rows, cols = 4, 12
            n_states, n_actions = 48, 4
            start, goal = 36, 47
            moves = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left

            def reset(self):
                self.state = self.start
                return self.state

            def step(self, action):
                row, col = divmod(self.state, self.cols)
                d_row, d_col = self.moves[action]
                row = min(max(row + d_row, 0), self.rows - 1)
                col = min(max(col + d_col, 0), self.cols - 1)
                if row == self.rows - 1 and 0 < col < self.cols - 1:
                    self.state = self.start
                    return self.state, -100.0, False
                self.state = row * self.cols + col
                return self.state, -1.0, self.state == self.goal


        SAFE_PATH = [0] + [1] * 11 + [2]  # up, along the row above the cliff, down into the goal


        def scripted(actions):
            \"\"\"A choose(q_row) rule that plays the given actions in order and counts its calls.\"\"\"
            def choose(q_row):
                choose.calls += 1
                return actions[choose.calls - 1]

            choose.calls = 0
            return choose
        """,
    ),
    solution(
        "epsilon_greedy",
        """
        def epsilon_greedy(q_row, epsilon, rng):
            \"\"\"A random action with probability epsilon, else the first greedy action (draw order as specified).\"\"\"
            ### BEGIN SOLUTION
            if rng.random() < epsilon:
                return int(rng.integers(len(q_row)))
            return int(np.argmax(q_row))
            ### END SOLUTION
        """,
    ),
    tests(
        "test_epsilon_greedy",
        2,
        """
        rng_v = np.random.default_rng(0)
        assert epsilon_greedy(np.array([0.0, 2.0, 1.0, 2.0]), 0.0, rng_v) == 1, "greedy: the first maximiser"
        assert all(0 <= epsilon_greedy(np.zeros(4), 1.0, rng_v) < 4 for _ in range(50))
        ### BEGIN HIDDEN TESTS
        rng_a, rng_b = np.random.default_rng(2026), np.random.default_rng(2026)
        q_t = np.array([[0.0, 1.0, 1.0, -1.0], [3.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 5.0]])
        for i in range(600):
            eps_t = (0.0, 0.3, 1.0)[i % 3]
            row_t = q_t[i % 3]
            got = int(epsilon_greedy(row_t, eps_t, rng_a))
            ref = int(rng_b.integers(4)) if rng_b.random() < eps_t else int(np.argmax(row_t))
            assert got == ref, f"call {i}: draw u first, then an action only when exploring"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "sarsa_episode",
        """
        def sarsa_episode(env, Q, alpha, gamma, choose):
            \"\"\"One SARSA episode; updates Q in place and returns the total reward.\"\"\"
            ### BEGIN SOLUTION
            state = env.reset()
            action = choose(Q[state])
            total = 0.0
            while True:
                next_state, reward, done = env.step(action)
                total += reward
                if done:
                    Q[state, action] += alpha * (reward - Q[state, action])
                    return total
                next_action = choose(Q[next_state])
                Q[state, action] += alpha * (reward + gamma * Q[next_state, next_action] - Q[state, action])
                state, action = next_state, next_action
            ### END SOLUTION
        """,
    ),
    tests(
        "test_sarsa",
        3,
        """
        Q_v = np.zeros((48, 4))
        choose_v = scripted(SAFE_PATH)
        assert sarsa_episode(CliffWalk(), Q_v, 0.5, 1.0, choose_v) == -13.0
        assert choose_v.calls == 13, "choose is called once per action taken"
        assert np.isclose(Q_v[36, 0], -0.5) and np.isclose(Q_v[35, 2], -0.5)
        ### BEGIN HIDDEN TESTS
        def _ref_sarsa(Q, alpha, gamma, choose):
            env_r = CliffWalk()
            s = env_r.reset()
            a = choose(Q[s])
            total = 0.0
            while True:
                s2, r, done = env_r.step(a)
                total += r
                a2 = None if done else choose(Q[s2])
                Q[s, a] += alpha * (r + (0.0 if done else gamma * Q[s2, a2]) - Q[s, a])
                if done:
                    return total
                s, a = s2, a2

        def _explorer(seed):
            rng_e = np.random.default_rng(seed)

            def choose(q_row):
                choose.calls += 1
                return int(rng_e.integers(4)) if rng_e.random() < 0.2 else int(np.argmax(q_row))

            choose.calls = 0
            return choose

        for alpha_t, gamma_t in ((0.5, 1.0), (0.3, 0.9)):
            Q_h, Q_r = np.zeros((48, 4)), np.zeros((48, 4))
            ch_h, ch_r = _explorer(77), _explorer(77)
            for _ in range(25):
                ret_h = float(sarsa_episode(CliffWalk(), Q_h, alpha_t, gamma_t, ch_h))
                assert ret_h == _ref_sarsa(Q_r, alpha_t, gamma_t, ch_r), "episode returns"
            assert ch_h.calls == ch_r.calls, "one choice per action taken"
            assert np.allclose(Q_h, Q_r, rtol=0, atol=1e-9), f"Q after 25 episodes (alpha={alpha_t})"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "q_learning_episode",
        """
        def q_learning_episode(env, Q, alpha, gamma, choose):
            \"\"\"One Q-learning episode; updates Q in place and returns the total reward.\"\"\"
            ### BEGIN SOLUTION
            state = env.reset()
            total = 0.0
            while True:
                action = choose(Q[state])
                next_state, reward, done = env.step(action)
                total += reward
                target = reward if done else reward + gamma * Q[next_state].max()
                Q[state, action] += alpha * (target - Q[state, action])
                if done:
                    return total
                state = next_state
            ### END SOLUTION
        """,
    ),
    tests(
        "test_q_learning",
        3,
        """
        Q_v = np.zeros((48, 4))
        choose_v = scripted(SAFE_PATH)
        assert q_learning_episode(CliffWalk(), Q_v, 0.5, 1.0, choose_v) == -13.0
        assert choose_v.calls == 13, "choose is called once per action taken"
        assert np.isclose(Q_v[36, 0], -0.5) and np.isclose(Q_v[35, 2], -0.5)
        ### BEGIN HIDDEN TESTS
        def _ref_q(Q, alpha, gamma, choose):
            env_r = CliffWalk()
            s, total = env_r.reset(), 0.0
            while True:
                a = choose(Q[s])
                s2, r, done = env_r.step(a)
                total += r
                Q[s, a] += alpha * (r + (0.0 if done else gamma * np.max(Q[s2])) - Q[s, a])
                if done:
                    return total
                s = s2

        def _explorer(seed):
            rng_e = np.random.default_rng(seed)

            def choose(q_row):
                choose.calls += 1
                return int(rng_e.integers(4)) if rng_e.random() < 0.2 else int(np.argmax(q_row))

            choose.calls = 0
            return choose

        for alpha_t, gamma_t in ((0.5, 1.0), (0.3, 0.9)):
            Q_h, Q_r = np.zeros((48, 4)), np.zeros((48, 4))
            ch_h, ch_r = _explorer(88), _explorer(88)
            for _ in range(25):
                ret_h = float(q_learning_episode(CliffWalk(), Q_h, alpha_t, gamma_t, ch_h))
                assert ret_h == _ref_q(Q_r, alpha_t, gamma_t, ch_r), "episode returns"
            assert ch_h.calls == ch_r.calls, "one choice per action taken"
            assert np.allclose(Q_h, Q_r, rtol=0, atol=1e-9), f"Q after 25 episodes (alpha={alpha_t})"
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "train-intro",
        r"""
        The cell below trains both agents for 200 episodes with $\alpha = 0.5$, $\epsilon = 0.1$ and
        $\gamma = 1$ (exploration drawn from this seed), and plots the total reward per episode, smoothed
        over 10 episodes.
        """,
    ),
    locked(
        "train-both",
        """
        def train(episode_fn, n_episodes, alpha, epsilon, gamma, seed):
            env = CliffWalk()
            Q = np.zeros((env.n_states, env.n_actions))
            rng_train = np.random.default_rng(seed)
            returns = [
                episode_fn(env, Q, alpha, gamma, lambda q_row: epsilon_greedy(q_row, epsilon, rng_train))
                for _ in range(n_episodes)
            ]
            return Q, np.array(returns)


        Q_sarsa, returns_sarsa = train(sarsa_episode, 200, 0.5, 0.1, 1.0, SEED)
        Q_qlearn, returns_qlearn = train(q_learning_episode, 200, 0.5, 0.1, 1.0, SEED)
        window = np.ones(10) / 10
        plt.plot(np.convolve(returns_sarsa, window, mode="valid"), label="SARSA")
        plt.plot(np.convolve(returns_qlearn, window, mode="valid"), label="Q-learning")
        plt.ylim(-150, 0)
        plt.xlabel("episode")
        plt.ylabel("total reward (10-episode mean)")
        plt.legend()
        plt.show()
        print(f"mean reward over the last 100 episodes: SARSA {returns_sarsa[100:].mean():.1f}, "
              f"Q-learning {returns_qlearn[100:].mean():.1f}")
        """,
    ),
    markdown(
        "greedy-intro",
        r"""
        **The greedy path.** Write `greedy_return`, which follows the greedy action $\arg\max_a Q(s, a)$
        (the first maximiser) from `env.reset()` without exploring and returns the total reward once the goal
        is reached, or `None` if it is not reached within `max_steps` steps (a greedy policy can walk in
        circles).
        """,
    ),
    solution(
        "greedy_return",
        """
        def greedy_return(env, Q, max_steps=100):
            \"\"\"Total reward of the greedy policy from the start, or None if the goal takes more than max_steps.\"\"\"
            ### BEGIN SOLUTION
            state = env.reset()
            total = 0.0
            for _ in range(max_steps):
                state, reward, done = env.step(int(np.argmax(Q[state])))
                total += reward
                if done:
                    return total
            return None
            ### END SOLUTION
        """,
    ),
    locked(
        "greedy-paths",
        """
        def greedy_grid(Q):
            arrows = np.array(list("^>v<"))[np.argmax(Q, axis=1)].reshape(4, 12)
            arrows[3, 1:11] = "C"
            arrows[3, 11] = "G"
            return "\\n".join(" ".join(row) for row in arrows)


        print("SARSA greedy policy, return", greedy_return(CliffWalk(), Q_sarsa))
        print(greedy_grid(Q_sarsa))
        print("Q-learning greedy policy, return", greedy_return(CliffWalk(), Q_qlearn))
        print(greedy_grid(Q_qlearn))
        """,
    ),
    tests(
        "test_greedy_return",
        2,
        """
        Q_path = np.zeros((48, 4))
        for state_v, action_v in zip([36, 24, *range(25, 36)], SAFE_PATH):
            Q_path[state_v, action_v] = 1.0
        assert greedy_return(CliffWalk(), Q_path) == -13.0
        ### BEGIN HIDDEN TESTS
        def _ret(Q, max_steps=100):
            got = greedy_return(CliffWalk(), Q, max_steps)
            return None if got is None else float(got)

        assert _ret(Q_path) == -13.0
        assert _ret(Q_path, max_steps=12) is None, "13 steps are needed"
        assert _ret(Q_path, max_steps=13) == -13.0
        assert _ret(np.zeros((48, 4))) is None, "always up: never reaches the goal"
        Q_edge = np.zeros((48, 4))
        Q_edge[:, 1] = 1.0  # always right: into the cliff, back to the start, forever
        assert _ret(Q_edge, max_steps=50) is None
        Q_short = np.zeros((48, 4))
        Q_short[36, 0] = 1.0
        Q_short[24:35, 1] = 1.0
        Q_short[35, 2] = 1.0
        Q_short[[0, 12], 2] = 1.0
        assert _ret(Q_short) == -13.0
        Q_dip = Q_short.copy()
        Q_dip[30] = [0.0, 0.0, 1.0, 0.0]  # steps down into the cliff: back to the start, and again
        Q_dip[36] = [1.0, 0.0, 0.0, 0.0]
        assert _ret(Q_dip) is None, "the dip sends the agent back to the start and into a loop"
        Q_detour = Q_short.copy()
        Q_detour[36] = [1.0, 0.0, 0.0, 0.0]
        Q_detour[24] = [1.0, 0.0, 0.0, 0.0]
        Q_detour[12] = [0.0, 0.0, 1.0, 0.0]
        assert _ret(Q_detour) is None, "up and down between two cells forever"
        Q_long = np.zeros((48, 4))
        Q_long[36, 0], Q_long[24, 0], Q_long[12, 0] = 1.0, 1.0, 1.0
        Q_long[0:11, 1] = 1.0
        Q_long[11, 2], Q_long[23, 2], Q_long[35, 2] = 1.0, 1.0, 1.0
        assert _ret(Q_long) == -17.0, "the path along the top row"
        ### END HIDDEN TESTS
        """,
    ),
    answer(
        "answer_sarsa_vs_q",
        2,
        r"""
        Q-learning's greedy path runs along the edge of the cliff (13 steps, the optimal return $-13$),
        while SARSA's greedy path keeps away from it, usually along the top row ($-17$); on some seeds
        SARSA's greedy policy does not even reach the goal within 100 steps, because the cells it rarely
        visits still hold their initial values. Yet during training SARSA usually earns more per episode.
        Q-learning learns the value of the greedy policy, whatever it does while exploring, so it finds the
        shortest path; but it also walks that path while exploring with $\epsilon = 0.1$, and a random step
        down from the edge costs $-100$. SARSA learns the value of the $\epsilon$-greedy policy it actually follows, so
        the cells next to the cliff look bad to it (an exploratory step there is costly) and it prefers the
        safer path. If $\epsilon$ decreased to 0 over time, both would converge to the optimal path.
        """,
    ),
]
