"""The cells of homework 4, part 1: cross-fitting and double machine learning in the partially linear model.

Reference values in hidden tests are computed in the test itself with injected folds and learners, so a
correct answer matches to 1e-8; the one statistical test states its repetitions and false-failure odds.
"""

from __future__ import annotations

from _nbbuild import Locked, Markdown, Solution, Tests

INTRO = Markdown(
    "intro",
    r"""
    # Homework 4: Double machine learning and heterogeneous treatment effects

    Part 1 builds the partially linear model estimator with cross-fitting and checks it against a known effect
    and against EconML. Part 2 estimates conditional average treatment effects (CATE) with S-, T- and
    X-learners and a causal forest, and evaluates a targeting policy with a doubly robust estimate.

    * Fill in every `YOUR CODE HERE` cell; keep names and signatures. Return plain floats or numpy arrays.
    * `learner` arguments are scikit-learn regressors: never fit the object you are given, fit
      `sklearn.base.clone(learner)` instead.
    * Visible tests help; hidden tests decide. The notebook is re-run with other seeds when graded.
    """,
)

SETUP = Locked(
    "setup",
    """
    import hashlib
    import os

    import numpy as np
    from econml.dml import LinearDML
    from econml.grf import CausalForest
    from sklearn.base import BaseEstimator, RegressorMixin, clone
    from sklearn.dummy import DummyRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures
    from threadpoolctl import threadpool_limits

    # One BLAS thread: faster for these small problems, and fair on a shared grading machine.
    threadpool_limits(limits=1)


    def fingerprint(*arrays):
        \"\"\"A short hash of the generated data (differs between seeds).\"\"\"
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(np.asarray(a, dtype=float).round(10)).tobytes())
        return h.hexdigest()[:16]


    def poly_learner():
        \"\"\"Cubic polynomial series regression: flexible enough for the nuisances below.\"\"\"
        return make_pipeline(PolynomialFeatures(degree=3), LinearRegression())
    """,
)

PLR_DATA = Locked(
    "plr_data",
    """
    # Partially linear model: Y = theta D + g(X) + U,  D = m(X) + V,  theta = 0.5.
    SEED = int(os.environ.get("GRADER_SEED", "0"))
    rng = np.random.default_rng(SEED)
    THETA = 0.5


    def simulate_plr(r, n):
        x = r.uniform(-1.0, 1.0, size=(n, 3))
        m = x[:, 0] + 0.5 * x[:, 1] ** 2 - x[:, 0] * x[:, 2]
        g = 1.0 + x[:, 0] ** 2 + x[:, 1] * x[:, 2] + 0.5 * x[:, 2] ** 3
        d = m + r.normal(size=n)
        y = THETA * d + g + r.normal(size=n)
        return x, d, y


    x_plr, d_plr, y_plr = simulate_plr(rng, 1000)
    folds_plr = rng.permutation(np.arange(1000) % 5)
    print("data fingerprint:", fingerprint(x_plr, d_plr, y_plr, folds_plr))
    """,
)

CROSSFIT_TEXT = Markdown(
    "crossfit_text",
    r"""
    ## 1. Cross-fitting (2 points)

    `folds` is an integer array giving each row's fold. Write `cross_fit_predictions(learner, x, y, folds)`:
    for every fold $k$, fit a fresh clone of `learner` on the rows **not** in fold $k$ and predict the rows in
    fold $k$. Return the `(n,)` array of out-of-fold predictions.
    """,
)

CROSSFIT_SOLUTION = Solution(
    "cross_fit_predictions",
    '''
    def cross_fit_predictions(learner, x, y, folds):
        """Out-of-fold predictions of y from x, one clone of learner per fold."""
    ''',
    """
    x, y, folds = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(folds)
    out = np.empty(len(y))
    for k in np.unique(folds):
        test = folds == k
        model = clone(learner).fit(x[~test], y[~test])
        out[test] = model.predict(x[test])
    return out
    """,
)

SPY = Locked(
    "spy_learner",
    """
    class MeanSpy(BaseEstimator, RegressorMixin):
        \"\"\"Predicts the training mean; column 0 of x is a row id, and predicting a training row fails.\"\"\"

        def fit(self, x, y):
            self.ids_ = set(np.asarray(x)[:, 0].astype(int).tolist())
            self.mean_ = float(np.mean(y))
            return self

        def predict(self, x):
            ids = np.asarray(x)[:, 0].astype(int).tolist()
            if self.ids_.intersection(ids):
                raise AssertionError("a row was predicted by a learner that was fitted on it")
            return np.full(len(ids), self.mean_)
    """,
)

