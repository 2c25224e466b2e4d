"""The cells of homework 4, part 3: a budget-constrained targeting rule and its doubly robust value."""

from __future__ import annotations

from _nbbuild import Locked, Markdown, Solution, Tests, Written

POLICY_TEXT = Markdown(
    "policy_text",
    r"""
    ## 5. Targeting policy and its value (4 points + 2 written)

    * `budget_policy(tau_hat, budget)`: treat exactly $k=\lfloor\rho n\rfloor$ units, those with the largest
      estimated effects (ties broken in favour of the lower index); return a 0/1 integer array.
    * `policy_value_aipw(pi, y, d, e, mu0, mu1)`: the doubly robust estimate of
      $V(\pi)=\mathbb E[Y(1)\pi(X)+Y(0)(1-\pi(X))]$,
      $$\hat V=\frac1n\sum_i\big[\pi_i\hat\Gamma_i(1)+(1-\pi_i)\hat\Gamma_i(0)\big],\quad
      \hat\Gamma_i(1)=\hat\mu_1(X_i)+\frac{D_i(Y_i-\hat\mu_1(X_i))}{\hat e(X_i)},\quad
      \hat\Gamma_i(0)=\hat\mu_0(X_i)+\frac{(1-D_i)(Y_i-\hat\mu_0(X_i))}{1-\hat e(X_i)}.$$
    """,
)

BUDGET_SOLUTION = Solution(
    "budget_policy",
    '''
    def budget_policy(tau_hat, budget):
        """Treat the floor(budget * n) units with the largest tau_hat (lower index wins ties)."""
    ''',
    """
    tau_hat = np.asarray(tau_hat, dtype=float)
    k = int(np.floor(budget * len(tau_hat)))
    order = np.argsort(-tau_hat, kind="stable")
    pi = np.zeros(len(tau_hat), dtype=int)
    pi[order[:k]] = 1
    return pi
    """,
)

VALUE_SOLUTION = Solution(
    "policy_value_aipw",
    '''
    def policy_value_aipw(pi, y, d, e, mu0, mu1):
        """Doubly robust (AIPW) estimate of the value of the policy pi."""
    ''',
    """
    pi, y, d, e, mu0, mu1 = (np.asarray(a, dtype=float) for a in (pi, y, d, e, mu0, mu1))
    gamma1 = mu1 + d * (y - mu1) / e
    gamma0 = mu0 + (1 - d) * (y - mu0) / (1 - e)
    return float(np.mean(pi * gamma1 + (1 - pi) * gamma0))
    """,
)

BUDGET_TESTS = Tests(
    "policy_rule",
    2,
    """
    assert list(np.asarray(budget_policy([0.3, -1.0, 2.0, 0.5], 0.5), dtype=int)) == [0, 0, 1, 1]
    """,
    """
    _r = np.random.default_rng(1100 + SEED)
    for _budget in (0.125, 0.25, 0.375, 0.5, 1.0, 0.0):
        _n = int(_r.integers(20, 200))
        _tau = np.round(_r.normal(size=_n), 1)  # rounding creates ties
        _pi = np.asarray(budget_policy(_tau, _budget), dtype=float)
        _k = int(np.floor(_budget * _n))
        assert _pi.shape == (_n,) and set(np.unique(_pi)) <= {0.0, 1.0}
        assert int(_pi.sum()) == _k
        _ref = np.zeros(_n)
        _ref[np.argsort(-_tau, kind="stable")[:_k]] = 1
        assert np.array_equal(_pi, _ref)
    """,
)

VALUE_TESTS = Tests(
    "policy_value",
    2,
    """
    toy = dict(y=[2.0, 1.0, 4.0, 3.0], d=[1, 0, 1, 0], e=[0.5] * 4, mu0=[0.0] * 4, mu1=[0.0] * 4)
    assert policy_value_aipw(pi=[1, 0, 1, 0], **toy) == 5.0
    """,
    """
    _r = np.random.default_rng(1200 + SEED)
    for _ in range(4):
        _n = int(_r.integers(50, 300))
        _e = _r.uniform(0.2, 0.8, _n)
        _d = (_r.random(_n) < _e).astype(int)
        _m0, _m1 = _r.normal(size=_n), _r.normal(size=_n) + 1
        _y = np.where(_d == 1, _m1, _m0) + _r.normal(size=_n) + 0.3
        _pi = (_r.random(_n) < 0.4).astype(int)
        _g1 = _m1 + _d * (_y - _m1) / _e
        _g0 = _m0 + (1 - _d) * (_y - _m0) / (1 - _e)
        _v = float(policy_value_aipw(_pi, _y, _d, _e, _m0, _m1))
        assert abs(_v - np.mean(_pi * _g1 + (1 - _pi) * _g0)) < 1e-9
        # treat-all minus treat-none is the AIPW estimate of the ATE
        _all = float(policy_value_aipw(np.ones(_n), _y, _d, _e, _m0, _m1))
        _none = float(policy_value_aipw(np.zeros(_n), _y, _d, _e, _m0, _m1))
        assert abs((_all - _none) - np.mean(_g1 - _g0)) < 1e-9
    """,
)

POLICY_DEMO = Locked(
    "policy_demo",
    """
    # Learn tau on one half of the data, evaluate policies on the other half (true nuisances for clarity).
    _half = np.arange(len(y_cate)) % 2 == 0
    _tau_hat = t_learner(x_cate[_half], y_cate[_half], d_cate[_half], LinearRegression(), x_cate[~_half])
    _args = (y_cate[~_half], d_cate[~_half], e_cate[~_half], mu0_cate[~_half],
             mu0_cate[~_half] + tau_cate[~_half])
    _m = int((~_half).sum())
    for _name, _pi in [
        ("treat nobody", np.zeros(_m)),
        ("treat everybody", np.ones(_m)),
        ("random 30%", (np.random.default_rng(SEED).random(_m) < 0.3).astype(int)),
        ("top 30% by T-learner", budget_policy(_tau_hat, 0.3)),
        ("top 30% by true tau", budget_policy(tau_cate[~_half], 0.3)),
    ]:
        print(f"{_name:22s}", policy_value_aipw(_pi, *_args))
    """,
)

POLICY_WRITTEN_Q = Markdown(
    "policy_written_q",
    r"""
    **Written question (2 points).** Interpret the values printed above. Why does the demo learn
    $\hat\tau$ on one half of the data and evaluate the policy on the other half? What would go wrong if the
    same observations were used for both, and how does this relate to cross-fitting in part 1?
    """,
)

POLICY_WRITTEN = Written(
    "policy_written",
    2,
    r"""
    Grading guide. Targeting the top 30% by estimated CATE beats random 30% and approaches the oracle;
    treating everybody gives the highest total only because every effect here is positive (tau = 1 + x_1 >= 0).
    Using the same data to choose and evaluate the policy overstates its value (the policy selects units
    whose noise happens to make tau_hat large: winner's curse / overfitting); sample splitting removes the
    dependence between the policy and the evaluation data, the same reason DML cross-fits its nuisances.
    1 point interpretation, 1 point the selection-bias argument.
    """,
    sample_answer="""
    Targeting by the T-learner beats random targeting and is close to the oracle. We split the sample so
    that the data used to evaluate the policy were not used to choose it, as in cross-fitting.
    """,
)

POLICY_CELLS = [
    POLICY_TEXT,
    BUDGET_SOLUTION,
    VALUE_SOLUTION,
    BUDGET_TESTS,
    VALUE_TESTS,
    POLICY_DEMO,
    POLICY_WRITTEN_Q,
    POLICY_WRITTEN,
]
