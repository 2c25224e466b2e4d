"""Homework 10, parts 0-1: set-up, generated data, and three bandit policies with their regret.

Every policy has the signature ``select(counts, sums, t, rng)`` and draws its randomness only from ``rng``,
so the locked simulator ``play`` makes each run reproducible. The hidden tests check UCB1's indices and the
regret exactly, and epsilon-greedy's and Thompson sampling's choice frequencies against their known
probabilities with enough calls that a correct policy fails with probability below 1e-6.
"""

from nbbuild import answer, locked, markdown, solution, tests

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 10: Bandits and off-policy evaluation

        DOTE 6635 *AI for Business Research*, session 7 (Reinforcement Learning V: off-policy evaluation and
        learning).

        1. **Bandits.** A shop learns online which coupon design customers redeem most. Write
           $\varepsilon$-greedy, UCB1 and Thompson sampling, and compare their regret.
        2. **Off-policy evaluation.** The shop has a log of coupons sent by its current targeting rule. Before
           trying a new rule on real customers, estimate its value from the log with the direct method,
           inverse propensity scoring (IPS), self-normalised IPS and the doubly robust estimator, and check
           their bias and variance by simulation against the true value.

        Fill in every `YOUR CODE HERE` and the two written answers. Visible checks follow each function;
        hidden checks run when the notebook is graded, with several random seeds for the data. The whole
        notebook runs on a CPU in a few seconds. Restart the kernel and run all cells before submitting.
        """,
    ),
    locked(
        "setup",
        """
        import os

        import matplotlib.pyplot as plt
        import numpy as np

        np.set_printoptions(precision=4, suppress=True)
        """,
    ),
    markdown(
        "data-intro",
        r"""
        ## The data

        * **Coupon designs** (part 1): `coupon_probs` holds the redemption rates $\mu_1, \dots, \mu_5$ of five
          designs (between 5% and 35%). Your policies never read it: they only see what the simulator `play`
          tells them. `play(select, probs, horizon, seed)` runs a policy for `horizon` rounds and returns the
          arms it chose and the rewards (1 = redeemed) it received.
        * **The coupon log** (part 2): each row is a customer with features $x$ = (past spend, price
          sensitivity, weeks since the last purchase), the action $a$ the current targeting rule chose (0 = no
          coupon, 1 = 10% off, 2 = 20% off), the propensity $p = \pi_0(a \mid x)$ with which the rule chose it,
          and the reward $r$: the customer's profit over the next month. `log` (2,000 customers) is the log to
          evaluate; `pilot` (3,000 customers, an earlier month) is for fitting reward models.
          `expected_profit(X)` is the true $q(x, a) = E[r \mid x, a]$ of the simulation, which a real analyst
          never sees: use it only to compute the truth your estimators are judged against.
        """,
    ),
    locked(
        "data-generate",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))
        rng = np.random.default_rng(SEED)
        coupon_probs = rng.permutation(rng.uniform(0.05, 0.35, size=5))


        def play(select, probs, horizon, seed):
            \"\"\"Run the policy `select` for `horizon` rounds on Bernoulli arms; returns (arms, rewards).\"\"\"
            sim = np.random.default_rng(seed)
            counts, sums = np.zeros(len(probs)), np.zeros(len(probs))
            arms, rewards = np.empty(horizon, dtype=int), np.empty(horizon)
            for t in range(1, horizon + 1):
                arm = int(select(counts.copy(), sums.copy(), t, sim))
                reward = float(sim.random() < probs[arm])
                counts[arm] += 1.0
                sums[arm] += reward
                arms[t - 1], rewards[t - 1] = arm, reward
            return arms, rewards


        ACTIONS = ["no coupon", "10% off", "20% off"]


        def draw_customers(n, gen):
            \"\"\"Past spend (standardised), price sensitivity (standardised), weeks since the last purchase.\"\"\"
            return np.column_stack([gen.normal(size=n), gen.normal(size=n), gen.exponential(1.0, size=n)])


        def expected_profit(X):
            \"\"\"True q(x, a) for a = 0, 1, 2: the coupon lifts profit only for price-sensitive customers.\"\"\"
            base = 20.0 + 6.0 * X[:, 0] - 4.0 * np.sqrt(X[:, 2])
            gain = np.maximum(X[:, 1], 0.0) ** 2
            return np.column_stack([base, base + 5.0 * gain - 2.0, base + 9.0 * gain - 5.0])


        def logging_policy(X):
            \"\"\"The current rule pi_0(a | x): bigger coupons for more price-sensitive customers, never certain.\"\"\"
            scores = np.column_stack([np.zeros(len(X)), 0.6 * X[:, 1], 1.2 * X[:, 1] - 0.4])
            soft = np.exp(scores - scores.max(axis=1, keepdims=True))
            return 0.85 * soft / soft.sum(axis=1, keepdims=True) + 0.05


        def target_policy(X):
            \"\"\"The proposed rule pi(a | x): 20% off above sensitivity 0.8, 10% off above 0; 90% of the time.\"\"\"
            rule = np.where(X[:, 1] > 0.8, 2, np.where(X[:, 1] > 0.0, 1, 0))
            probs = np.full((len(X), 3), 0.05)
            probs[np.arange(len(X)), rule] = 0.9
            return probs


        def collect_log(n, gen):
            \"\"\"A log of n customers under the current rule: X, actions, propensities and rewards.\"\"\"
            X = draw_customers(n, gen)
            pi0 = logging_policy(X)
            actions = (gen.random(n)[:, None] > np.cumsum(pi0, axis=1)).sum(axis=1)
            rewards = expected_profit(X)[np.arange(n), actions] + 4.0 * gen.normal(size=n)
            return {"X": X, "actions": actions, "propensities": pi0[np.arange(n), actions], "rewards": rewards}


        log = collect_log(2000, rng)
        pilot = collect_log(3000, rng)
        log_X, log_actions, log_rewards = log["X"], log["actions"], log["rewards"]
        print(f"seed {SEED}: redemption rates {np.round(coupon_probs, 3)}")
        print(f"log: {len(log_actions)} customers, actions {np.bincount(log_actions, minlength=3)}")
        """,
    ),
]

