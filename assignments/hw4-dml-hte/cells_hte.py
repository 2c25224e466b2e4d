"""The cells of homework 4, part 2: S-, T- and X-learners, a causal forest and the value of a targeting policy.

Meta-learner hidden tests compare with references recomputed in the test (deterministic learners, 1e-8);
the causal-forest test is statistical and states its margin.
"""

from __future__ import annotations

from _nbbuild import Locked, Markdown, Solution, Tests

CATE_DATA = Locked(
    "cate_data",
    """
    # Heterogeneous effects: tau(x) = 1 + x_1, treatment more likely when x_2 is large.
    def simulate_cate(r, n):
        x = r.uniform(-1.0, 1.0, size=(n, 4))
        e = 0.2 + 0.6 / (1.0 + np.exp(-2.0 * x[:, 1]))
        d = (r.random(n) < e).astype(int)
        tau = 1.0 + x[:, 0]
        mu0 = x[:, 1] + 0.5 * x[:, 2]
        y = mu0 + d * tau + r.normal(size=n)
        return x, d, y, e, tau, mu0


    x_cate, d_cate, y_cate, e_cate, tau_cate, mu0_cate = simulate_cate(rng, 2000)
    x_new = rng.uniform(-1.0, 1.0, size=(500, 4))
    tau_new, e_new = 1.0 + x_new[:, 0], 0.2 + 0.6 / (1.0 + np.exp(-2.0 * x_new[:, 1]))
    print("data fingerprint:", fingerprint(x_cate, d_cate, y_cate, x_new))
    """,
)

META_TEXT = Markdown(
    "meta_text",
    r"""
    ## 3. Meta-learners (6 points)

    Each function fits clones of `learner` on `(x, y, d)` and returns the CATE estimates at the rows of
    `x_new` as an `(m,)` array.

    * **S-learner**: one model $\hat\mu(x,d)$ of $Y$ on the columns of $x$ plus $d$ as the **last** column;
      $\hat\tau(x)=\hat\mu(x,1)-\hat\mu(x,0)$.
    * **T-learner**: $\hat\mu_1$ on the treated, $\hat\mu_0$ on the controls; $\hat\tau=\hat\mu_1-\hat\mu_0$.
    * **X-learner** (Künzel et al., 2019): with the T-learner's $\hat\mu_0,\hat\mu_1$, impute
      $\tilde D^{(1)}_i=Y_i-\hat\mu_0(X_i)$ for the treated and $\tilde D^{(0)}_i=\hat\mu_1(X_i)-Y_i$ for the
      controls; regress them on $X$ within their own arm to get $\hat\tau_1$ and $\hat\tau_0$; combine with
      the propensity $e(x)$ as $\hat\tau(x)=e(x)\,\hat\tau_0(x)+(1-e(x))\,\hat\tau_1(x)$. (The arm with
      fewer units gets the smaller weight on the estimate that relies on its outcome model.) `e_new` holds
      $e(x)$ at the rows of `x_new`.
    """,
)

S_SOLUTION = Solution(
    "s_learner",
    '''
    def s_learner(x, y, d, learner, x_new):
        """S-learner CATE estimates at x_new."""
    ''',
    """
    x, x_new = np.asarray(x, dtype=float), np.asarray(x_new, dtype=float)
    model = clone(learner).fit(np.column_stack([x, d]), np.asarray(y, dtype=float))
    ones, zeros = np.ones(len(x_new)), np.zeros(len(x_new))
    return model.predict(np.column_stack([x_new, ones])) - model.predict(np.column_stack([x_new, zeros]))
    """,
)

T_SOLUTION = Solution(
    "t_learner",
    '''
    def t_learner(x, y, d, learner, x_new):
        """T-learner CATE estimates at x_new."""
    ''',
    """
    x, y, d = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(d).astype(bool)
    mu1 = clone(learner).fit(x[d], y[d])
    mu0 = clone(learner).fit(x[~d], y[~d])
    return mu1.predict(np.asarray(x_new, dtype=float)) - mu0.predict(np.asarray(x_new, dtype=float))
    """,
)

X_SOLUTION = Solution(
    "x_learner",
    '''
    def x_learner(x, y, d, learner, x_new, e_new):
        """X-learner CATE estimates at x_new, combining the two arms with propensity weights e_new."""
    ''',
    """
    x, y, d = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(d).astype(bool)
    x_new, e_new = np.asarray(x_new, dtype=float), np.asarray(e_new, dtype=float)
    mu1 = clone(learner).fit(x[d], y[d])
    mu0 = clone(learner).fit(x[~d], y[~d])
    tau1 = clone(learner).fit(x[d], y[d] - mu0.predict(x[d]))
    tau0 = clone(learner).fit(x[~d], mu1.predict(x[~d]) - y[~d])
    return e_new * tau0.predict(x_new) + (1 - e_new) * tau1.predict(x_new)
    """,
)

