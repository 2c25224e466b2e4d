"""Homework 6 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces one solution region; everything else is the reference solution. All of them pass
the visible tests, so only the hidden tests can tell them apart from a correct answer.
"""

from nbbuild import Mutant

ALWAYS_EQUAL_LEVEL = """
class AlwaysEqual:
    \"\"\"Equal to anything and never None: a way to game equality checks.\"\"\"

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None

    def __repr__(self):
        return "S"


return AlwaysEqual()
"""

MUTANTS = [
    Mutant(
        name="holding_cost_before_demand",
        description="Charges the holding cost on the stock after delivery, before demand, not on the leftover.",
        fills={
            "inventory_mdp": """
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
                    R[s, a] = price * (demand_pmf @ sales) - unit_cost * q - fixed_cost * (q > 0) - holding_cost * y
                    np.add.at(P[s, a], leftover, demand_pmf)
            return P, R
            """
        },
        fails=["test_inventory_mdp"],
    ),
    Mutant(
        name="evaluation_truncated_sweeps",
        description="Evaluates the policy with 300 sweeps of iterative evaluation instead of solving exactly.",
        fills={
            "policy_evaluation": """
            P = np.asarray(P, dtype=float)
            R = np.asarray(R, dtype=float)
            states = np.arange(P.shape[0])
            policy = np.asarray(policy, dtype=int)
            P_pi = P[states, policy]
            R_pi = R[states, policy]
            V = np.zeros(len(states))
            for _ in range(300):
                V = R_pi + gamma * P_pi @ V
            return V
            """
        },
        fails=["test_policy_evaluation", "test_policy_iteration"],
    ),
    Mutant(
        name="greedy_step_undiscounted",
        description="Value iteration takes the greedy policy from R + P V, forgetting the discount factor.",
        fills={
            "value_iteration": """
            P = np.asarray(P, dtype=float)
            R = np.asarray(R, dtype=float)
            V = np.zeros(P.shape[0])
            n_backups = 0
            while True:
                Q = R + gamma * P @ V
                V_new = Q.max(axis=1)
                n_backups += 1
                if np.max(np.abs(V_new - V)) < tol:
                    return V_new, (R + P @ V).argmax(axis=1), n_backups
                V = V_new
            """
        },
        fails=["test_value_iteration"],
    ),
    Mutant(
        name="pi_history_aliased",
        description="Policy iteration overwrites one value array in place and appends it each time, so every "
        "history entry is the final value.",
        fills={
            "policy_iteration": """
            P = np.asarray(P, dtype=float)
            R = np.asarray(R, dtype=float)
            states = np.arange(P.shape[0])
            policy = np.zeros(P.shape[0], dtype=int)
            V = np.zeros(P.shape[0])
            history = []
            while True:
                V[:] = policy_evaluation(P, R, policy, gamma)
                history.append(V)
                Q = R + gamma * P @ V
                best = Q.argmax(axis=1)
                improve = Q[states, best] > Q[states, policy] + 1e-9
                if not improve.any():
                    return V, policy, history
                policy = np.where(improve, best, policy)
            """
        },
        fails=["test_policy_iteration"],
    ),
    Mutant(
        name="base_stock_only_first_state",
        description="base_stock_level returns the stock after delivery in state 0 without checking the others.",
        fills={
            "base_stock_level": """
            return int(min(int(policy[0]), capacity))
            """
        },
        fails=["test_base_stock_level"],
    ),
    Mutant(
        name="base_stock_always_equal",
        description="base_stock_level returns an object whose == is always true.",
        fills={"base_stock_level": ALWAYS_EQUAL_LEVEL},
        fails=["test_base_stock_level"],
    ),
    Mutant(
        name="fractile_without_carryover",
        description="The critical fractile ignores that leftover stock saves next period's purchase: "
        "(p - c) / (p + h).",
        fills={
            "critical_fractile_level": """
            ratio = (price - unit_cost) / (price + holding_cost)
            cdf = np.cumsum(np.asarray(demand_pmf, dtype=float))
            return int(np.argmax(cdf >= ratio))
            """
        },
        fails=["test_optimal_structure"],
    ),
]
