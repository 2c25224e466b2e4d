"""The observational-study half of homework 3: propensity scores, IPW, normalized IPW and AIPW.

The statistical hidden test of double robustness simulates its own studies from a generator seeded by
``GRADER_SEED`` and states its repetitions, tolerance and false-failure probability in a comment.
"""

from __future__ import annotations

from _nbbuild import Locked, Markdown, Solution, Tests, Written

OBS_DATA = Locked(
    "obs_data",
    """
    # An observational study: treatment take-up depends on the covariates, which also drive the outcome.
    # The true average treatment effect is 1.0.
    def simulate_study(r, n):
        x = r.normal(size=(n, 3))
        e = 1.0 / (1.0 + np.exp(-(0.2 + 0.8 * x[:, 0] - 0.6 * x[:, 1] + 0.4 * x[:, 2])))
        w = (r.random(n) < e).astype(int)
        mu0 = 1.0 + 2.0 * x[:, 0] + x[:, 1] + 0.5 * x[:, 2] ** 2
        mu1 = mu0 + 1.0 + 0.5 * x[:, 0]
        y = np.where(w == 1, mu1, mu0) + r.normal(size=n)
        return x, w, y, e, mu0, mu1


    x_obs, w_obs, y_obs, e_obs, mu0_obs, mu1_obs = simulate_study(rng, 2000)
    print("naive difference in means:", round(float(y_obs[w_obs == 1].mean() - y_obs[w_obs == 0].mean()), 3))
    print("data fingerprint:", fingerprint(x_obs, w_obs, y_obs))
    """,
)

PROP_TEXT = Markdown(
    "prop_text",
    r"""
    ## 3. Propensity scores (2 points)

    Write `propensity_logit(x, w)`: the **unpenalized** maximum-likelihood logistic regression of `w` on an
    intercept and the columns of `x`, returning the fitted probabilities $\hat e(X_i)$ as an `(n,)` array.
    (Newton's method takes a dozen lines; scikit-learn works too if you switch its penalty off.)
    """,
)

PROP_SOLUTION = Solution(
    "propensity_logit",
    '''
    def propensity_logit(x, w):
        """Fitted probabilities of an unpenalized logistic regression of w on [1, x]."""
    ''',
    """
    z = np.column_stack([np.ones(len(w)), np.asarray(x, dtype=float).reshape(len(w), -1)])
    w = np.asarray(w, dtype=float)
    beta = np.zeros(z.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-z @ beta))
        step = np.linalg.solve(z.T @ (z * (p * (1 - p))[:, None]), z.T @ (w - p))
        beta += step
        if np.max(np.abs(step)) < 1e-12:
            break
    return 1.0 / (1.0 + np.exp(-z @ beta))
    """,
)

PROP_TESTS = Tests(
    "propensity",
    2,
    """
    e_hat_obs = np.asarray(propensity_logit(x_obs, w_obs), dtype=float)
    assert e_hat_obs.shape == (len(w_obs),)
    assert np.all((e_hat_obs > 0) & (e_hat_obs < 1))
    # the intercept's score equation: fitted probabilities average to the treated share
    assert abs(e_hat_obs.mean() - w_obs.mean()) < 1e-3
    """,
    """
    # The score equations of the unpenalized MLE hold, and the fit matches a reference Newton solve.
    _r = np.random.default_rng(5000 + SEED)
    for _n in (500, 3000):
        _x = _r.normal(size=(_n, 2)) * [1.0, 2.0] + [0.5, 0.0]
        _w = (_r.random(_n) < 1 / (1 + np.exp(-(-0.3 + _x @ [1.0, -0.5])))).astype(int)
        _z = np.column_stack([np.ones(_n), _x])
        _b = np.zeros(3)
        for _ in range(50):
            _p = 1 / (1 + np.exp(-_z @ _b))
            _b += np.linalg.solve(_z.T @ (_z * (_p * (1 - _p))[:, None]), _z.T @ (_w - _p))
        _e = np.asarray(propensity_logit(_x, _w), dtype=float)
        assert _e.shape == (_n,)
        assert np.max(np.abs(_z.T @ (_w - _e))) / _n < 1e-3
        assert np.max(np.abs(_e - 1 / (1 + np.exp(-_z @ _b)))) < 2e-3
    """,
)

IPW_TEXT = Markdown(
    "ipw_text",
    r"""
    ## 4. Inverse propensity weighting (4 points)

    $$\hat\tau_{IPW}=\frac1n\sum_{i=1}^n\Big(\frac{W_iY_i}{\hat e(X_i)}-\frac{(1-W_i)Y_i}{1-\hat e(X_i)}\Big),\qquad
    \hat\tau_{nIPW}=\frac{\sum_i W_iY_i/\hat e(X_i)}{\sum_i W_i/\hat e(X_i)}
    -\frac{\sum_i (1-W_i)Y_i/(1-\hat e(X_i))}{\sum_i (1-W_i)/(1-\hat e(X_i))}.$$

    Write `ipw_ate(y, w, e)` and `normalized_ipw_ate(y, w, e)`, each returning a float.
    """,
)