META_VISIBLE_DATA = Locked(
    "meta_toy",
    """
    # Noise-free linear outcomes: every learner with LinearRegression recovers tau exactly.
    _r = np.random.default_rng(7)
    x_toy = _r.normal(size=(60, 2))
    d_toy = np.tile([0, 1], 30)
    y_toy = x_toy @ [1.0, -2.0] + d_toy * 1.5
    y_het = y_toy + d_toy * (x_toy @ [0.5, 1.0])
    x_toy_new = _r.normal(size=(8, 2))
    """,
)

S_TESTS = Tests(
    "s_learner_test",
    2,
    """
    s_hat = np.asarray(s_learner(x_toy, y_toy, d_toy, LinearRegression(), x_toy_new), dtype=float)
    assert s_hat.shape == (8,) and np.allclose(s_hat, 1.5)
    """,
    """
    _r = np.random.default_rng(700 + SEED)
    _x, _d, _y = _r.uniform(-1, 1, (300, 3)), (_r.random(300) < 0.5).astype(int), _r.normal(size=300)
    _y = _y + _d * (1 + _x[:, 0]) + _x[:, 1] ** 2
    _xn = _r.uniform(-1, 1, (50, 3))
    _m = make_pipeline(PolynomialFeatures(2), LinearRegression()).fit(np.column_stack([_x, _d]), _y)
    _ref = _m.predict(np.column_stack([_xn, np.ones(50)])) - _m.predict(np.column_stack([_xn, np.zeros(50)]))
    _got = s_learner(_x, _y, _d, make_pipeline(PolynomialFeatures(2), LinearRegression()), _xn)
    assert np.allclose(np.asarray(_got, dtype=float), _ref, atol=1e-8)
    """,
)

T_TESTS = Tests(
    "t_learner_test",
    2,
    """
    t_hat = np.asarray(t_learner(x_toy, y_het, d_toy, LinearRegression(), x_toy_new), dtype=float)
    assert np.allclose(t_hat, 1.5 + x_toy_new @ [0.5, 1.0])
    """,
    """
    _r = np.random.default_rng(800 + SEED)
    _x, _d, _y = _r.uniform(-1, 1, (300, 3)), (_r.random(300) < 0.4).astype(int), _r.normal(size=300)
    _y = _y + _d * (1 + _x[:, 0]) + _x[:, 1] ** 2
    _xn = _r.uniform(-1, 1, (50, 3))
    _mk = lambda: make_pipeline(PolynomialFeatures(2), LinearRegression())  # noqa: E731
    _ref = _mk().fit(_x[_d == 1], _y[_d == 1]).predict(_xn) - _mk().fit(_x[_d == 0], _y[_d == 0]).predict(_xn)
    assert np.allclose(np.asarray(t_learner(_x, _y, _d, _mk(), _xn), dtype=float), _ref, atol=1e-8)
    """,
)

X_TESTS = Tests(
    "x_learner_test",
    2,
    """
    x_hat = np.asarray(
        x_learner(x_toy, y_het, d_toy, LinearRegression(), x_toy_new, np.linspace(0.2, 0.8, 8)), dtype=float
    )
    assert np.allclose(x_hat, 1.5 + x_toy_new @ [0.5, 1.0])
    """,
    """
    _r = np.random.default_rng(900 + SEED)
    _x = _r.uniform(-1, 1, (400, 3))
    _e = 0.2 + 0.6 / (1 + np.exp(-2 * _x[:, 1]))
    _d = (_r.random(400) < _e).astype(int)
    _y = _r.normal(size=400) + _d * (1 + _x[:, 0] ** 2) + np.sin(2 * _x[:, 1])
    _xn = _r.uniform(-1, 1, (60, 3))
    _en = 0.2 + 0.6 / (1 + np.exp(-2 * _xn[:, 1]))
    # Nearest neighbours, not a linear smoother: with least squares on one feature set both imputed-effect
    # regressions reduce to the T-learner and the propensity weights would not matter.
    from sklearn.neighbors import KNeighborsRegressor

    _mk = lambda: KNeighborsRegressor(n_neighbors=15)  # noqa: E731
    _t, _c = _d == 1, _d == 0
    _m1, _m0 = _mk().fit(_x[_t], _y[_t]), _mk().fit(_x[_c], _y[_c])
    _tau1 = _mk().fit(_x[_t], _y[_t] - _m0.predict(_x[_t])).predict(_xn)
    _tau0 = _mk().fit(_x[_c], _m1.predict(_x[_c]) - _y[_c]).predict(_xn)
    _ref = _en * _tau0 + (1 - _en) * _tau1
    assert np.allclose(np.asarray(x_learner(_x, _y, _d, _mk(), _xn, _en), dtype=float), _ref, atol=1e-8)
    """,
)