CROSSFIT_TESTS = Tests(
    "crossfit",
    2,
    """
    oof = np.asarray(cross_fit_predictions(DummyRegressor(), x_plr, y_plr, folds_plr), dtype=float)
    assert oof.shape == (len(y_plr),)
    for k in range(5):
        assert np.allclose(oof[folds_plr == k], y_plr[folds_plr != k].mean())
    """,
    """
    _r = np.random.default_rng(100 + SEED)
    _n = 240
    _x = np.column_stack([np.arange(_n), _r.normal(size=(_n, 2))])
    _y = _r.normal(size=_n)
    _folds = _r.permutation(np.arange(_n) % 4)
    _p = np.asarray(cross_fit_predictions(MeanSpy(), _x, _y, _folds), dtype=float)
    for _k in range(4):
        assert np.allclose(_p[_folds == _k], _y[_folds != _k].mean(), atol=1e-12)
    _lin = np.asarray(cross_fit_predictions(LinearRegression(), _x[:, 1:], _y, _folds), dtype=float)
    for _k in range(4):
        _fit = LinearRegression().fit(_x[_folds != _k, 1:], _y[_folds != _k])
        assert np.allclose(_lin[_folds == _k], _fit.predict(_x[_folds == _k, 1:]), atol=1e-10)
    """,
)

DML_TEXT = Markdown(
    "dml_text",
    r"""
    ## 2. DML for the partially linear model (8 points)

    Partialling out with cross-fitting: with out-of-fold predictions $\hat\ell(X_i)$ of $Y$ (note: the
    regression of $Y$ on $X$, i.e. $\ell_0(X)=\theta_0m_0(X)+g_0(X)$, not $g_0$) and $\hat m(X_i)$ of $D$, let
    $\tilde U_i=Y_i-\hat\ell(X_i)$ and $\tilde V_i=D_i-\hat m(X_i)$. Pool all folds:

    $$\hat\theta=\frac{\sum_i\tilde V_i\tilde U_i}{\sum_i\tilde V_i^2},\qquad
    \hat\psi_i=\tilde V_i(\tilde U_i-\hat\theta\tilde V_i),\qquad
    \widehat{se}=\sqrt{\frac1n\cdot\frac{\frac1n\sum_i\hat\psi_i^2}{\big(\frac1n\sum_i\tilde V_i^2\big)^2}}.$$

    (The denominator is the squared Jacobian of the score; leaving it out is an error in the notes.)

    * `dml_plr(y, d, x, learner_y, learner_d, folds)` returns `(theta_hat, se)`.
    * `naive_plr(y, d, x, learner_y)` is the non-orthogonal plug-in: fit `learner_y` of $Y$ on $X$ on the
      **whole** sample and regress $Y-\hat\ell(X)$ on $D$ without intercept:
      $\hat\theta_{naive}=\sum_iD_i(Y_i-\hat\ell(X_i))/\sum_iD_i^2$.
    * `dml_econml(y, d, x, folds)` fits and returns an `econml.dml.LinearDML` with `poly_learner()` for both
      nuisances, the same folds (pass them as the `cv` argument, a list of `(train_index, test_index)` pairs
      in fold order), `X=None` and the covariates as controls `W`.
    """,
)

DML_SOLUTION = Solution(
    "dml_plr",
    '''
    def dml_plr(y, d, x, learner_y, learner_d, folds):
        """Cross-fitted partialling-out estimate of theta and its standard error."""
    ''',
    """
    y, d = np.asarray(y, dtype=float), np.asarray(d, dtype=float)
    u = y - cross_fit_predictions(learner_y, x, y, folds)
    v = d - cross_fit_predictions(learner_d, x, d, folds)
    theta = np.sum(v * u) / np.sum(v * v)
    psi = v * (u - theta * v)
    se = np.sqrt(np.mean(psi**2) / np.mean(v * v) ** 2 / len(y))
    return float(theta), float(se)
    """,
)

NAIVE_SOLUTION = Solution(
    "naive_plr",
    '''
    def naive_plr(y, d, x, learner_y):
        """Non-orthogonal plug-in estimate of theta (no cross-fitting, D not residualized)."""
    ''',
    """
    y, d = np.asarray(y, dtype=float), np.asarray(d, dtype=float)
    ell = clone(learner_y).fit(np.asarray(x, dtype=float), y).predict(np.asarray(x, dtype=float))
    return float(np.sum(d * (y - ell)) / np.sum(d * d))
    """,
)

ECONML_SOLUTION = Solution(
    "dml_econml",
    '''
    def dml_econml(y, d, x, folds):
        """EconML's LinearDML on the same folds and learners, fitted and returned."""
    ''',
    """
    folds = np.asarray(folds)
    cv = [(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in np.unique(folds)]
    est = LinearDML(model_y=poly_learner(), model_t=poly_learner(), cv=cv, random_state=0)
    est.fit(np.asarray(y, dtype=float), np.asarray(d, dtype=float), X=None, W=np.asarray(x, dtype=float))
    return est
    """,
)

from cells_hte import HTE_CELLS  # noqa: E402
from cells_policy import POLICY_CELLS  # noqa: E402
from tests_dml import DML_TESTS  # noqa: E402

CELLS = [
    INTRO,
    SETUP,
    PLR_DATA,
    CROSSFIT_TEXT,
    CROSSFIT_SOLUTION,
    SPY,
    CROSSFIT_TESTS,
    DML_TEXT,
    DML_SOLUTION,
    NAIVE_SOLUTION,
    ECONML_SOLUTION,
    *DML_TESTS,
    *HTE_CELLS,
    *POLICY_CELLS,
]
