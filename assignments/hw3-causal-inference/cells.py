"""The cells of homework 3: difference in means, regression adjustment, IPW, normalized IPW and AIPW.

Hidden tests convert every student result with ``float``/``np.asarray(..., dtype=float)`` before comparing,
use generators seeded from ``GRADER_SEED`` (so a run is deterministic), and state the false-failure
probability of each statistical check.
"""

from __future__ import annotations

from _nbbuild import Locked, Markdown, Solution, Tests, Written

INTRO = Markdown(
    "intro",
    r"""
    # Homework 3: Causal inference I

    This homework implements the estimators of the causal-inference chapters of the notes: the difference in
    means with its Neyman variance and confidence interval, interacted regression adjustment, inverse propensity
    weighting (plain and normalized), and the augmented IPW estimator with its double robustness.

    * Fill in every cell that says `YOUR CODE HERE`; keep the function names and signatures.
    * Every function returns plain Python floats (or tuples of floats) unless its docstring says otherwise.
    * The cells with `assert`s are tests. The visible ones help you; hidden tests, run when you submit, decide
      the grade. They re-run the whole notebook with a different random seed, so do not hard-code numbers.
    * Use only `numpy`, `scipy` and `scikit-learn`. The whole notebook should run in a few seconds.
    """,
)

SETUP = Locked(
    "setup",
    """
    import hashlib
    import os

    import numpy as np
    from scipy import stats
    from threadpoolctl import threadpool_limits

    # One BLAS thread: faster for these small problems, and fair on a shared grading machine.
    threadpool_limits(limits=1)


    def fingerprint(*arrays):
        \"\"\"A short hash of the generated data (differs between seeds).\"\"\"
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(np.asarray(a, dtype=float).round(10)).tobytes())
        return h.hexdigest()[:16]
    """,
)

RCT_DATA = Locked(
    "rct_data",
    """
    # A randomized experiment with treatment probability 0.3 and two pre-treatment covariates.
    # Both potential outcomes are generated, so the sample average treatment effect (SATE) is known.
    SEED = int(os.environ.get("GRADER_SEED", "0"))
    rng = np.random.default_rng(SEED)
    n_rct, pi_rct = 400, 0.3
    x_rct = rng.normal(loc=[1.0, -0.5], scale=1.0, size=(n_rct, 2))
    y0_rct = 1.0 + x_rct @ np.array([1.0, 0.5]) + rng.normal(size=n_rct)
    y1_rct = y0_rct + 1.0 + x_rct @ np.array([1.0, -1.0]) + 0.5 * rng.normal(size=n_rct)
    w_rct = rng.binomial(1, pi_rct, size=n_rct)
    y_rct = np.where(w_rct == 1, y1_rct, y0_rct)
    print("SATE =", round(float(np.mean(y1_rct - y0_rct)), 4), "(population ATE = 2.5)")
    print("data fingerprint:", fingerprint(x_rct, y_rct, w_rct))
    """,
)

DM_TEXT = Markdown(
    "dm_text",
    r"""
    ## 1. Difference in means (7 points)

    With $n_1=\sum_i W_i$ treated and $n_0=n-n_1$ control units,
    $\hat\tau_{DM}=\frac{1}{n_1}\sum_{i=1}^{n} W_iY_i-\frac{1}{n_0}\sum_{i=1}^{n}(1-W_i)Y_i$
    (both sums run over all $n$ units). Its asymptotic variance is
    $V_{DM}=\frac{\mathrm{Var}[Y_i(0)]}{1-\pi}+\frac{\mathrm{Var}[Y_i(1)]}{\pi}$, estimated by the plug-in

    $$\hat V_{DM}=\frac{n}{n_1^2}\sum_{i:W_i=1}(Y_i-\bar Y_1)^2+\frac{n}{n_0^2}\sum_{i:W_i=0}(Y_i-\bar Y_0)^2,$$

    and the $1-\alpha$ confidence interval is $\hat\tau_{DM}\pm\Phi^{-1}(1-\alpha/2)\sqrt{\hat V_{DM}/n}$.

    Write `diff_in_means(y, w, alpha=0.05)` returning `(tau_hat, v_hat, (ci_low, ci_high))`.
    The hidden tests check the estimate, the variance, and (by simulating 4,000 experiments) that the 95%
    interval covers the true effect about 95% of the time.
    """,
)

