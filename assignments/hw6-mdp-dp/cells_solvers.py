"""Homework 6, parts 3-6: value iteration, policy iteration, the base-stock structure and a fixed ordering cost.

Hidden tests run the student's solvers on random MDPs from fixed internal seeds and compare with reference
computations written differently (einsum backups, the series to convergence, enumeration of base-stock levels).
"""

from nbbuild import answer, locked, markdown, solution, tests

VALUE_ITERATION = [
    markdown(
        "vi-intro",
        r"""
        ## 3. Value iteration (4 points)

        Start from $V_0 = 0$ and apply the Bellman optimality operator: $Q_k = R + \gamma P V_k$ (that is,
        $Q_k(s, a) = R(s, a) + \gamma \sum_{s'} P(s' \mid s, a) V_k(s')$) and $V_{k+1}(s) = \max_a Q_k(s, a)$.
        Stop at the first $k$ with $\lVert V_{k+1} - V_k \rVert_\infty < \text{tol}$ and return $V_{k+1}$,
        the greedy policy $\arg\max_a Q_k(s, a)$ (the first maximiser, as `np.argmax` gives) and the number of
        backups $k + 1$. Since $T$ is a $\gamma$-contraction, the returned $V$ is within
        $\gamma\,\text{tol} / (1 - \gamma)$ of $V^*$.
        """,
    ),
    solution(
        "value_iteration",
        """
        def value_iteration(P, R, gamma, tol=1e-10):
            \"\"\"Value iteration from V = 0; returns (V, greedy policy, number of backups).\"\"\"
            ### BEGIN SOLUTION
            P = np.asarray(P, dtype=float)
            R = np.asarray(R, dtype=float)
            V = np.zeros(P.shape[0])
            n_backups = 0
            while True:
                Q = R + gamma * P @ V
                V_new = Q.max(axis=1)
                n_backups += 1
                if np.max(np.abs(V_new - V)) < tol:
                    return V_new, Q.argmax(axis=1), n_backups
                V = V_new
            ### END SOLUTION
        """,
    ),
    locked(
        "run-vi",
        """
        V_star, policy_star, n_backups = value_iteration(P, R, GAMMA)
        print(f"value iteration: {n_backups} backups")
        print("optimal order quantity by stock level:", policy_star)
        plt.plot(states, V_star, marker="o", label="optimal")
        plt.plot(states, V_up_to_8, marker=".", label="order up to 8")
        plt.xlabel("stock at the start of the period")
        plt.ylabel("value")
        plt.legend()
        plt.show()
        """,
    ),
    tests(
        "test_value_iteration",
        4,
        """
        assert np.shape(V_star) == (CAPACITY + 1,) and np.shape(policy_star) == (CAPACITY + 1,)
        assert np.all(V_star >= V_up_to_8 - 1e-6), "no policy beats the optimal value"
        ### BEGIN HIDDEN TESTS
        def _ref_vi(P_r, R_r, gamma_r, tol_r):
            V_r, k_r = np.zeros(P_r.shape[0]), 0
            while True:
                Q_r = R_r + gamma_r * np.einsum("sat,t->sa", P_r, V_r)
                k_r += 1
                if np.max(np.abs(Q_r.max(axis=1) - V_r)) < tol_r:
                    return Q_r.max(axis=1), k_r
                V_r = Q_r.max(axis=1)

        rng_t = np.random.default_rng(47)
        n_s, n_a = 9, 4
        P_h = rng_t.dirichlet(np.ones(n_s) * 0.3, size=(n_s, n_a))
        R_h = rng_t.normal(size=(n_s, n_a))
        for gamma_h, tol_h in ((0.9, 1e-10), (0.6, 1e-4)):
            V_h, pol_h, k_h = value_iteration(P_h, R_h, gamma_h, tol_h)
            V_h, pol_h = np.asarray(V_h, dtype=float), np.asarray(pol_h, dtype=int)
            V_ref, k_ref = _ref_vi(P_h, R_h, gamma_h, tol_h)
            assert int(k_h) == k_ref, "number of backups under the stopping rule"
            assert np.allclose(V_h, V_ref, rtol=0, atol=1e-9)
            # The greedy policy's exact value is optimal up to the error bound of the stopping rule.
            P_pi, R_pi = P_h[np.arange(n_s), pol_h], R_h[np.arange(n_s), pol_h]
            V_pol = np.linalg.solve(np.eye(n_s) - gamma_h * P_pi, R_pi)
            V_opt = _ref_vi(P_h, R_h, gamma_h, 1e-13)[0]
            assert np.all(V_pol >= V_opt - 2 * gamma_h * tol_h / (1 - gamma_h) - 1e-9), "greedy policy is optimal"
        pol_inv = np.asarray(policy_star, dtype=int)
        P_pi = P[states, pol_inv]
        V_pol = np.linalg.solve(np.eye(len(states)) - GAMMA * P_pi, R[states, pol_inv])
        assert np.allclose(V_pol, np.asarray(V_star, dtype=float), atol=1e-6), "policy_star achieves V_star"
        ### END HIDDEN TESTS
        """,
    ),
]