IPW_SOLUTION = Solution(
    "ipw_ate",
    '''
    def ipw_ate(y, w, e):
        """Horvitz-Thompson inverse propensity weighting estimate of the ATE."""
    ''',
    """
    y, w, e = (np.asarray(a, dtype=float) for a in (y, w, e))
    return float(np.mean(w * y / e - (1 - w) * y / (1 - e)))
    """,
)

NIPW_SOLUTION = Solution(
    "normalized_ipw_ate",
    '''
    def normalized_ipw_ate(y, w, e):
        """Normalized (Hajek) inverse propensity weighting estimate of the ATE."""
    ''',
    """
    y, w, e = (np.asarray(a, dtype=float) for a in (y, w, e))
    a1, a0 = w / e, (1 - w) / (1 - e)
    return float(np.sum(a1 * y) / np.sum(a1) - np.sum(a0 * y) / np.sum(a0))
    """,
)

IPW_TESTS = Tests(
    "ipw",
    2,
    """
    assert ipw_ate(np.array([2.0, 4.0, 1.0, 3.0]), np.array([1, 1, 0, 0]), np.full(4, 0.5)) == 1.0
    """,
    """
    _r = np.random.default_rng(6000 + SEED)
    for _ in range(5):
        _n = int(_r.integers(50, 400))
        _e = _r.uniform(0.1, 0.9, size=_n)
        _w = (_r.random(_n) < _e).astype(int)
        _y = _r.normal(size=_n) + 3.0 * _w + 2.0
        _ref = np.mean(_w * _y / _e - (1 - _w) * _y / (1 - _e))
        assert abs(float(ipw_ate(_y, _w, _e)) - _ref) < 1e-9
    """,
)

NIPW_TESTS = Tests(
    "nipw",
    2,
    """
    # with a constant propensity equal to the treated share, normalized IPW is the difference in means
    share = np.full(len(w_rct), w_rct.mean())
    dm_rct = y_rct[w_rct == 1].mean() - y_rct[w_rct == 0].mean()
    assert abs(float(normalized_ipw_ate(y_rct, w_rct, share)) - dm_rct) < 1e-9
    """,
    """
    _r = np.random.default_rng(6100 + SEED)
    for _ in range(5):
        _n = int(_r.integers(50, 400))
        _e = _r.uniform(0.1, 0.9, size=_n)
        _w = (_r.random(_n) < _e).astype(int)
        _w[:2], _w[2:4] = 1, 0
        _y = _r.normal(size=_n) + 3.0 * _w
        _a1, _a0 = _w / _e, (1 - _w) / (1 - _e)
        _ref = np.sum(_a1 * _y) / np.sum(_a1) - np.sum(_a0 * _y) / np.sum(_a0)
        assert abs(float(normalized_ipw_ate(_y, _w, _e)) - _ref) < 1e-9
        # normalized IPW is invariant to shifting every outcome by a constant
        assert abs(float(normalized_ipw_ate(_y + 10.0, _w, _e)) - _ref) < 1e-8
    """,
)

AIPW_TEXT = Markdown(
    "aipw_text",
    r"""
    ## 5. Augmented IPW and double robustness (5 points + 2 written)

    With outcome models $\hat\mu_0,\hat\mu_1$ and propensity $\hat e$, let
    $$\hat\psi_i=\hat\mu_1(X_i)-\hat\mu_0(X_i)+\frac{W_i(Y_i-\hat\mu_1(X_i))}{\hat e(X_i)}
    -\frac{(1-W_i)(Y_i-\hat\mu_0(X_i))}{1-\hat e(X_i)}.$$
    Then $\hat\tau_{AIPW}=\frac1n\sum_i\hat\psi_i$ and its standard error is
    $\sqrt{\frac{1}{n}\cdot\frac1n\sum_i(\hat\psi_i-\hat\tau_{AIPW})^2}$.
    Write `aipw_ate(y, w, mu0, mu1, e)` returning `(tau_hat, se)`; `mu0`, `mu1`, `e` are arrays of
    predictions at the sample points. A hidden test simulates 200 studies and checks that the estimate stays
    centred on the truth when the outcome model is wrong (but the propensity is right) and when the
    propensity is wrong (but the outcome model is right).
    """,
)

AIPW_SOLUTION = Solution(
    "aipw_ate",
    '''
    def aipw_ate(y, w, mu0, mu1, e):
        """Augmented IPW estimate of the ATE and its standard error."""
    ''',
    """
    y, w = np.asarray(y, dtype=float), np.asarray(w, dtype=float)
    mu0, mu1, e = (np.asarray(a, dtype=float) for a in (mu0, mu1, e))
    psi = mu1 - mu0 + w * (y - mu1) / e - (1 - w) * (y - mu0) / (1 - e)
    tau = psi.mean()
    se = np.sqrt(np.mean((psi - tau) ** 2) / len(y))
    return float(tau), float(se)
    """,
)