DM_SOLUTION = Solution(
    "diff_in_means",
    '''
    def diff_in_means(y, w, alpha=0.05):
        """Difference in means, plug-in Neyman variance V_hat (of sqrt(n) * tau_hat) and a normal CI."""
    ''',
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(w).astype(bool)
    n, n1 = len(y), int(w.sum())
    n0 = n - n1
    y1, y0 = y[w], y[~w]
    tau = y1.mean() - y0.mean()
    v = n / n1**2 * np.sum((y1 - y1.mean()) ** 2) + n / n0**2 * np.sum((y0 - y0.mean()) ** 2)
    half = stats.norm.ppf(1 - alpha / 2) * np.sqrt(v / n)
    return float(tau), float(v), (float(tau - half), float(tau + half))
    """,
)

DM_POINT = Tests(
    "dm_point",
    2,
    """
    y_toy = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])
    w_toy = np.array([1, 0, 1, 0, 1, 0])
    tau_toy, v_toy, ci_toy = diff_in_means(y_toy, w_toy)
    assert abs(float(tau_toy) - (4.0 - 11.0 / 3.0)) < 1e-12
    print("tau_hat on the experiment:", diff_in_means(y_rct, w_rct)[0])
    """,
    """
    _r = np.random.default_rng(1000 + SEED)
    for _ in range(5):
        _n = int(_r.integers(20, 200))
        _w = np.zeros(_n, dtype=int)
        _w[_r.choice(_n, size=int(_r.integers(5, _n - 5)), replace=False)] = 1
        _y = 3.0 * _r.normal(size=_n) + 2.0 * _w
        _ref = _y[_w == 1].mean() - _y[_w == 0].mean()
        assert abs(float(diff_in_means(_y, _w)[0]) - _ref) < 1e-9
        assert abs(float(diff_in_means(list(_y), _w.astype(bool))[0]) - _ref) < 1e-9
    """,
)

DM_VARIANCE = Tests(
    "dm_variance",
    2,
    """
    # treated: 3, 4, 5 (sum of squares 2); control: 1, 1, 9 (sum of squares 384/9); n = 6, n1 = n0 = 3
    assert abs(float(v_toy) - 6 / 9 * (2 + 384 / 9)) < 1e-9
    """,
    """
    _r = np.random.default_rng(1100 + SEED)
    for _ in range(5):
        _n = int(_r.integers(30, 300))
        _w = (_r.random(_n) < _r.uniform(0.2, 0.8)).astype(int)
        _w[:3], _w[3:6] = 1, 0
        _y = _r.normal(size=_n) * np.where(_w == 1, 3.0, 1.0)
        _y1, _y0 = _y[_w == 1], _y[_w == 0]
        _ref = _n / len(_y1) ** 2 * np.sum((_y1 - _y1.mean()) ** 2) + _n / len(_y0) ** 2 * np.sum(
            (_y0 - _y0.mean()) ** 2
        )
        assert abs(float(diff_in_means(_y, _w)[1]) - _ref) < 1e-8 * max(1.0, _ref)
    """,
)

DM_COVERAGE = Tests(
    "dm_coverage",
    3,
    """
    lo_toy, hi_toy = (float(c) for c in ci_toy)
    assert lo_toy < float(tau_toy) < hi_toy
    tau_rct, v_rct, ci_rct = diff_in_means(y_rct, w_rct)
    print("95% CI on the experiment:", ci_rct)
    """,
    """
    # (a) The interval is tau_hat +- z sqrt(V_hat / n) at the requested alpha (deterministic).
    _t, _v, _ci = diff_in_means(y_rct, w_rct, alpha=0.1)
    _half = stats.norm.ppf(0.95) * np.sqrt(float(_v) / n_rct)
    assert abs(float(_ci[0]) - (float(_t) - _half)) < 1e-8 and abs(float(_ci[1]) - (float(_t) + _half)) < 1e-8
    # (b) Coverage of the ATE = 1 by the 95% interval over R = 4000 simulated experiments (n = 400,
    # pi = 0.3, arm sds 2 and 1, normal outcomes). Over 20 calibration seeds the correct interval covered
    # 0.946 on average (sd 0.004 between seeds; binomial sd 0.0036), so the window [0.925, 0.975] is more
    # than 5 sd away on both sides: false-failure probability < 1e-6 per run. Swapping the arms' variance
    # weights covers ~0.875, an interval without the 1/n covers ~1.
    _r = np.random.default_rng(2000 + SEED)
    _R, _n = 4000, 400
    _W = _r.random((_R, _n)) < 0.3
    _Y = np.where(_W, 1.0 + 2.0 * _r.normal(size=(_R, _n)), _r.normal(size=(_R, _n)))
    _hits = 0
    for _k in range(_R):
        _lo, _hi = (float(c) for c in diff_in_means(_Y[_k], _W[_k].astype(int))[2])
        _hits += _lo <= 1.0 <= _hi
    _coverage = _hits / _R
    assert 0.925 <= _coverage <= 0.975, f"coverage {_coverage:.3f} is not close to 0.95"
    """,
)

IREG_TEXT = Markdown(
    "ireg_text",
    r"""
    ## 2. Interacted regression adjustment (3 points + 2 written)

    Fit ordinary least squares $Y\sim 1+X$ separately in the treated arm and in the control arm, giving
    $(\hat\alpha(1),\hat\beta(1))$ and $(\hat\alpha(0),\hat\beta(0))$, and report
    $\hat\tau_{IREG}=\hat\alpha(1)-\hat\alpha(0)+\bar X^\top(\hat\beta(1)-\hat\beta(0))$, where $\bar X$ is the
    covariate mean over **all** units. `x` is an `(n, d)` array.
    """,
)

IREG_SOLUTION = Solution(
    "ireg_ate",
    '''
    def ireg_ate(y, w, x):
        """Interacted regression adjustment estimate of the average treatment effect."""
    ''',
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(w).astype(bool)
    design = np.column_stack([np.ones(len(y)), np.asarray(x, dtype=float).reshape(len(y), -1)])
    b1 = np.linalg.lstsq(design[w], y[w], rcond=None)[0]
    b0 = np.linalg.lstsq(design[~w], y[~w], rcond=None)[0]
    return float(np.mean(design @ (b1 - b0)))
    """,
)

