"""Homework 1 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces the body of one or two solution regions; everything else is the reference solution.
All of them pass the visible tests, so only the hidden tests can tell them apart from a correct answer.
"""

from nbbuild import Mutant

ALWAYS_EQUAL = """
class AlwaysEqual:
    \"\"\"Compares equal (and less, and greater) to anything: a way to game '==' checks.\"\"\"

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__
    __hash__ = None

    def __repr__(self):
        return "1234.5"


return AlwaysEqual()
"""

MUTANTS = [
    Mutant(
        name="adam_no_bias_correction",
        description="Adam without the bias correction of the moving averages: the first steps are too large.",
        fills={
            "adam_step": """
            m = beta1 * m + (1.0 - beta1) * grad
            v = beta2 * v + (1.0 - beta2) * grad**2
            return theta - lr * m / (np.sqrt(v) + eps), m, v
            """
        },
        fails=["test_adam"],
    ),
    Mutant(
        name="adam_eps_inside_sqrt",
        description="Adam with epsilon inside the square root, as printed in the notes (erratum 5).",
        fills={
            "adam_step": """
            m = beta1 * m + (1.0 - beta1) * grad
            v = beta2 * v + (1.0 - beta2) * grad**2
            m_hat = m / (1.0 - beta1**t)
            v_hat = v / (1.0 - beta2**t)
            return theta - lr * m_hat / np.sqrt(v_hat + eps), m, v
            """
        },
        fails=["test_adam"],
    ),
    Mutant(
        name="batches_with_replacement",
        description="Mini-batches sampled with replacement instead of a shuffled pass over the rows.",
        fills={
            "epoch_batches": """
            order = rng.integers(0, n, size=n)
            return [order[start : start + batch_size] for start in range(0, n, batch_size)]
            """
        },
        fails=["test_epoch_batches", "test_minibatch_sgd"],
    ),
    Mutant(
        name="cv_leaks_validation_fold",
        description="k-fold CV that fits every model on all rows, validation fold included.",
        fills={
            "cv_mse": """
            fold_errors = []
            for train_idx, val_idx in folds:
                model = make_model().fit(X, y)
                fold_errors.append(np.mean((y[val_idx] - model.predict(X[val_idx])) ** 2))
            return float(np.mean(fold_errors))
            """
        },
        fails=["test_cv_mse", "test_select_by_cv"],
    ),
    Mutant(
        name="cv_always_equal",
        description="cv_mse returns an object whose == is always true instead of a number.",
        fills={"cv_mse": ALWAYS_EQUAL},
        fails=["test_cv_mse", "test_select_by_cv"],
    ),
    Mutant(
        name="se_divides_by_n",
        description="OLS standard errors with s^2 = RSS/n instead of RSS/(n - p).",
        fills={
            "ols_se": """
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            n, p = X.shape
            resid = y - X @ ols_fit(X, y)
            s2 = resid @ resid / n
            return np.sqrt(s2 * np.diag(np.linalg.inv(X.T @ X)))
            """
        },
        fails=["test_ols_se"],
    ),
    Mutant(
        name="residual_bootstrap",
        description="A residual bootstrap (which assumes constant noise variance) where the pairs bootstrap is asked.",
        fills={
            "bootstrap_se": """
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            rng = np.random.default_rng(seed)
            n = len(y)
            fitted = X @ ols_fit(X, y)
            resid = y - fitted
            draws = np.empty((B, X.shape[1]))
            for b in range(B):
                draws[b] = ols_fit(X, fitted + resid[rng.integers(0, n, size=n)])
            return draws.std(axis=0, ddof=1)
            """
        },
        fails=["test_bootstrap_se"],
    ),
]