AIPW_FORMULA = Tests(
    "aipw_formula",
    2,
    """
    # When the outcome model is exact (no noise), the residual correction vanishes.
    exact_y = np.where(w_obs == 1, mu1_obs, mu0_obs)
    tau_exact, se_exact = aipw_ate(exact_y, w_obs, mu0_obs, mu1_obs, e_obs)
    assert abs(float(tau_exact) - float(np.mean(mu1_obs - mu0_obs))) < 1e-9
    assert float(se_exact) >= 0
    """,
    """
    _r = np.random.default_rng(7000 + SEED)
    for _ in range(5):
        _n = int(_r.integers(50, 400))
        _e = _r.uniform(0.1, 0.9, size=_n)
        _w = (_r.random(_n) < _e).astype(int)
        _m0, _m1 = _r.normal(size=_n), _r.normal(size=_n) + 1.0
        _y = np.where(_w == 1, _m1, _m0) + _r.normal(size=_n) + 0.5
        _psi = _m1 - _m0 + _w * (_y - _m1) / _e - (1 - _w) * (_y - _m0) / (1 - _e)
        _t, _s = aipw_ate(_y, _w, _m0, _m1, _e)
        assert abs(float(_t) - _psi.mean()) < 1e-9
        assert abs(float(_s) - np.sqrt(np.mean((_psi - _psi.mean()) ** 2) / _n)) < 1e-9
    """,
)

AIPW_DR = Tests(
    "aipw_double_robust",
    3,
    """
    e_hat = np.asarray(propensity_logit(x_obs, w_obs), dtype=float)
    print("AIPW with the true nuisances:", aipw_ate(y_obs, w_obs, mu0_obs, mu1_obs, e_obs))
    """,
    """
    # R = 200 simulated studies (n = 1000, true ATE = 1) per scenario:
    #   both right; outcome model wrong (arm means, ignoring X) with the true propensity;
    #   propensity wrong (constant 0.5) with the true outcome model.
    # The per-study sd of a correct AIPW is <= 0.2 in every scenario, so each mean over 200 studies has
    # sd <= 0.015; the tolerance 0.08 is > 5 sd: false-failure probability < 1e-6 per run.
    # (The naive difference in means is off by about 2 here.)
    _r = np.random.default_rng(8000 + SEED)
    _est = {"both right": [], "outcome wrong": [], "propensity wrong": []}
    for _ in range(200):
        _x, _w, _y, _e, _m0, _m1 = simulate_study(_r, 1000)
        _c0, _c1 = np.full(1000, _y[_w == 0].mean()), np.full(1000, _y[_w == 1].mean())
        _est["both right"].append(float(aipw_ate(_y, _w, _m0, _m1, _e)[0]))
        _est["outcome wrong"].append(float(aipw_ate(_y, _w, _c0, _c1, _e)[0]))
        _est["propensity wrong"].append(float(aipw_ate(_y, _w, _m0, _m1, np.full(1000, 0.5))[0]))
    for _name, _vals in _est.items():
        assert abs(np.mean(_vals) - 1.0) < 0.08, f"{_name}: mean estimate {np.mean(_vals):.3f}, truth 1.0"
    """,
)

DR_DEMO = Locked(
    "dr_demo",
    """
    # Estimates on the observational study with estimated nuisances (linear outcome models fitted per arm).
    _z = np.column_stack([np.ones(len(y_obs)), x_obs])
    _b1 = np.linalg.lstsq(_z[w_obs == 1], y_obs[w_obs == 1], rcond=None)[0]
    _b0 = np.linalg.lstsq(_z[w_obs == 0], y_obs[w_obs == 0], rcond=None)[0]
    print("IPW            :", ipw_ate(y_obs, w_obs, e_hat))
    print("normalized IPW :", normalized_ipw_ate(y_obs, w_obs, e_hat))
    print("AIPW           :", aipw_ate(y_obs, w_obs, _z @ _b0, _z @ _b1, e_hat))
    """,
)

DR_WRITTEN_Q = Markdown(
    "dr_written_q",
    r"""
    **Written question (2 points).** Compare the estimates printed above with the truth (1.0). What does
    double robustness guarantee, what does it not guarantee when *both* nuisance models are wrong, and why
    would you still prefer AIPW to IPW when the propensity model is right?
    """,
)

DR_WRITTEN = Written(
    "dr_written",
    2,
    r"""
    Grading guide. AIPW is consistent if either the outcome model or the propensity model is correct (the
    error is a product of the two nuisance errors); with both wrong it is generally biased, although often
    less than either plug-in. With a correct propensity, IPW is unbiased but noisy; AIPW's outcome model
    reduces variance (AIPW attains the semiparametric efficiency bound when both are right, while even
    oracle IPW is not efficient). Do not penalise saying oracle IPW is inefficient. 1 point for the
    guarantee and its limit, 1 point for the variance argument.
    """,
)

OBS_CELLS = [
    OBS_DATA,
    PROP_TEXT,
    PROP_SOLUTION,
    PROP_TESTS,
    IPW_TEXT,
    IPW_SOLUTION,
    IPW_TESTS,
    NIPW_SOLUTION,
    NIPW_TESTS,
    AIPW_TEXT,
    AIPW_SOLUTION,
    AIPW_FORMULA,
    AIPW_DR,
    DR_DEMO,
    DR_WRITTEN_Q,
    DR_WRITTEN,
]