IREG_TESTS = Tests(
    "ireg",
    3,
    """
    # Noise-free linear outcomes with centred covariates: IREG recovers the sample effect exactly.
    x_toy = np.array([[-1.0, 0.5], [0.0, -1.0], [1.0, 0.5], [-1.0, -0.5], [0.0, 1.0], [1.0, -0.5]])
    x_toy = np.vstack([x_toy, x_toy[::-1] * 0.5])
    x_toy = x_toy - x_toy.mean(axis=0)
    w_ireg = np.array([1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0])
    y_ireg = np.where(w_ireg == 1, 3.0 + x_toy @ [2.0, -1.0], 1.0 + x_toy @ [0.5, 1.0])
    assert abs(float(ireg_ate(y_ireg, w_ireg, x_toy)) - 2.0) < 1e-8
    print("IREG on the experiment:", ireg_ate(y_rct, w_rct, x_rct))
    """,
    """
    # Reference: the W coefficient of Y ~ 1 + W + (X - Xbar) + W (X - Xbar) on un-centred covariates.
    _r = np.random.default_rng(3000 + SEED)
    for _ in range(4):
        _n, _d = int(_r.integers(60, 300)), int(_r.integers(1, 4))
        _x = _r.normal(loc=_r.uniform(-2, 3, size=_d), size=(_n, _d))
        _w = (_r.random(_n) < 0.4).astype(int)
        _w[:_d + 2], _w[_d + 2:2 * _d + 4] = 1, 0
        _y = _x @ _r.normal(size=_d) + _w * (1.0 + _x @ _r.normal(size=_d)) + _r.normal(size=_n)
        _xc = _x - _x.mean(axis=0)
        _design = np.column_stack([np.ones(_n), _w, _xc, _w[:, None] * _xc])
        _ref = np.linalg.lstsq(_design, _y, rcond=None)[0][1]
        assert abs(float(ireg_ate(_y, _w, _x)) - _ref) < 1e-8
    """,
)

