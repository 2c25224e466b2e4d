"""Homework 10 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces one solution region; everything else is the reference solution. All of them pass
the visible tests, so only the hidden tests can tell them apart from a correct answer.
"""

from nbbuild import Mutant

ALWAYS_EQUAL_IPS = """
class AlwaysEqual:
    \"\"\"Equal to, less than and greater than anything, and absorbs arithmetic: a way to game checks.\"\"\"

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__
    __hash__ = None

    def __sub__(self, other):
        return self

    __rsub__ = __add__ = __radd__ = __truediv__ = __mul__ = __rmul__ = __sub__

    def __abs__(self):
        return self

    def __repr__(self):
        return "18.7"


return AlwaysEqual()
"""

MUTANTS = [
    Mutant(
        name="epsilon_explores_other_arms",
        description="Epsilon-greedy explores only among the non-greedy arms, so the greedy arm gets 1 - epsilon.",
        fills={
            "epsilon_greedy": """
            untried = np.flatnonzero(counts == 0)
            if untried.size:
                return int(untried[0])
            greedy = int(np.argmax(sums / counts))
            if rng.random() < epsilon:
                others = [a for a in range(len(counts)) if a != greedy]
                return int(others[rng.integers(len(others))])
            return greedy
            """
        },
        fails=["test_epsilon_greedy"],
    ),
    Mutant(
        name="ucb_log_of_own_count",
        description="UCB1's bonus uses the log of the arm's own count, sqrt(2 ln n_a / n_a), not ln t.",
        fills={
            "ucb1_indices": """
            indices = np.full(len(counts), np.inf)
            tried = counts > 0
            indices[tried] = sums[tried] / counts[tried] + np.sqrt(2.0 * np.log(counts[tried] + 1.0) / counts[tried])
            return indices
            """
        },
        fails=["test_ucb1"],
    ),
    Mutant(
        name="thompson_posterior_mean",
        description="'Thompson sampling' that plays the largest posterior mean instead of a posterior draw.",
        fills={
            "thompson": """
            return int(np.argmax((1.0 + sums) / (2.0 + counts)))
            """
        },
        fails=["test_thompson"],
    ),
    Mutant(
        name="regret_best_played_arm",
        description="Measures regret against the best arm among those played, not the best arm overall.",
        fills={
            "pseudo_regret": """
            probs = np.asarray(probs, dtype=float)
            arms = np.asarray(arms, dtype=int)
            return np.cumsum(probs[arms].max() - probs[arms])
            """
        },
        fails=["test_regret"],
    ),
    Mutant(
        name="fit_q_no_intercept",
        description="Fits each action's reward model without an intercept column (and pads a zero intercept).",
        fills={
            "fit_q_model": """
            return np.vstack(
                [np.r_[0.0, np.linalg.lstsq(X[actions == a], rewards[actions == a], rcond=None)[0]] for a in range(n_actions)]
            )
            """
        },
        fails=["test_fit_q"],
    ),
    Mutant(
        name="ips_always_equal",
        description="ips_estimate returns an object whose == (and <, -) is always satisfied.",
        fills={"ips_estimate": ALWAYS_EQUAL_IPS},
        fails=["test_ips", "test_ope_simulation"],
    ),
    Mutant(
        name="snips_divides_by_n",
        description="SNIPS divides the weighted rewards by n instead of by the sum of the weights (that is IPS).",
        fills={
            "snips_estimate": """
            weights = target_probs[np.arange(len(actions)), actions] / propensities
            return float(np.sum(weights * rewards) / len(weights))
            """
        },
        fails=["test_snips", "test_ope_simulation"],
    ),
    Mutant(
        name="dr_unweighted_residual",
        description="DR adds the residual of the logged action without its importance weight.",
        fills={
            "dr_estimate": """
            rows = np.arange(len(actions))
            return float(np.mean(np.sum(target_probs * q_hat, axis=1) + (rewards - q_hat[rows, actions])))
            """
        },
        fails=["test_dr", "test_ope_simulation"],
    ),
]