BANDITS = [
    markdown(
        "bandits-intro",
        r"""
        ## 1. Bandits: which coupon design to show (2 + 3 + 3 + 2 points)

        Each round $t = 1, 2, \dots$ a customer arrives, the shop shows design $A_t$ and observes the reward
        $R_t \sim \text{Bernoulli}(\mu_{A_t})$. A policy chooses $A_t$ from the past only. Its
        **(pseudo-)regret** after $T$ rounds is the expected number of redemptions lost by not always showing
        the best design:
        $$\text{Regret}(T) = \sum_{t=1}^{T} \left(\mu^* - \mu_{A_t}\right), \qquad \mu^* = \max_a \mu_a .$$
        Every policy below is a function `select(counts, sums, t, rng)` that returns an arm index: `counts[a]`
        $= n_a$ is how often arm $a$ was played before round `t`, `sums[a]` $= S_a$ its total reward, and
        `rng` (a NumPy `Generator`) is the only source of randomness you may use.

        * **$\varepsilon$-greedy.** Play the first untried arm (lowest index) while some arm is untried.
          Otherwise draw `rng.random()`; if it is below $\varepsilon$, play an arm drawn uniformly from **all**
          $K$ arms (`rng.integers(K)`), else the arm with the highest mean $\hat\mu_a = S_a / n_a$ (lowest
          index on ties, as `np.argmax` does). With a fixed $\varepsilon$ a fraction of about $\varepsilon$ of
          the rounds is spent exploring forever, so the regret grows linearly in $T$.
        * **UCB1** (optimism under uncertainty). The index of arm $a$ at round $t$ is
          $U_a(t) = \hat\mu_a + \sqrt{2 \ln t \,/\, n_a}$, and $+\infty$ for an untried arm; play the largest.
          The bonus shrinks as an arm is played and grows like $\ln t$ while it is neglected, so a bad arm
          with gap $\Delta_a = \mu^* - \mu_a$ is played only $O(\ln T / \Delta_a^2)$ times.
        * **Thompson sampling.** Put a uniform Beta(1, 1) prior on each $\mu_a$. After $n_a$ plays with $S_a$
          redemptions the posterior is Beta($1 + S_a$, $1 + n_a - S_a$). Each round, draw one value from each
          posterior with a single call `rng.beta(alpha, beta)` on the arrays of parameters and play the arm
          with the largest draw: each arm is played with the posterior probability that it is the best.

        Lai and Robbins (1985) showed that the regret of any consistent policy grows at least like $\ln T$;
        UCB1 and Thompson sampling achieve that order.
        """,
    ),
    solution(
        "epsilon_greedy",
        """
        def epsilon_greedy(counts, sums, t, rng, epsilon=0.1):
            \"\"\"Untried arms first; then explore uniformly with probability epsilon, else exploit.\"\"\"
            ### BEGIN SOLUTION
            untried = np.flatnonzero(counts == 0)
            if untried.size:
                return int(untried[0])
            if rng.random() < epsilon:
                return int(rng.integers(len(counts)))
            return int(np.argmax(sums / counts))
            ### END SOLUTION
        """,
    ),
    tests(
        "test_epsilon_greedy",
        2,
        """
        assert epsilon_greedy(np.array([3.0, 0.0, 2.0]), np.array([1.0, 0.0, 2.0]), 6, np.random.default_rng(0)) == 1
        assert epsilon_greedy(np.array([3.0, 4.0, 2.0]), np.array([1.0, 1.0, 2.0]), 10, np.random.default_rng(0), 0.0) == 2
        ### BEGIN HIDDEN TESTS
        c_t, s_t = np.array([10.0, 10.0, 10.0, 10.0]), np.array([2.0, 7.0, 7.0, 1.0])
        assert int(epsilon_greedy(np.array([2.0, 0.0, 0.0, 1.0]), s_t, 4, np.random.default_rng(1), 1.0)) == 1
        assert int(epsilon_greedy(c_t, s_t, 41, np.random.default_rng(1), 0.0)) == 1, "ties go to the lowest index"
        gen_t = np.random.default_rng(2)
        picks = np.array([int(epsilon_greedy(c_t, s_t, 41, gen_t, 0.3)) for _ in range(6000)])
        freq = np.bincount(picks, minlength=4) / 6000
        # (S) Repetitions: 6000 calls with a fixed generator. Tolerance 0.03 around the exact probabilities
        # 0.775 (greedy arm) and 0.075 (each other arm); the standard deviations are at most 0.0054, so each
        # bound is 5.5 sd away: P(false failure) < 1e-7 over the four arms (normal tails).
        assert np.allclose(freq, [0.075, 0.775, 0.075, 0.075], rtol=0, atol=0.03), freq
        gen_a, gen_b = np.random.default_rng(3), np.random.default_rng(3)
        run_a = [int(epsilon_greedy(c_t, s_t, 41, gen_a, 0.5)) for _ in range(50)]
        assert run_a == [int(epsilon_greedy(c_t, s_t, 41, gen_b, 0.5)) for _ in range(50)], "only rng is random"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "ucb1_indices",
        """
        def ucb1_indices(counts, sums, t):
            \"\"\"The UCB1 index of every arm at round t (np.inf for an arm never played).\"\"\"
            ### BEGIN SOLUTION
            indices = np.full(len(counts), np.inf)
            tried = counts > 0
            indices[tried] = sums[tried] / counts[tried] + np.sqrt(2.0 * np.log(t) / counts[tried])
            return indices
            ### END SOLUTION
        """,
    ),
    locked(
        "ucb1",
        """
        def ucb1(counts, sums, t, rng):
            \"\"\"Play the arm with the largest UCB1 index (rng is unused: UCB1 is deterministic).\"\"\"
            return int(np.argmax(ucb1_indices(counts, sums, t)))
        """,
    ),
    tests(
        "test_ucb1",
        3,
        """
        idx_v = np.asarray(ucb1_indices(np.array([10.0, 0.0, 10.0]), np.array([5.0, 0.0, 2.0]), 21), dtype=float)
        assert idx_v.shape == (3,) and np.isinf(idx_v[1]), "an untried arm has an infinite index"
        assert idx_v[0] > idx_v[2] > 0.2, "equal counts: the higher mean has the higher index"
        ### BEGIN HIDDEN TESTS
        c_t = np.array([40.0, 3.0, 12.0, 1.0, 25.0])
        s_t = np.array([14.0, 1.0, 5.0, 0.0, 11.0])
        for t_t in (82, 500):
            expected = s_t / c_t + np.sqrt(2.0 * np.log(t_t) / c_t)
            got = np.asarray(ucb1_indices(c_t.copy(), s_t.copy(), t_t), dtype=float)
            assert np.allclose(got, expected, rtol=0, atol=1e-12), f"indices at t = {t_t}"
        arms_t, _ = play(ucb1, np.array([0.2, 0.3, 0.25]), 60, seed=4)
        assert sorted(arms_t[:3]) == [0, 1, 2], "each arm once first"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "thompson",
        """
        def thompson(counts, sums, t, rng):
            \"\"\"One draw from each Beta(1 + S_a, 1 + n_a - S_a) posterior; play the largest draw.\"\"\"
            ### BEGIN SOLUTION
            return int(np.argmax(rng.beta(1.0 + sums, 1.0 + counts - sums)))
            ### END SOLUTION
        """,
    ),
    tests(
        "test_thompson",
        3,
        """
        arm_v = thompson(np.array([4.0, 4.0, 0.0]), np.array([1.0, 3.0, 0.0]), 9, np.random.default_rng(0))
        assert int(arm_v) in (0, 1, 2)
        ### BEGIN HIDDEN TESTS
        def posterior_best(c, s, draws, seed):
            gen = np.random.default_rng(seed)
            samples = gen.beta(1.0 + s, 1.0 + c - s, size=(draws, len(c)))
            return np.bincount(samples.argmax(axis=1), minlength=len(c)) / draws


        gen_t = np.random.default_rng(5)
        for c_t, s_t in ((np.array([20.0, 20.0, 5.0]), np.array([10.0, 12.0, 3.0])), (np.zeros(3), np.zeros(3))):
            picks = np.array([int(thompson(c_t.copy(), s_t.copy(), 46, gen_t)) for _ in range(8000)])
            freq = np.bincount(picks, minlength=3) / 8000
            exact = posterior_best(c_t, s_t, 400_000, 6)
            # (S) Repetitions: 8000 calls, against 400,000 posterior draws. Tolerance 0.03: the sd of a
            # frequency is at most 0.0056 (0.0008 for the 400,000-draw probabilities), so each bound is 5.3 sd away:
            # P(false failure) < 1e-6 over the six comparisons (normal tails).
            assert np.allclose(freq, exact, rtol=0, atol=0.03), (freq, exact)
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "pseudo_regret",
        """
        def pseudo_regret(probs, arms):
            \"\"\"Cumulative pseudo-regret: element t-1 is sum over rounds 1..t of (max(probs) - probs[arm]).\"\"\"
            ### BEGIN SOLUTION
            probs = np.asarray(probs, dtype=float)
            return np.cumsum(probs.max() - probs[np.asarray(arms, dtype=int)])
            ### END SOLUTION
        """,
    ),
    tests(
        "test_regret",
        2,
        """
        assert np.allclose(pseudo_regret([0.2, 0.5], [0, 1, 0]), [0.3, 0.3, 0.6])
        ### BEGIN HIDDEN TESTS
        probs_t = np.array([0.1, 0.45, 0.3, 0.05])
        arms_t = np.array([0, 2, 2, 3, 0, 2, 3])
        got = np.asarray(pseudo_regret(list(probs_t), list(arms_t)), dtype=float)
        assert got.shape == (7,)
        assert np.allclose(got, np.cumsum(0.45 - probs_t[arms_t]), rtol=0, atol=1e-12), "the best arm need not be played"
        ### END HIDDEN TESTS
        """,
    ),
    locked(
        "bandit-demo",
        """
        policies = {
            "uniform": lambda counts, sums, t, gen: int(gen.integers(len(counts))),
            "epsilon-greedy (0.1)": epsilon_greedy,
            "UCB1": ucb1,
            "Thompson sampling": thompson,
        }
        T_DEMO, RUNS = 1500, 6
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for name, policy in policies.items():
            curves = np.array([pseudo_regret(coupon_probs, play(policy, coupon_probs, T_DEMO, SEED * 100 + run)[0]) for run in range(RUNS)])
            ax.plot(np.arange(1, T_DEMO + 1), curves.mean(axis=0), label=name)
            print(f"{name:>22}: mean regret after {T_DEMO} rounds {curves[:, -1].mean():7.1f} (sd {curves[:, -1].std(ddof=1):5.1f})")
        ax.set_xlabel("round t")
        ax.set_ylabel("regret")
        ax.legend()
        plt.show()
        """,
    ),
    answer(
        "answer_bandits",
        2,
        r"""
        Uniform play loses the average gap in every round, so its regret is a straight line. Epsilon-greedy
        finds the best design quickly here, but it keeps spending about 10% of the rounds on random designs,
        so its curve also ends up a straight line, with a smaller slope ($0.1 \times$ the average gap); a
        run where the greedy choice locks onto a second-best design early is what makes its spread large.
        UCB1 explores systematically: its curve bends like $\ln t$, but its optimistic bonus is loose for
        Bernoulli rewards far from 1/2, so at this horizon it may still lose to epsilon-greedy. Thompson
        sampling has the lowest regret: it stops showing a design as soon as the posterior makes it unlikely
        to be the best, and its regret flattens out. For the shop, the regret is the redemptions lost while
        learning, so Thompson sampling (or UCB1 with a longer horizon) is the policy to run.
        """,
    ),
]
