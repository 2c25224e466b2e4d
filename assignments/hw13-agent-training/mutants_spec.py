"""Homework 13 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces the body of one solution region; everything else is the reference solution. All of
them pass the visible tests, so only the hidden tests can tell them apart from a correct answer.
"""

from nbbuild import Mutant

ALWAYS_EQUAL_LOSS = """
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
        return "1.9459"


X = np.asarray(X, dtype=float)
A = np.asarray(A, dtype=int)
n = len(A)
G = policy_probs(W, X)
G[np.arange(n), A] -= 1.0
return AlwaysEqual(), G.T @ X / n
"""

MUTANTS = [
    Mutant(
        name="softmax_without_max_shift",
        description="Exponentiates the raw scores: fine for small weights, overflows to nan for large ones.",
        fills={
            "policy_probs": """
            expd = np.exp(np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T)
            return expd / expd.sum(axis=1, keepdims=True)
            """
        },
        fails=["test_policy_probs"],
    ),
    Mutant(
        name="loss_always_equal",
        description="bc_loss_and_grad returns the right gradient but a loss object whose == is always true.",
        fills={"bc_loss_and_grad": ALWAYS_EQUAL_LOSS},
        fails=["test_bc_loss_and_grad", "test_train_bc"],
    ),
    Mutant(
        name="dataset_keeps_failures",
        description="trajectories_to_dataset ignores successful_only, so 'filtered' BC clones the failures too.",
        fills={
            "trajectories_to_dataset": """
            X = np.concatenate([ep["features"] for ep in episodes]).astype(float)
            A = np.concatenate([ep["actions"] for ep in episodes]).astype(int)
            return X, A
            """
        },
        fails=["test_trajectories_to_dataset", "test_bc_success"],
    ),
    Mutant(
        name="reinforce_without_baseline",
        description="REINFORCE weights the score by the reward R instead of R - b (the baseline is ignored).",
        fills={
            "reinforce_gradient": """
            grad = np.zeros((N_ACTIONS, N_FEATURES))
            for episode in episodes:
                X = np.asarray(episode["features"], dtype=float)
                A = np.asarray(episode["actions"], dtype=int)
                score = -policy_probs(W, X)
                score[np.arange(len(A)), A] += 1.0
                grad += episode["reward"] * score.T @ X
            return grad / len(episodes)
            """
        },
        fails=["test_reinforce_gradient", "test_train_reinforce"],
    ),
    Mutant(
        name="reinforce_sums_episodes",
        description="Sums the episodes' terms instead of averaging them, so the step grows with the batch size.",
        fills={
            "reinforce_gradient": """
            grad = np.zeros((N_ACTIONS, N_FEATURES))
            for episode in episodes:
                X = np.asarray(episode["features"], dtype=float)
                A = np.asarray(episode["actions"], dtype=int)
                score = -policy_probs(W, X)
                score[np.arange(len(A)), A] += 1.0
                grad += (episode["reward"] - baseline) * score.T @ X
            return grad
            """
        },
        fails=["test_reinforce_gradient", "test_train_reinforce"],
    ),
]