POLICY_ITERATION = [
    markdown(
        "pi-intro",
        r"""
        ## 4. Policy iteration (4 points)

        Start from the policy that never orders (all actions 0). Repeat: evaluate the current policy exactly
        with your `policy_evaluation`, append its value to `history`, and improve it greedily,
        $\pi'(s) = \arg\max_a Q_{V^\pi}(s, a)$ with $Q_{V^\pi} = R + \gamma P V^\pi$. To avoid cycling between
        equally good actions, **keep the current action** in a state unless some action is better by more
        than `1e-9`. Stop when the policy no longer changes and return `(V, policy, history)`, where `V` is
        the value of the final policy and `history` the list of the values of every policy evaluated (the
        first is the never-order policy's, the last is `V`).
        """,
    ),
    solution(
        "policy_iteration",
        """
        def policy_iteration(P, R, gamma):
            \"\"\"Policy iteration from the all-zeros policy; returns (V, policy, history of values).\"\"\"
            ### BEGIN SOLUTION
            P = np.asarray(P, dtype=float)
            R = np.asarray(R, dtype=float)
            states = np.arange(P.shape[0])
            policy = np.zeros(P.shape[0], dtype=int)
            history = []
            while True:
                V = policy_evaluation(P, R, policy, gamma)
                history.append(V)
                Q = R + gamma * P @ V
                best = Q.argmax(axis=1)
                improve = Q[states, best] > Q[states, policy] + 1e-9
                if not improve.any():
                    return V, policy, history
                policy = np.where(improve, best, policy)
            ### END SOLUTION
        """,
    ),
    locked(
        "run-pi",
        """
        V_pi, policy_pi, pi_history = policy_iteration(P, R, GAMMA)
        print(f"policy iteration: {len(pi_history)} policies evaluated")
        print("max |V_pi - V_star| =", np.max(np.abs(V_pi - V_star)))
        """,
    ),
    tests(
        "test_policy_iteration",
        4,
        """
        assert len(pi_history) >= 2, "the never-order policy is not optimal here"
        assert np.allclose(V_pi, V_star, atol=1e-3), "policy iteration and value iteration agree"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(59)
        n_s, n_a = 12, 5
        P_h = rng_t.dirichlet(np.ones(n_s) * 0.2, size=(n_s, n_a))
        R_h = rng_t.normal(size=(n_s, n_a))
        gamma_h = 0.97
        V_h, pol_h, hist_h = policy_iteration(P_h, R_h, gamma_h)
        V_h, pol_h = np.asarray(V_h, dtype=float), np.asarray(pol_h, dtype=int)
        hist_h = [np.asarray(v, dtype=float) for v in hist_h]
        V_opt = np.zeros(n_s)
        for _ in range(3000):  # 0.97^3000 < 1e-39
            V_opt = (R_h + gamma_h * P_h @ V_opt).max(axis=1)
        assert np.allclose(V_h, V_opt, rtol=0, atol=1e-8), "optimal value"
        V_zero = np.linalg.solve(np.eye(n_s) - gamma_h * P_h[:, 0], R_h[:, 0])
        assert np.allclose(hist_h[0], V_zero, atol=1e-8), "the first policy evaluated is all zeros"
        assert np.allclose(hist_h[-1], V_h, atol=1e-12), "the last value in the history is V"
        assert len(hist_h) >= 2
        for before, after in zip(hist_h, hist_h[1:]):
            assert np.all(after >= before - 1e-8), "policy improvement never lowers a value"
        assert np.allclose(np.linalg.solve(np.eye(n_s) - gamma_h * P_h[np.arange(n_s), pol_h],
                                           R_h[np.arange(n_s), pol_h]), V_h, atol=1e-8)
        V_inv = np.zeros(len(states))
        for _ in range(1000):  # 0.95^1000 < 1e-22
            V_inv = (R + GAMMA * P @ V_inv).max(axis=1)
        assert np.allclose(np.asarray(V_pi, dtype=float), V_inv, rtol=0, atol=1e-6), "optimal on the inventory MDP"
        ### END HIDDEN TESTS
        """,
    ),
]