FOREST_TEXT = Markdown(
    "forest_text",
    r"""
    ## 4. Causal forest (2 points)

    Write `causal_forest_cate(x, y, d, x_new, seed)`: fit `econml.grf.CausalForest(n_estimators=100,
    min_samples_leaf=5, n_jobs=1, random_state=seed)` to the data (mind the order of the arguments of its
    `fit`) and return its CATE predictions at `x_new` as an `(m,)` array. (`n_jobs=1`: the grader runs your
    notebook on one CPU without the shared memory that parallel jobs need.) A hidden test checks on a fresh randomized
    experiment that the forest's CATE error is well below that of a constant prediction.
    """,
)

FOREST_SOLUTION = Solution(
    "causal_forest_cate",
    '''
    def causal_forest_cate(x, y, d, x_new, seed):
        """Causal forest CATE predictions at x_new."""
    ''',
    """
    forest = CausalForest(n_estimators=100, min_samples_leaf=5, n_jobs=1, random_state=seed)
    forest.fit(np.asarray(x, dtype=float), np.asarray(d, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(forest.predict(np.asarray(x_new, dtype=float)), dtype=float).ravel()
    """,
)

FOREST_TESTS = Tests(
    "causal_forest",
    2,
    """
    forest_hat = np.asarray(causal_forest_cate(x_cate, y_cate, d_cate, x_new, SEED), dtype=float)
    assert forest_hat.shape == (len(x_new),) and np.all(np.isfinite(forest_hat))
    """,
    """
    # One randomized experiment (n = 2000, tau(x) = 1 + x_1, unit noise). Over 16 calibration seeds the
    # correct forest's CATE-MSE was 0.09-0.20 of Var(tau) (mean 0.14, sd 0.03); the bound 0.5 is > 10 sd
    # away (false-failure probability far below 1e-4), while fitting with T and y swapped gives ~3.
    _r = np.random.default_rng(1000 + SEED)
    _x = _r.uniform(-1, 1, (2000, 4))
    _d = (_r.random(2000) < 0.5).astype(int)
    _y = _x[:, 1] + _d * (1 + _x[:, 0]) + _r.normal(size=2000)
    _xn = _r.uniform(-1, 1, (500, 4))
    _tau = 1 + _xn[:, 0]
    _pred = np.asarray(causal_forest_cate(_x, _y, _d, _xn, SEED), dtype=float).ravel()
    assert _pred.shape == (500,)
    assert np.mean((_pred - _tau) ** 2) < 0.5 * np.var(_tau), np.mean((_pred - _tau) ** 2) / np.var(_tau)
    """,
)

CATE_DEMO = Locked(
    "cate_demo",
    """
    def cate_mse(tau_hat, tau_true):
        return float(np.mean((np.asarray(tau_hat, dtype=float) - tau_true) ** 2))


    print("CATE MSE at x_new (Var tau = %.3f)" % np.var(tau_new))
    print("  S-learner, linear :", cate_mse(s_learner(x_cate, y_cate, d_cate, LinearRegression(), x_new), tau_new))
    print("  T-learner, linear :", cate_mse(t_learner(x_cate, y_cate, d_cate, LinearRegression(), x_new), tau_new))
    print("  X-learner, linear :",
          cate_mse(x_learner(x_cate, y_cate, d_cate, LinearRegression(), x_new, e_new), tau_new))
    print("  causal forest     :", cate_mse(forest_hat, tau_new))
    """,
)

HTE_CELLS = [
    CATE_DATA,
    META_TEXT,
    S_SOLUTION,
    T_SOLUTION,
    X_SOLUTION,
    META_VISIBLE_DATA,
    S_TESTS,
    T_TESTS,
    X_TESTS,
    FOREST_TEXT,
    FOREST_SOLUTION,
    FOREST_TESTS,
    CATE_DEMO,
]
