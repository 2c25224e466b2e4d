"""Homework 13, parts 1-4: the softmax policy, behaviour cloning (all logs and successful logs only), and
REINFORCE with a baseline.

Hidden tests compare with reference computations written inside them, on fixed inputs and fixed seeds;
the success-rate checks state their episodes, thresholds and false-failure probability.
"""

from nbbuild import answer, markdown, solution, tests

POLICY = [
    markdown(
        "policy-intro",
        r"""
        ## 1. The softmax policy (2 points)

        Write `policy_probs(W, X)`: for a batch of feature rows `X` of shape $(N, 8)$ return the $(N, 7)$
        matrix of action probabilities $\pi_W(a \mid x_i)$. Subtract each row's largest score before
        exponentiating (the result is the same, and it cannot overflow).
        """,
    ),
    solution(
        "policy_probs",
        """
        def policy_probs(W, X):
            \"\"\"Softmax action probabilities, one row per feature row of X.\"\"\"
            ### BEGIN SOLUTION
            scores = np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T
            scores = scores - scores.max(axis=1, keepdims=True)
            expd = np.exp(scores)
            return expd / expd.sum(axis=1, keepdims=True)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_policy_probs",
        2,
        """
        P_uniform = policy_probs(np.zeros((N_ACTIONS, N_FEATURES)), np.ones((3, N_FEATURES)))
        assert np.allclose(P_uniform, 1.0 / N_ACTIONS) and P_uniform.shape == (3, N_ACTIONS)
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(1310)
        W_t = rng_t.normal(size=(N_ACTIONS, N_FEATURES))
        X_t = rng_t.integers(0, 2, size=(20, N_FEATURES)).astype(float)
        S_t = X_t @ W_t.T
        ref = np.exp(S_t) / np.exp(S_t).sum(axis=1, keepdims=True)
        got = np.asarray(policy_probs(W_t, X_t), dtype=float)
        assert got.shape == (20, N_ACTIONS) and np.allclose(got, ref, rtol=0, atol=1e-12)
        big = np.asarray(policy_probs(W_t * 400.0, X_t), dtype=float)
        S_big = X_t @ (W_t * 400.0).T
        ref_big = np.exp(S_big - S_big.max(axis=1, keepdims=True))
        ref_big = ref_big / ref_big.sum(axis=1, keepdims=True)
        assert np.all(np.isfinite(big)) and np.allclose(big, ref_big, rtol=0, atol=1e-12), "large scores must not overflow"
        ### END HIDDEN TESTS
        """,
    ),
]

CLONING = [
    markdown(
        "bc-intro",
        r"""
        ## 2. Behaviour cloning (3 + 2 + 2 points)

        Behaviour cloning is supervised learning on the logged (features, action) pairs: minimise the
        average negative log-likelihood
        $$L(W) = -\frac{1}{N}\sum_{i=1}^{N} \log \pi_W(a_i \mid x_i), \qquad
        \nabla_W L = \frac{1}{N}\sum_{i=1}^{N} \big(\pi_W(\cdot \mid x_i) - e_{a_i}\big)\, x_i^\top,$$
        where $e_a$ is the one-hot vector of action $a$ (so the gradient is a $7 \times 8$ matrix).

        - `bc_loss_and_grad(W, X, A)` returns `(loss, grad)` for feature rows `X` and integer actions `A`.
        - `trajectories_to_dataset(episodes, successful_only)` stacks the episodes' features and actions,
          in order, into `(X, A)`; with `successful_only=True` it keeps only the episodes with reward 1.
          Cloning only the successful episodes is *filtered* BC: it imitates what worked.
        - `train_bc(X, A, lr, epochs)` runs `epochs` steps of full-batch gradient descent from $W = 0$,
          $W \leftarrow W - \text{lr}\,\nabla_W L(W)$, and returns `(W, losses)`, where `losses[k]` is the
          loss **before** step $k$ (so `len(losses) == epochs`).
        """,
    ),
    solution(
        "bc_loss_and_grad",
        """
        def bc_loss_and_grad(W, X, A):
            \"\"\"Mean negative log-likelihood of actions A under the softmax policy, and its gradient in W.\"\"\"
            ### BEGIN SOLUTION
            X = np.asarray(X, dtype=float)
            A = np.asarray(A, dtype=int)
            n = len(A)
            P = policy_probs(W, X)
            loss = -float(np.mean(np.log(P[np.arange(n), A])))
            G = P.copy()
            G[np.arange(n), A] -= 1.0
            return loss, G.T @ X / n
            ### END SOLUTION
        """,
    ),
    tests(
        "test_bc_loss_and_grad",
        3,
        """
        loss0, grad0 = bc_loss_and_grad(np.zeros((N_ACTIONS, N_FEATURES)), logs[0]["features"], logs[0]["actions"])
        assert abs(loss0 - np.log(N_ACTIONS)) < 1e-12, "a uniform policy has loss log 7"
        assert np.shape(grad0) == (N_ACTIONS, N_FEATURES)
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(1311)
        W_t = rng_t.normal(size=(N_ACTIONS, N_FEATURES))
        X_t = rng_t.integers(0, 2, size=(30, N_FEATURES)).astype(float)
        A_t = rng_t.integers(0, N_ACTIONS, size=30)
        loss_t, grad_t = bc_loss_and_grad(W_t, X_t, A_t)
        S_t = X_t @ W_t.T
        logp = S_t - np.log(np.exp(S_t).sum(axis=1, keepdims=True))
        assert abs(float(loss_t) + logp[np.arange(30), A_t].mean()) < 1e-10
        grad_t = np.asarray(grad_t, dtype=float)
        numeric = np.zeros_like(W_t)
        for a in range(N_ACTIONS):
            for j in range(N_FEATURES):
                step = np.zeros_like(W_t)
                step[a, j] = 1e-6
                up = float(bc_loss_and_grad(W_t + step, X_t, A_t)[0])
                down = float(bc_loss_and_grad(W_t - step, X_t, A_t)[0])
                numeric[a, j] = (up - down) / 2e-6
        assert np.allclose(grad_t, numeric, rtol=0, atol=1e-6), "the gradient matches finite differences"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "trajectories_to_dataset",
        """
        def trajectories_to_dataset(episodes, successful_only):
            \"\"\"Stack the (features, action) pairs of the episodes (only successful ones if asked) into X, A.\"\"\"
            ### BEGIN SOLUTION
            kept = [ep for ep in episodes if ep["reward"] > 0 or not successful_only]
            X = np.concatenate([ep["features"] for ep in kept]).astype(float)
            A = np.concatenate([ep["actions"] for ep in kept]).astype(int)
            return X, A
            ### END SOLUTION
        """,
    ),
    tests(
        "test_trajectories_to_dataset",
        2,
        """
        X_all, A_all = trajectories_to_dataset(logs, successful_only=False)
        assert X_all.shape == (int(log_lengths.sum()), N_FEATURES) and A_all.shape == (int(log_lengths.sum()),)
        assert np.array_equal(A_all[: len(logs[0]["actions"])], logs[0]["actions"])
        ### BEGIN HIDDEN TESTS
        won = [ep for ep in logs if ep["reward"] > 0]
        X_won, A_won = trajectories_to_dataset(logs, successful_only=True)
        X_won, A_won = np.asarray(X_won, dtype=float), np.asarray(A_won)
        assert np.array_equal(X_won, np.concatenate([ep["features"] for ep in won]))
        assert np.array_equal(A_won, np.concatenate([ep["actions"] for ep in won]))
        assert 0 < len(won) < len(logs)
        toy = [
            {"features": np.ones((2, N_FEATURES)), "actions": np.array([1, 2]), "reward": 0.0},
            {"features": np.zeros((1, N_FEATURES)), "actions": np.array([6]), "reward": 1.0},
            {"features": 2 * np.ones((3, N_FEATURES)), "actions": np.array([0, 3, 6]), "reward": 1.0},
        ]
        X_toy, A_toy = trajectories_to_dataset(toy, successful_only=True)
        assert np.array_equal(np.asarray(A_toy), [6, 0, 3, 6]) and np.asarray(X_toy, dtype=float).sum() == 48.0
        X_toy, A_toy = trajectories_to_dataset(toy, successful_only=False)
        assert np.array_equal(np.asarray(A_toy), [1, 2, 6, 0, 3, 6])
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "train_bc",
        """
        def train_bc(X, A, lr, epochs):
            \"\"\"Full-batch gradient descent on the BC loss from W = 0; returns (W, losses before each step).\"\"\"
            ### BEGIN SOLUTION
            W = np.zeros((N_ACTIONS, N_FEATURES))
            losses = []
            for _ in range(epochs):
                loss, grad = bc_loss_and_grad(W, X, A)
                losses.append(loss)
                W = W - lr * grad
            return W, np.array(losses)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_train_bc",
        2,
        """
        W_short, losses_short = train_bc(X_all, A_all, lr=1.0, epochs=20)
        assert len(losses_short) == 20 and losses_short[-1] < losses_short[0]
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(1312)
        X_t = rng_t.integers(0, 2, size=(50, N_FEATURES)).astype(float)
        A_t = rng_t.integers(0, N_ACTIONS, size=50)
        W_ref, ref_losses = np.zeros((N_ACTIONS, N_FEATURES)), []
        for _ in range(15):
            S_t = X_t @ W_ref.T
            P_t = np.exp(S_t - S_t.max(axis=1, keepdims=True))
            P_t /= P_t.sum(axis=1, keepdims=True)
            ref_losses.append(-np.log(P_t[np.arange(50), A_t]).mean())
            P_t[np.arange(50), A_t] -= 1.0
            W_ref = W_ref - 0.8 * P_t.T @ X_t / 50
        W_got, losses_got = train_bc(X_t, A_t, lr=0.8, epochs=15)
        assert np.allclose(np.asarray(W_got, dtype=float), W_ref, rtol=0, atol=1e-10)
        assert np.allclose(np.asarray(losses_got, dtype=float), ref_losses, rtol=0, atol=1e-10)
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "bc-success-intro",
        r"""
        Now clone the 300 logged episodes twice, with `lr=1.0` for 300 epochs: on all of them (`W_bc`) and on
        the successful ones only (`W_filtered`), and measure each sampled policy's success rate on 400 fresh
        tasks. The check that follows is worth 2 points.
        """,
    ),
    solution(
        "clone_logs",
        """
        ### BEGIN SOLUTION
        W_bc, _ = train_bc(*trajectories_to_dataset(logs, successful_only=False), lr=1.0, epochs=300)
        W_filtered, _ = train_bc(*trajectories_to_dataset(logs, successful_only=True), lr=1.0, epochs=300)
        ### END SOLUTION
        print("weights of the filtered clone (rows: actions, columns: features):")
        print(np.round(W_filtered, 1))
        """,
    ),
    tests(
        "test_bc_success",
        2,
        """
        assert np.shape(W_bc) == np.shape(W_filtered) == (N_ACTIONS, N_FEATURES)
        rate_all = success_rate(np.asarray(W_bc, dtype=float), 400, seed=555)
        rate_filtered = success_rate(np.asarray(W_filtered, dtype=float), 400, seed=555)
        print(f"logs {log_rewards.mean():.3f}, BC on all logs {rate_all:.3f}, BC on successful logs {rate_filtered:.3f}")
        ### BEGIN HIDDEN TESTS
        # Fixed evaluation seed (400 episodes); the logs change with GRADER_SEED. Over logs seeds 0-199 the
        # reference gave BC-all success rates in [0.36, 0.49], filtered-BC rates in [0.68, 0.85] (mean 0.76,
        # sd 0.03) and gaps of at least 0.26 (mean 0.33, sd 0.03); the thresholds (filtered >= 0.55, a gap
        # >= 0.15) are more than five sd below those means: false-failure probability below 1e-4 per run.
        assert rate_filtered >= 0.55 and rate_filtered - rate_all >= 0.15, (rate_all, rate_filtered)
        X_ok, A_ok = trajectories_to_dataset(logs, successful_only=True)
        W_again, _ = train_bc(X_ok, A_ok, lr=1.0, epochs=300)
        assert np.allclose(np.asarray(W_again, dtype=float), np.asarray(W_filtered, dtype=float), atol=1e-8)
        ### END HIDDEN TESTS
        """,
    ),
]

REINFORCE = [
    markdown(
        "reinforce-intro",
        r"""
        ## 3. Improving the agent by REINFORCE (3 + 3 points)

        Filtered BC can only imitate the logs. To do better, let the agent act and reinforce what succeeds.
        With episodes $m = 1..M$ of the current policy, rewards $R_m$ and a baseline $b$, the REINFORCE
        estimate of the gradient of the expected reward $J(W)$ is
        $$\hat g = \frac{1}{M}\sum_{m=1}^{M} (R_m - b) \sum_{t} \nabla_W \log \pi_W(a_{m,t} \mid x_{m,t}),
        \qquad \nabla_W \log \pi_W(a \mid x) = \big(e_a - \pi_W(\cdot \mid x)\big)\, x^\top .$$
        Every action of an episode shares the episode's reward: the task pays only at the end. A baseline
        that does not depend on the actions leaves the estimate unbiased and lowers its variance.

        - `reinforce_gradient(W, episodes, baseline)` returns $\hat g$ (a $7 \times 8$ array).
        - `train_reinforce(W0, iterations, batch, lr, seed)` starts from a copy of `W0` and a generator
          `rng = np.random.default_rng(seed)`. In each iteration it collects `batch` episodes, each by
          drawing `task = make_task(rng)` and then running `rollout(W, task, rng)`, sets the baseline to
          the batch's mean reward, and takes the ascent step $W \leftarrow W + \text{lr}\,\hat g$. It returns
          `(W, history)` with `history[i]` the mean reward of iteration $i$'s batch.
        """,
    ),
    solution(
        "reinforce_gradient",
        """
        def reinforce_gradient(W, episodes, baseline):
            \"\"\"REINFORCE estimate of the gradient of the expected reward, with a constant baseline.\"\"\"
            ### BEGIN SOLUTION
            grad = np.zeros((N_ACTIONS, N_FEATURES))
            for episode in episodes:
                X = np.asarray(episode["features"], dtype=float)
                A = np.asarray(episode["actions"], dtype=int)
                score = -policy_probs(W, X)
                score[np.arange(len(A)), A] += 1.0
                grad += (episode["reward"] - baseline) * score.T @ X
            return grad / len(episodes)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_reinforce_gradient",
        3,
        """
        W_demo = np.zeros((N_ACTIONS, N_FEATURES))
        g_demo = reinforce_gradient(W_demo, [logs[0]], baseline=0.0)
        assert np.shape(g_demo) == (N_ACTIONS, N_FEATURES)
        one_step = {"features": np.eye(N_FEATURES)[:1], "actions": np.array([2]), "reward": 1.0}
        g_one = reinforce_gradient(W_demo, [one_step], baseline=0.0)
        assert policy_probs(W_demo + 0.1 * g_one, one_step["features"])[0, 2] > 1.0 / N_ACTIONS, "reinforce success"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(1313)
        W_t = rng_t.normal(size=(N_ACTIONS, N_FEATURES))
        eps_t = []
        for length, reward in [(3, 1.0), (5, 0.0), (4, 1.0), (6, 0.0), (2, 0.0)]:
            eps_t.append(
                {
                    "features": rng_t.integers(0, 2, size=(length, N_FEATURES)).astype(float),
                    "actions": rng_t.integers(0, N_ACTIONS, size=length),
                    "reward": reward,
                }
            )


        def ref_gradient(W, episodes, baseline):
            total = np.zeros_like(W)
            for ep in episodes:
                S = ep["features"] @ W.T
                P = np.exp(S - S.max(axis=1, keepdims=True))
                P /= P.sum(axis=1, keepdims=True)
                for x, a, p in zip(ep["features"], ep["actions"], P):
                    onehot = np.zeros(N_ACTIONS)
                    onehot[a] = 1.0
                    total += (ep["reward"] - baseline) * np.outer(onehot - p, x)
            return total / len(episodes)


        for b in (0.0, 0.4, 1.0):
            got = np.asarray(reinforce_gradient(W_t, eps_t, baseline=b), dtype=float)
            assert np.allclose(got, ref_gradient(W_t, eps_t, b), rtol=0, atol=1e-10), b
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "train_reinforce",
        """
        def train_reinforce(W0, iterations, batch, lr, seed):
            \"\"\"REINFORCE with the batch-mean baseline; returns (W, mean reward of each iteration's batch).\"\"\"
            ### BEGIN SOLUTION
            rng = np.random.default_rng(seed)
            W = np.array(W0, dtype=float)
            history = []
            for _ in range(iterations):
                episodes = []
                for _ in range(batch):
                    task = make_task(rng)
                    episodes.append(rollout(W, task, rng))
                baseline = float(np.mean([episode["reward"] for episode in episodes]))
                history.append(baseline)
                W = W + lr * reinforce_gradient(W, episodes, baseline)
            return W, np.array(history)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_train_reinforce",
        3,
        """
        W_try, history_try = train_reinforce(W_filtered, iterations=3, batch=5, lr=1.0, seed=1)
        assert np.shape(W_try) == (N_ACTIONS, N_FEATURES) and len(history_try) == 3
        ### BEGIN HIDDEN TESTS
        def ref_train(W0, iterations, batch, lr, seed):
            rng = np.random.default_rng(seed)
            W = np.array(W0, dtype=float)
            for _ in range(iterations):
                eps = [rollout(W, make_task(rng), rng) for _ in range(batch)]
                b = np.mean([ep["reward"] for ep in eps])
                total = np.zeros_like(W)
                for ep in eps:
                    S = ep["features"] @ W.T
                    P = np.exp(S - S.max(axis=1, keepdims=True))
                    P /= P.sum(axis=1, keepdims=True)
                    Y = -P
                    Y[np.arange(len(ep["actions"])), ep["actions"]] += 1.0
                    total += (ep["reward"] - b) * Y.T @ ep["features"]
                W = W + lr * total / batch
            return W


        W0_t = np.random.default_rng(1314).normal(scale=0.5, size=(N_ACTIONS, N_FEATURES))
        W0_copy = W0_t.copy()
        W_small, hist_small = train_reinforce(W0_t, iterations=4, batch=6, lr=0.7, seed=77)
        assert np.array_equal(W0_t, W0_copy), "W0 is not modified in place"
        assert np.allclose(np.asarray(W_small, dtype=float), ref_train(W0_t, 4, 6, 0.7, 77), rtol=0, atol=1e-10)
        assert len(hist_small) == 4
        # From filtered BC on this seed's logs (cloned here, in reference code), 40 iterations of 20 episodes
        # with lr = 2, then 400 evaluation episodes with a fixed seed. Over logs seeds 0-199 the reference
        # reached success rates in [0.93, 0.99] and gained 0.11 to 0.28 over filtered BC (mean 0.20, sd 0.03);
        # the thresholds (0.88, and a gain of 0.05, 4.7 sd below the mean) leave a false-failure probability
        # below 1e-4 per run.
        won = [ep for ep in logs if ep["reward"] > 0]
        X_ok = np.concatenate([ep["features"] for ep in won])
        A_ok = np.concatenate([ep["actions"] for ep in won])
        W_start = np.zeros((N_ACTIONS, N_FEATURES))
        for _ in range(300):
            S = X_ok @ W_start.T
            P = np.exp(S - S.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            P[np.arange(len(A_ok)), A_ok] -= 1.0
            W_start = W_start - P.T @ X_ok / len(A_ok)
        W_rl, hist_rl = train_reinforce(W_start, iterations=40, batch=20, lr=2.0, seed=1234)
        before = success_rate(W_start, 400, seed=555)
        after = success_rate(np.asarray(W_rl, dtype=float), 400, seed=555)
        assert after >= 0.88 and after - before >= 0.05, (before, after)
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "rl-demo-intro",
        r"""
        The cell below runs your REINFORCE from the filtered-BC agent and prints the success rates before
        and after.
        """,
    ),
    solution(
        "improve_agent",
        """
        ### BEGIN SOLUTION
        W_rl, history_rl = train_reinforce(W_filtered, iterations=40, batch=20, lr=2.0, seed=1234)
        ### END SOLUTION
        print("batch success rate by iteration:", np.round(history_rl[::5], 2))
        print(f"filtered BC {rate_filtered:.3f} -> REINFORCE {success_rate(W_rl, 400, seed=555):.3f}")
        """,
    ),
    markdown(
        "answer_training-question",
        r"""
        **Written answer (2 points).** Why does cloning all the logs give a worse agent than cloning only
        the successful episodes, although it uses more data? What can REINFORCE learn that filtered BC
        cannot, and what does it need that BC does not?
        """,
    ),
    answer(
        "answer_training",
        2,
        """
        Cloning all logs imitates the operator's random clicks as faithfully as the playbook: the cloned
        policy puts about a third of its probability on slips, and a sampled slip (a wrong order, an early
        finish) is fatal. More data of the wrong behaviour does not help: BC estimates the logging policy,
        not a good one. Filtering keeps only the episodes whose slips were harmless, so the clone slips less,
        but it still copies whatever harmless detours and residual randomness the successful episodes
        contain, and it cannot be better than the best behaviour present in the logs. REINFORCE optimises
        the reward itself, so it can push the probabilities of the right calls towards one in every state,
        including states the logs rarely visited; in exchange it needs an environment (or simulator) to act
        in and a reward signal, many on-policy episodes, and a baseline to keep the variance manageable.
        """,
    ),
]