IREG_DEMO = Locked(
    "ireg_demo",
    """
    # Sampling variability under re-randomization of the experiment (potential outcomes held fixed).
    _draws = []
    _r = np.random.default_rng(SEED + 1)
    for _ in range(300):
        _w = _r.binomial(1, pi_rct, size=n_rct)
        _y = np.where(_w == 1, y1_rct, y0_rct)
        _draws.append((diff_in_means(_y, _w)[0], ireg_ate(_y, _w, x_rct)))
    _draws = np.array([[float(a), float(b)] for a, b in _draws])
    print("n * Var over 300 re-randomizations: DM =", n_rct * _draws[:, 0].var().round(4),
          " IREG =", n_rct * _draws[:, 1].var().round(4))
    """,
)

IREG_WRITTEN_Q = Markdown(
    "ireg_written_q",
    r"""
    **Written question (2 points).** The cell above compares the sampling variance of the difference in means
    and of IREG. Explain why IREG is more precise here. For $\pi=1/2$, a homoskedastic noise variance
    $\sigma^2$ in each arm and $A=\mathrm{Var}[X]$, give $V_{DM}-V_{IREG}$ in terms of $\beta(0)$, $\beta(1)$
    and $A$, and say when the gain is zero.
    """,
)

IREG_WRITTEN = Written(
    "ireg_written",
    2,
    r"""
    Grading guide. IREG removes the part of the outcome variance explained by the covariates in each arm; the
    difference in means leaves it in the noise. At $\pi=1/2$: $V_{DM}=4\sigma^2+2\|\beta(0)\|_A^2+2\|\beta(1)\|_A^2$
    and $V_{IREG}=4\sigma^2+\|\beta(1)-\beta(0)\|_A^2$, so
    $V_{DM}-V_{IREG}=\|\beta(0)+\beta(1)\|_A^2=(\beta(0)+\beta(1))^\top A(\beta(0)+\beta(1))\ge 0$
    (full credit needs the sum, not $\|\beta(0)\|_A^2+\|\beta(1)\|_A^2$). The gain is zero only when
    $\beta(0)+\beta(1)=0$ in the $A$-norm, e.g. covariates unrelated to the outcomes. 1 point reasoning,
    1 point formula.
    """,
    sample_answer="""
    IREG uses the covariates to explain part of each arm's outcome variance, so less noise is left in the
    estimate. At pi = 1/2 the variance falls by (beta(0) + beta(1))' A (beta(0) + beta(1)), which is zero
    when the covariates do not predict the outcomes.
    """,
)

from cells_obs import OBS_CELLS  # noqa: E402

CELLS = [
    INTRO,
    SETUP,
    RCT_DATA,
    DM_TEXT,
    DM_SOLUTION,
    DM_POINT,
    DM_VARIANCE,
    DM_COVERAGE,
    IREG_TEXT,
    IREG_SOLUTION,
    IREG_TESTS,
    IREG_DEMO,
    IREG_WRITTEN_Q,
    IREG_WRITTEN,
    *OBS_CELLS,
]