STRUCTURE = [
    markdown(
        "structure-intro",
        r"""
        ## 5. The base-stock structure (2 + 3 points)

        A **base-stock** (order-up-to) policy with level $S$ orders $S - s$ when the stock $s$ is below $S$
        and nothing otherwise, so the stock after delivery is $y(s) = \max(s, S)$. Write `base_stock_level`,
        which returns the level $S$ (an `int`) if the policy is a base-stock policy and `None` otherwise.
        Judge a policy by the stock after delivery $y(s) = s + \min(\pi(s), M - s)$, since orders beyond the
        capacity are cut. (The never-order policy is the base-stock policy with $S = 0$.)

        Without a fixed cost ($K = 0$), the optimal policy of this model is a base-stock policy, and its level
        has a closed form. Ordering one more unit up to $y + 1$ instead of $y$ costs $c$ now; it sells with
        probability $\Pr(D > y)$ for $p$, and otherwise it is left over: it costs $h$ to hold, but it saves
        the purchase of one unit next period, worth $\gamma c$ today. So the marginal unit pays as long as
        $p\,\Pr(D > y) - c - (h - \gamma c)\Pr(D \le y) > 0$, i.e. as long as
        $F(y) = \Pr(D \le y) < \frac{p - c}{p + h - \gamma c}$ (a newsvendor *critical fractile*). Because
        the stock never rises above $S$ on its own, ordering up to $S$ every period is feasible, so this
        one-period rule is optimal over the infinite horizon. Write `critical_fractile_level`, which returns
        the smallest $y$ with $F(y) \ge \frac{p - c}{p + h - \gamma c}$.
        """,
    ),
    solution(
        "base_stock_level",
        """
        def base_stock_level(policy, capacity):
            \"\"\"The level S if the policy orders up to S (stock after delivery max(s, S)), else None.\"\"\"
            ### BEGIN SOLUTION
            stock = np.arange(capacity + 1)
            after = stock + np.minimum(np.asarray(policy, dtype=int), capacity - stock)
            level = int(after[0])
            if np.array_equal(after, np.maximum(stock, level)):
                return level
            return None
            ### END SOLUTION
        """,
    ),
    tests(
        "test_base_stock_level",
        2,
        """
        assert base_stock_level([3, 2, 1, 0, 0], 4) == 3
        assert base_stock_level([1, 0, 0, 0, 0], 4) == 1
        ### BEGIN HIDDEN TESTS
        def _bs(policy, cap):
            got = base_stock_level(np.asarray(policy), cap)
            return None if got is None else int(got)

        assert _bs([3, 2, 1, 0, 0], 4) == 3
        assert _bs([0, 0, 0, 0], 3) == 0
        assert _bs([4, 9, 9, 9, 9], 4) == 4, "orders beyond capacity are cut"
        assert _bs([5, 4, 3, 2, 1, 0], 5) == 5
        assert _bs([3, 2, 2, 0, 0], 4) is None, "y(2) = 4, not 3"
        assert _bs([3, 0, 1, 0, 0], 4) is None, "y(1) = 1, not 3"
        assert _bs([0, 0, 2, 0, 0], 4) is None, "orders above the level"
        assert _bs([2, 1, 0, 1, 0], 4) is None, "orders above the level"
        assert _bs([6, 6, 6, 0, 0, 0, 0], 6) is None, "an (s, S) policy with s < S - 1 is not base-stock"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "critical_fractile_level",
        """
        def critical_fractile_level(demand_pmf, price, unit_cost, holding_cost, gamma):
            \"\"\"Smallest y with P(D <= y) >= (p - c) / (p + h - gamma c).\"\"\"
            ### BEGIN SOLUTION
            ratio = (price - unit_cost) / (price + holding_cost - gamma * unit_cost)
            cdf = np.cumsum(np.asarray(demand_pmf, dtype=float))
            return int(np.argmax(cdf >= ratio))
            ### END SOLUTION
        """,
    ),
    locked(
        "run-structure",
        """
        S_star = base_stock_level(policy_star, CAPACITY)
        S_formula = critical_fractile_level(demand_pmf, PRICE, UNIT_COST, HOLDING_COST, GAMMA)
        print(f"optimal policy's base-stock level: {S_star}; critical fractile level: {S_formula}")
        """,
    ),
    tests(
        "test_optimal_structure",
        3,
        """
        assert S_star is not None, "without a fixed cost the optimal policy is base-stock"
        assert 0 <= S_formula <= CAPACITY
        ### BEGIN HIDDEN TESTS
        # Reference: the base-stock level of the exactly optimal policy of a reference model, found by
        # enumerating every base-stock level and evaluating it exactly (the best one is optimal).
        def _best_level(pmf, price, c, h, gamma, cap):
            n = cap + 1
            d = np.arange(len(pmf))
            best = None
            for level in range(n):
                P_l, R_l = np.zeros((n, n)), np.zeros(n)
                for s in range(n):
                    y = max(s, level)
                    left = np.maximum(y - d, 0)
                    np.add.at(P_l[s], left, pmf)
                    R_l[s] = price * (pmf @ np.minimum(y, d)) - c * (y - s) - h * (pmf @ left)
                V_l = np.linalg.solve(np.eye(n) - gamma * P_l, R_l)
                if best is None or V_l[0] > best[1] + 1e-9:
                    best = (level, V_l[0])
            return best[0]

        rng_t = np.random.default_rng(83)
        cases = [(12.0, 4.0, 0.5, 0.95), (7.0, 5.0, 2.0, 0.5), (10.0, 4.0, 1.0, 0.99), (9.0, 3.0, 3.0, 0.9)]
        for price_t, c_t, h_t, gamma_t in cases:
            pmf_t = rng_t.dirichlet(np.ones(13))
            got = int(critical_fractile_level(pmf_t, price_t, c_t, h_t, gamma_t))
            assert got == _best_level(pmf_t, price_t, c_t, h_t, gamma_t, 12), (price_t, c_t, h_t, gamma_t)
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "fixed-cost-intro",
        r"""
        ## 6. A fixed ordering cost (2 points, graded by hand)

        The cell below solves the model again with a fixed cost $K = 8$ per delivery and plots both optimal
        policies as the stock after delivery.
        """,
    ),
    locked(
        "run-fixed-cost",
        """
        P_K, R_K = inventory_mdp(demand_pmf, CAPACITY, PRICE, UNIT_COST, HOLDING_COST, fixed_cost=FIXED_COST)
        V_K, policy_K, _ = value_iteration(P_K, R_K, GAMMA)
        after_K = states + np.minimum(policy_K, CAPACITY - states)
        after_0 = states + np.minimum(policy_star, CAPACITY - states)
        print("K = 0, stock after delivery:", after_0)
        print(f"K = {FIXED_COST:g}, stock after delivery:", after_K)
        plt.step(states, after_0, where="mid", label="K = 0")
        plt.step(states, after_K, where="mid", label=f"K = {FIXED_COST:g}")
        plt.plot(states, states, color="grey", linestyle=":", label="no order")
        plt.xlabel("stock at the start of the period")
        plt.ylabel("stock after delivery")
        plt.legend()
        plt.show()
        """,
    ),
    answer(
        "answer_fixed_cost",
        2,
        r"""
        With $K = 8$ the optimal policy is no longer base-stock but an $(s, S)$ policy: it orders only when
        the stock falls to a reorder point $s$ or below, and then orders up to a level $S$ that is higher than
        the base-stock level without a fixed cost; between $s$ and $S$ it orders nothing. A fixed cost makes
        small orders expensive per unit, so the retailer waits until the stock is low and then orders a batch
        large enough to last several periods, trading extra holding cost (and a few more lost sales near the
        reorder point) for fewer deliveries. Without $K$ there is no reason to batch, so topping the stock up
        to the critical-fractile level every period is optimal.
        """,
    ),
]
