"""Graded test cells of homework 4, part 1 (DML): reference comparisons, out-of-fold checks, a simulation.

The reference estimate is recomputed inside each hidden test from the same folds and learners, so the
comparison is exact up to floating point (1e-8), independent of the student's other functions.
"""

from __future__ import annotations

import textwrap

from _nbbuild import Tests

REFERENCE_HELPER_RAW = """
def _reference_plr(_y, _d, _x, _make, _folds):
    _u, _v = np.empty(len(_y)), np.empty(len(_y))
    for _k in np.unique(_folds):
        _te = _folds == _k
        _u[_te] = _y[_te] - _make().fit(_x[~_te], _y[~_te]).predict(_x[_te])
        _v[_te] = _d[_te] - _make().fit(_x[~_te], _d[~_te]).predict(_x[_te])
    _theta = np.sum(_v * _u) / np.sum(_v * _v)
    _psi = _v * (_u - _theta * _v)
    return _theta, np.sqrt(np.mean(_psi**2) / np.mean(_v * _v) ** 2 / len(_y))
"""
# indented like the hidden-test strings it is prepended to, so that dedenting keeps both at top level
REFERENCE_HELPER = textwrap.indent(REFERENCE_HELPER_RAW, "    ")

DML_ESTIMATE = Tests(
    "dml_estimate",
    3,
    """
    theta_hat, se_hat = dml_plr(y_plr, d_plr, x_plr, poly_learner(), poly_learner(), folds_plr)
    print(f"DML estimate {float(theta_hat):.4f} (se {float(se_hat):.4f}); true theta = {THETA}")
    assert abs(float(theta_hat) - THETA) < 5 * float(se_hat)
    """,
    REFERENCE_HELPER
    + """
    # (a) exact agreement with a reference cross-fit on the notebook's data and on a fresh sample
    _ref_theta, _ = _reference_plr(y_plr, d_plr, x_plr, poly_learner, folds_plr)
    assert abs(float(dml_plr(y_plr, d_plr, x_plr, poly_learner(), poly_learner(), folds_plr)[0]) - _ref_theta) < 1e-8
    _r = np.random.default_rng(200 + SEED)
    _x, _d, _y = simulate_plr(_r, 600)
    _f = _r.permutation(np.arange(600) % 3)
    _ref_theta, _ = _reference_plr(_y, _d, _x, poly_learner, _f)
    assert abs(float(dml_plr(_y, _d, _x, poly_learner(), poly_learner(), _f)[0]) - _ref_theta) < 1e-8
    # (b) nuisances are never evaluated on rows they were fitted on (MeanSpy raises if they are)
    _xid = np.column_stack([np.arange(600), _x])
    _t_spy = float(dml_plr(_y, _d, _xid, MeanSpy(), MeanSpy(), _f)[0])
    _ref_spy, _ = _reference_plr(_y, _d, _xid, MeanSpy, _f)
    assert abs(_t_spy - _ref_spy) < 1e-8
    """,
)

DML_SE = Tests(
    "dml_se",
    2,
    """
    assert 0 < float(se_hat) < 1
    """,
    REFERENCE_HELPER
    + """
    _r = np.random.default_rng(300 + SEED)
    for _n, _k in ((800, 5), (500, 2)):
        _x, _d, _y = simulate_plr(_r, _n)
        _f = _r.permutation(np.arange(_n) % _k)
        _, _ref_se = _reference_plr(_y, _d, _x, poly_learner, _f)
        assert abs(float(dml_plr(_y, _d, _x, poly_learner(), poly_learner(), _f)[1]) - _ref_se) < 1e-8
    """,
)

NAIVE = Tests(
    "naive",
    1,
    """
    naive_hat = naive_plr(y_plr, d_plr, x_plr, poly_learner())
    print(f"naive plug-in estimate {float(naive_hat):.4f}; true theta = {THETA}")
    """,
    """
    _r = np.random.default_rng(400 + SEED)
    _x, _d, _y = simulate_plr(_r, 500)
    _ell = poly_learner().fit(_x, _y).predict(_x)
    assert abs(float(naive_plr(_y, _d, _x, poly_learner())) - np.sum(_d * (_y - _ell)) / np.sum(_d * _d)) < 1e-8
    """,
)

DML_VS_NAIVE = Tests(
    "dml_vs_naive",
    2,
    """
    # compare both estimators with the known effect over a few simulated samples
    _r = np.random.default_rng(SEED + 1)
    _runs = []
    for _ in range(5):
        _x, _d, _y = simulate_plr(_r, 1000)
        _f = _r.permutation(np.arange(1000) % 5)
        _runs.append((float(dml_plr(_y, _d, _x, poly_learner(), poly_learner(), _f)[0]),
                      float(naive_plr(_y, _d, _x, poly_learner()))))
    print("mean over 5 samples: DML %.3f, naive %.3f, truth %.1f" % (*np.mean(_runs, axis=0), THETA))
    """,
    """
    # R = 40 samples of n = 1000 with 5 folds. The DML estimate has sd ~0.032 per sample (so ~0.005 for the
    # mean of 40) and no bias with cubic-series nuisances: |mean - 0.5| < 0.03 is a 6-sd window,
    # false-failure probability < 1e-8. The naive plug-in converges to 0.5 * Var(V) / E[D^2] ~ 0.34.
    _r = np.random.default_rng(500 + SEED)
    _dml, _naive = [], []
    for _ in range(40):
        _x, _d, _y = simulate_plr(_r, 1000)
        _f = _r.permutation(np.arange(1000) % 5)
        _dml.append(float(dml_plr(_y, _d, _x, poly_learner(), poly_learner(), _f)[0]))
        _naive.append(float(naive_plr(_y, _d, _x, poly_learner())))
    assert abs(np.mean(_dml) - THETA) < 0.03, f"DML mean {np.mean(_dml):.3f}"
    assert np.mean(_naive) < THETA - 0.08, f"naive mean {np.mean(_naive):.3f} should be attenuated"
    """,
)

ECONML_AGREE = Tests(
    "econml_agree",
    2,
    """
    est = dml_econml(y_plr, d_plr, x_plr, folds_plr)
    assert isinstance(est, LinearDML)
    print("EconML LinearDML:", float(est.intercept_), " our DML:", float(theta_hat))
    """,
    REFERENCE_HELPER
    + """
    _r = np.random.default_rng(600 + SEED)
    _x, _d, _y = simulate_plr(_r, 700)
    _f = _r.permutation(np.arange(700) % 4)
    _est = dml_econml(_y, _d, _x, _f)
    assert isinstance(_est, LinearDML)
    _ref_theta, _ref_se = _reference_plr(_y, _d, _x, poly_learner, _f)
    assert abs(float(_est.intercept_) - _ref_theta) < 1e-6
    assert abs(float(dml_plr(_y, _d, _x, poly_learner(), poly_learner(), _f)[0]) - float(_est.intercept_)) < 1e-6
    # EconML's robust standard error differs from ours only by a small-sample factor
    assert abs(float(_est.intercept__inference().stderr) / _ref_se - 1) < 0.02
    """,
)

DML_TESTS = [DML_ESTIMATE, DML_SE, NAIVE, DML_VS_NAIVE, ECONML_AGREE]
