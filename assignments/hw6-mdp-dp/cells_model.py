"""Homework 6, parts 0-2: background, the seeded inventory data, the inventory MDP and exact policy evaluation.

Hidden tests build their own Markov decision processes from fixed internal seeds, so each test cell checks
one student function and a submission always gets the same score whatever GRADER_SEED the data cell ran with.
"""

from nbbuild import locked, markdown, solution, tests

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 6: MDPs and dynamic programming

        DOTE 6635 *AI for Business Research*, session 3 (Reinforcement Learning I: tabular MDPs and the
        Bellman equations).

        A retailer reviews the stock of one product at the start of every period and decides how much to
        order. You will write this problem as a finite Markov decision process, evaluate a policy exactly,
        find the optimal policy by value iteration and by policy iteration, and check that it has the
        structure that inventory theory predicts: order up to a fixed level (a *base-stock* policy).

        Fill in every cell that says `YOUR CODE HERE` (delete the `raise NotImplementedError()` line) and the
        written answer. Use NumPy only. The cells after each function run a few visible checks; more checks
        run when your notebook is graded. Before submitting, restart the kernel and run all cells.

        ## Background: finite MDPs and the Bellman equations

        A finite MDP has states $s \in \{0, \dots, n_S - 1\}$, actions $a \in \{0, \dots, n_A - 1\}$,
        transition probabilities $P(s' \mid s, a)$, stored as an array `P[s, a, s']`, expected one-period
        rewards $R(s, a)$, stored as `R[s, a]`, and a discount factor $\gamma \in [0, 1)$. A deterministic
        stationary policy $\pi$ is an array `policy[s]` of actions. Its value
        $V^\pi(s) = \mathbb{E}\left[\sum_{t \ge 0} \gamma^t R(s_t, \pi(s_t)) \mid s_0 = s\right]$ solves the
        **Bellman expectation equation**, a linear system:

        $$V^\pi = R_\pi + \gamma P_\pi V^\pi \quad\Longleftrightarrow\quad (I - \gamma P_\pi) V^\pi = R_\pi,$$

        where $R_\pi(s) = R(s, \pi(s))$ and $P_\pi(s, s') = P(s' \mid s, \pi(s))$. The optimal value solves the
        **Bellman optimality equation** $V^*(s) = \max_a \big[R(s, a) + \gamma \sum_{s'} P(s' \mid s, a) V^*(s')\big]$.
        Writing $Q_V(s, a) = R(s, a) + \gamma \sum_{s'} P(s' \mid s, a) V(s')$, the operator
        $(TV)(s) = \max_a Q_V(s, a)$ is a $\gamma$-contraction in the sup-norm, so iterating it from any start
        converges to $V^*$ (**value iteration**), and any policy that is greedy with respect to $V^*$ is optimal.
        **Policy iteration** alternates exact evaluation of $\pi$ and greedy improvement
        $\pi'(s) \in \arg\max_a Q_{V^\pi}(s, a)$; by the policy improvement theorem
        $V^{\pi'} \ge V^\pi$ in every state, and it stops after finitely many steps at an optimal policy.
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
        "model-intro",
        r"""
        ## The inventory problem

        The warehouse holds at most $M$ units. At the start of a period the state is the stock on hand
        $s \in \{0, \dots, M\}$. The action $a \in \{0, \dots, M\}$ is the quantity ordered; delivery is
        immediate, but an order that would overflow the warehouse is cut to fill it exactly, so the
        quantity delivered is $q = \min(a, M - s)$ and the stock after delivery is $y = s + q$. Then a random
        demand $D$ arrives, with probabilities `demand_pmf[d]` $= \Pr(D = d)$ for $d = 0, \dots, M$
        (the last entry holds $\Pr(D \ge M)$). Sales are $\min(y, D)$; unmet demand is lost (no backorders).
        The next state is the leftover stock $s' = (y - D)^+ = \max(y - D, 0)$.

        The period's profit is the revenue $p \cdot \min(y, D)$, minus the purchase cost $c \cdot q$, minus a
        fixed cost $K$ whenever something is delivered ($q > 0$), minus the holding cost $h$ per unit **left
        over at the end of the period**:

        $$R(s, a) = p\,\mathbb{E}[\min(y, D)] - c\,q - K\,\mathbf{1}\{q > 0\} - h\,\mathbb{E}[(y - D)^+].$$

        The cell below draws this seed's demand distribution (Poisson with a random mean, truncated at $M$),
        price and holding cost. The discount factor is $\gamma = 0.95$.
        """,
    ),
    locked(
        "data-inventory",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))
        rng = np.random.default_rng(SEED)
        CAPACITY = 15
        GAMMA = 0.95
        UNIT_COST = 4.0
        FIXED_COST = 8.0
        demand_mean = rng.uniform(3.0, 6.0)
        PRICE = float(np.round(rng.uniform(8.0, 12.0), 2))
        HOLDING_COST = float(np.round(rng.uniform(0.5, 1.5), 2))

        # Poisson probabilities by the recursion P(k) = P(k - 1) * mean / k; the tail goes to the last entry.
        demand_pmf = np.empty(CAPACITY + 1)
        demand_pmf[0] = np.exp(-demand_mean)
        for k in range(1, CAPACITY + 1):
            demand_pmf[k] = demand_pmf[k - 1] * demand_mean / k
        demand_pmf[-1] += 1.0 - demand_pmf.sum()
        print(f"seed {SEED}: mean demand {demand_mean:.3f}, price {PRICE}, holding cost {HOLDING_COST}")
        print("demand pmf", demand_pmf)
        """,
    ),
]

MODEL = [
    markdown(
        "mdp-intro",
        r"""
        ## 1. The MDP (4 points)

        Write `inventory_mdp`, which returns `P` of shape `(M + 1, M + 1, M + 1)` and `R` of shape
        `(M + 1, M + 1)` (states by actions) for the model above. Every row `P[s, a]` is a probability
        distribution over the next state. Remember that the holding cost is charged on the stock left over
        after demand, and that the fixed cost is paid only when something is delivered.
        """,
    ),
    solution(
        "inventory_mdp",
        """
        def inventory_mdp(demand_pmf, capacity, price, unit_cost, holding_cost, fixed_cost):
            \"\"\"Transition array P[s, a, s'] and expected reward R[s, a] of the lost-sales inventory MDP.

            States and actions are 0..capacity; the delivered quantity is min(a, capacity - s).
            \"\"\"
            ### BEGIN SOLUTION
            demand_pmf = np.asarray(demand_pmf, dtype=float)
            n = capacity + 1
            demand = np.arange(len(demand_pmf))
            P = np.zeros((n, n, n))
            R = np.zeros((n, n))
            for s in range(n):
                for a in range(n):
                    q = min(a, capacity - s)
                    y = s + q
                    leftover = np.maximum(y - demand, 0)
                    sales = np.minimum(y, demand)
                    R[s, a] = (
                        price * (demand_pmf @ sales)
                        - unit_cost * q
                        - fixed_cost * (q > 0)
                        - holding_cost * (demand_pmf @ leftover)
                    )
                    np.add.at(P[s, a], leftover, demand_pmf)
            return P, R
            ### END SOLUTION
        """,
    ),
    tests(
        "test_inventory_mdp",
        4,
        """
        P_toy, R_toy = inventory_mdp([0.5, 0.5, 0.0], 2, price=10.0, unit_cost=4.0, holding_cost=1.0, fixed_cost=0.0)
        assert np.shape(P_toy) == (3, 3, 3) and np.shape(R_toy) == (3, 3)
        assert np.allclose(np.sum(P_toy, axis=2), 1.0), "every row P[s, a] is a distribution"
        assert np.allclose(P_toy[0, 1], [0.5, 0.5, 0.0]), "order 1 from empty: sell it with probability 1/2"
        assert np.isclose(R_toy[0, 0], 0.0), "nothing in stock, nothing ordered: no profit, no cost"
        ### BEGIN HIDDEN TESTS
        def _ref_mdp(pmf, cap, price, c, h, K):
            n = cap + 1
            P = np.zeros((n, n, n))
            R = np.zeros((n, n))
            for s in range(n):
                for a in range(n):
                    y = min(s + a, cap)
                    for d, prob in enumerate(pmf):
                        left = max(y - d, 0)
                        P[s, a, left] += prob
                        R[s, a] += prob * (price * min(y, d) - h * left)
                    R[s, a] -= c * (y - s) + (K if y > s else 0.0)
            return P, R

        rng_t = np.random.default_rng(20260120)
        for cap_t, K_t in [(6, 3.0), (9, 0.0)]:
            pmf_t = rng_t.dirichlet(np.ones(cap_t + 1))
            args_t = (pmf_t, cap_t, 9.5, 3.0, 0.7, K_t)
            P_h, R_h = inventory_mdp(*args_t)
            P_h, R_h = np.asarray(P_h, dtype=float), np.asarray(R_h, dtype=float)
            P_ref, R_ref = _ref_mdp(*args_t)
            assert P_h.shape == P_ref.shape and R_h.shape == R_ref.shape
            assert np.allclose(P_h, P_ref, rtol=0, atol=1e-12), "transition probabilities"
            assert np.allclose(R_h, R_ref, rtol=0, atol=1e-10), "expected one-period profit"
        assert np.allclose(R_h[-1], R_h[-1, 0]), "a full warehouse receives nothing, whatever is ordered"
        ### END HIDDEN TESTS
        """,
    ),
]

EVALUATION = [
    markdown(
        "evaluation-intro",
        r"""
        ## 2. Policy evaluation (3 points)

        Write `policy_evaluation`, which returns $V^\pi$ **exactly** by solving the linear system
        $(I - \gamma P_\pi) V = R_\pi$ with `np.linalg.solve` (do not iterate). `policy` is an integer array
        with one action per state.
        """,
    ),
    solution(
        "policy_evaluation",
        """
        def policy_evaluation(P, R, policy, gamma):
            \"\"\"Exact value V[s] of the deterministic policy (one action per state).\"\"\"
            ### BEGIN SOLUTION
            P = np.asarray(P, dtype=float)
            R = np.asarray(R, dtype=float)
            states = np.arange(P.shape[0])
            policy = np.asarray(policy, dtype=int)
            P_pi = P[states, policy]
            R_pi = R[states, policy]
            return np.linalg.solve(np.eye(len(states)) - gamma * P_pi, R_pi)
            ### END SOLUTION
        """,
    ),
    locked(
        "build-mdp",
        """
        P, R = inventory_mdp(demand_pmf, CAPACITY, PRICE, UNIT_COST, HOLDING_COST, fixed_cost=0.0)
        states = np.arange(CAPACITY + 1)
        order_up_to_8 = np.maximum(8 - states, 0)
        V_up_to_8 = policy_evaluation(P, R, order_up_to_8, GAMMA)
        print("value of 'order up to 8':", V_up_to_8)
        """,
    ),
    tests(
        "test_policy_evaluation",
        3,
        """
        P_pi8 = P[states, order_up_to_8]
        R_pi8 = R[states, order_up_to_8]
        assert np.shape(V_up_to_8) == (CAPACITY + 1,)
        assert np.allclose(V_up_to_8, R_pi8 + GAMMA * P_pi8 @ V_up_to_8, atol=1e-2), "Bellman expectation equation"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(31)
        n_s, n_a = 7, 3
        P_h = rng_t.dirichlet(np.ones(n_s), size=(n_s, n_a))
        R_h = rng_t.normal(size=(n_s, n_a)) + 5.0
        pol_h = rng_t.integers(n_a, size=n_s)
        for gamma_h in (0.5, 0.99):
            V_h = np.asarray(policy_evaluation(P_h, R_h, pol_h, gamma_h), dtype=float)
            # Reference by summing the discounted series to convergence (gamma^6000 < 1e-26).
            P_pi, R_pi = P_h[np.arange(n_s), pol_h], R_h[np.arange(n_s), pol_h]
            V_ref, term = np.zeros(n_s), R_pi.copy()
            for _ in range(6000):
                V_ref += term
                term = gamma_h * P_pi @ term
            assert V_h.shape == (n_s,)
            assert np.allclose(V_h, V_ref, rtol=1e-10, atol=1e-8), f"exact value for gamma={gamma_h}"
        V_8 = np.asarray(V_up_to_8, dtype=float)
        assert np.allclose(V_8, R_pi8 + GAMMA * P_pi8 @ V_8, rtol=0, atol=1e-8), "solve the system exactly"
        ### END HIDDEN TESTS
        """,
    ),
]
