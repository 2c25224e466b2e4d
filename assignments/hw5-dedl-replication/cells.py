"""The cells of homework 5, part 1: the synthetic factorial experiment and the structured outcome model.

The design follows the structure of the DeDL paper (Ye et al., Management Science): m binary treatments,
an experiment that only runs m + 2 of the 2^m combinations, an outcome y = G(theta(x), t) + noise with a
generalized-sigmoid link, and a network that outputs theta(x). The data-generating process is our own.
"""

from __future__ import annotations

import textwrap

from _nbbuild import Locked, Markdown, Solution, Tests

INTRO = Markdown(
    "intro",
    r"""
    # Homework 5: Replicating "MAPE over training epochs" for debiased deep learning (DeDL)

    The DeDL paper (Ye, Zhang, Zhang, Zhang and Zhang, *Deep Learning-Based Causal Inference for Large-Scale
    Combinatorial Experiments*, Management Science) estimates the effect of **every** combination of $m$
    treatments from an experiment that runs only a few of them. A structured network outputs parameters
    $\theta(x)$ of a known link $G$; the plug-in estimate from the network (SDL) is biased by the network's
    error, and DeDL removes the first-order part of that bias with an influence-function correction. Its
    Figure 7 plots the MAPE of the estimated effects of linear regression (LR), SDL and DeDL against the
    training epoch. You will rebuild that figure on synthetic data (the paper's data are not public).

    * Fill in every `YOUR CODE HERE`; keep names and signatures. Auto-graded functions come first, then the
      replication and a written summary (graded by hand).
    * Visible tests help; hidden tests decide, and the notebook is re-run with other seeds when graded.
    * CPU only: the whole notebook runs in well under a minute.
    """,
)

SETUP = Locked(
    "setup",
    """
    import hashlib
    import os
    import tempfile

    os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp())
    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    # One thread: faster for these small problems, and fair on a shared grading machine.
    threadpool_limits(limits=1)
    torch.set_num_threads(1)


    def fingerprint(*arrays):
        \"\"\"A short hash of the generated data (differs between seeds).\"\"\"
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(np.asarray(a, dtype=float).round(10)).tobytes())
        return h.hexdigest()[:16]


    M, DX = 4, 3  # number of treatments, number of covariates
    # All 2^M combinations: row i has t_k = bit k of i (row 0 is the control).
    COMBOS = np.array([[(i >> k) & 1 for k in range(M)] for i in range(2**M)], dtype=float)
    # The experiment runs M + 2 combinations: control, each single treatment, and treatments 1 and 2 together.
    SUPPORT = np.vstack([np.zeros(M), np.eye(M), [[1.0, 1.0, 0.0, 0.0]]])
    """,
)

DGP = Locked(
    "dgp",
    """
    # theta(x) = (theta_0(x), ..., theta_M(x), c(x));  y = c(x) * sigmoid(theta_0 + sum_k theta_k t_k) + noise
    SEED = int(os.environ.get("GRADER_SEED", "0"))
    rng = np.random.default_rng(SEED)
    torch.manual_seed(SEED)
    A_TRUE = rng.uniform(0.8, 1.6, M)
    B_TRUE = rng.uniform(-1.0, 1.0, (DX, M))
    C_TRUE = rng.uniform(8.0, 12.0)


    def true_theta(x):
        theta0 = -1.0 + np.sin(np.pi * x[:, 0]) - 0.5 * x[:, 1] ** 2
        thetak = A_TRUE + 0.5 * np.sin(2 * np.pi * x) @ B_TRUE
        scale = C_TRUE + 4.0 * x[:, 2] ** 2
        return np.column_stack([theta0, thetak, scale])


    def true_outcome(u, t):
        t = np.broadcast_to(np.asarray(t, dtype=float), (len(u), M))
        return u[:, -1] / (1.0 + np.exp(-(u[:, 0] + np.sum(u[:, 1:-1] * t, axis=1))))


    def simulate(r, n):
        \"\"\"n units, each randomized uniformly to one of the SUPPORT combinations.\"\"\"
        x = r.uniform(0.0, 1.0, (n, DX))
        t = SUPPORT[r.integers(0, len(SUPPORT), n)]
        y = true_outcome(true_theta(x), t) + r.normal(0.0, 0.5, n)
        return x, t, y


    x_train, t_train, y_train = simulate(rng, 2000)
    x_infer, t_infer, y_infer = simulate(rng, 2000)
    _u_mc = true_theta(rng.uniform(0.0, 1.0, (100_000, DX)))
    TRUE_ATE = np.array([np.mean(true_outcome(_u_mc, t) - true_outcome(_u_mc, COMBOS[0])) for t in COMBOS])
    print("true effects of the 16 combinations:", TRUE_ATE.round(2))
    print("data fingerprint:", fingerprint(x_train, t_train, y_train, x_infer, y_infer))
    """,
)

LINK_TEXT = Markdown(
    "link_text",
    r"""
    ## 1. The structured link and its gradient (5 points)

    With $u=(u_0,u_1,\dots,u_m,u_{m+1})$ the network's output for one unit and $t\in\{0,1\}^m$,
    $$G(u,t)=u_{m+1}\,\sigma\Big(u_0+\sum_{k=1}^m u_kt_k\Big),\qquad \sigma(z)=\frac{1}{1+e^{-z}}.$$

    * `structured_outcome(u, t)`: torch tensors `u` of shape `(n, m+2)` and `t` of shape `(n, m)` (or `(m,)`,
      the same combination for every row); returns the `(n,)` tensor $G$, differentiable in `u`.
    * `outcome_gradient(u, t)`: numpy; the `(n, m+2)` array of $\partial G/\partial u$ written out by hand:
      $\big(c\,\sigma'(\eta),\ c\,\sigma'(\eta)\,t_1,\dots,c\,\sigma'(\eta)\,t_m,\ \sigma(\eta)\big)$ with
      $c=u_{m+1}$, $\eta=u_0+\sum_k u_kt_k$ and $\sigma'=\sigma(1-\sigma)$.
    * `lambda_matrix(u, support)`: numpy; for every row the `(m+2, m+2)` matrix
      $\Lambda(x)=\frac1K\sum_{s=1}^K G_u(u,t_s)\,G_u(u,t_s)^\top$ over the $K$ rows of `support` (the
      experiment assigns them with equal probability). Returns shape `(n, m+2, m+2)`.
    """,
)

LINK_SOLUTION = Solution(
    "structured_outcome",
    '''
    def structured_outcome(u, t):
        """G(u, t) = u[:, -1] * sigmoid(u[:, 0] + sum_k u[:, k] t_k) for torch tensors."""
    ''',
    """
    t = torch.as_tensor(t, dtype=u.dtype).expand(u.shape[0], u.shape[1] - 2)
    return u[:, -1] * torch.sigmoid(u[:, 0] + (u[:, 1:-1] * t).sum(dim=1))
    """,
)

OUTCOME_NP = Locked(
    "outcome_np",
    """
    def outcome_np(u, t):
        \"\"\"structured_outcome for numpy arrays (float64 in, float64 out).\"\"\"
        u = torch.as_tensor(np.asarray(u, dtype=float))
        t = torch.as_tensor(np.broadcast_to(np.asarray(t, dtype=float), (u.shape[0], u.shape[1] - 2)).copy())
        with torch.no_grad():
            return structured_outcome(u, t).numpy()
    """,
)

GRADIENT_SOLUTION = Solution(
    "outcome_gradient",
    '''
    def outcome_gradient(u, t):
        """Analytic dG/du, shape (n, m+2), for numpy arrays."""
    ''',
    """
    u = np.asarray(u, dtype=float)
    t = np.broadcast_to(np.asarray(t, dtype=float), (u.shape[0], u.shape[1] - 2))
    s = 1.0 / (1.0 + np.exp(-(u[:, 0] + np.sum(u[:, 1:-1] * t, axis=1))))
    ds = u[:, -1] * s * (1.0 - s)
    return np.column_stack([ds, ds[:, None] * t, s])
    """,
)

LAMBDA_SOLUTION = Solution(
    "lambda_matrix",
    '''
    def lambda_matrix(u, support):
        """Lambda(x) = mean over support rows t of G_u(u, t) G_u(u, t)^T, shape (n, m+2, m+2)."""
    ''',
    """
    grads = np.stack([outcome_gradient(u, t) for t in np.asarray(support, dtype=float)], axis=1)
    return np.einsum("nki,nkj->nij", grads, grads) / grads.shape[1]
    """,
)

REFERENCE_RAW = '''
def _ref_G(u, t):
    t = torch.as_tensor(t, dtype=u.dtype).expand(u.shape[0], u.shape[1] - 2)
    return u[:, -1] * torch.sigmoid(u[:, 0] + (u[:, 1:-1] * t).sum(dim=1))


def _ref_Gu(u, t):
    _u = torch.tensor(np.asarray(u, dtype=float), requires_grad=True)
    _t = torch.as_tensor(np.broadcast_to(np.asarray(t, dtype=float), (_u.shape[0], _u.shape[1] - 2)).copy())
    _ref_G(_u, _t).sum().backward()
    return _u.grad.numpy()


def _ref_lambda(u, support):
    _g = np.stack([_ref_Gu(u, _t) for _t in support], axis=1)
    return np.einsum("nki,nkj->nij", _g, _g) / len(support)


class _reference_functions:
    """Within the block, the student's estimators call the reference link, gradient and Lambda."""

    def __enter__(self):
        _names = ("structured_outcome", "outcome_gradient", "lambda_matrix")
        self.saved = {k: globals()[k] for k in _names}
        globals().update(structured_outcome=_ref_G, outcome_gradient=_ref_Gu, lambda_matrix=_ref_lambda)

    def __exit__(self, *exc):
        globals().update(self.saved)
'''
# indented like the hidden-test strings it is prepended to, so that dedenting keeps both at top level
REFERENCE = textwrap.indent(REFERENCE_RAW, "    ")

LINK_TESTS = Tests(
    "link",
    1,
    """
    u_demo = torch.tensor([[0.0, 1.0, -1.0, 0.5, 0.0, 2.0], [1.0, 0.0, 0.0, 0.0, 0.0, 4.0]], dtype=torch.float64)
    g_demo = structured_outcome(u_demo, torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], dtype=torch.float64))
    assert g_demo.shape == (2,) and abs(float(g_demo[0]) - 1.0) < 1e-12
    """,
    REFERENCE
    + """
    _r = np.random.default_rng(100 + SEED)
    _u = torch.tensor(_r.normal(size=(50, M + 2)), dtype=torch.float64, requires_grad=True)
    _t = torch.tensor(COMBOS[_r.integers(0, 16, 50)])
    _g = structured_outcome(_u, _t)
    assert np.allclose(_g.detach().numpy(), _ref_G(_u, _t).detach().numpy(), atol=1e-12)
    _g.sum().backward()  # differentiable in u
    assert _u.grad is not None and np.all(np.isfinite(_u.grad.numpy()))
    _one = structured_outcome(_u.detach(), torch.tensor(COMBOS[5]))
    assert np.allclose(_one.numpy(), _ref_G(_u.detach(), torch.tensor(COMBOS[5])).numpy(), atol=1e-12)
    """,
)

GRADIENT_TESTS = Tests(
    "link_gradient",
    2,
    """
    # finite differences at one point
    u0 = np.array([[0.3, -0.2, 0.7, 0.1, 0.4, 9.0]])
    t0 = np.array([1.0, 0.0, 1.0, 1.0])
    fd = np.array([(outcome_np(u0 + 1e-6 * np.eye(6)[j], t0) - outcome_np(u0 - 1e-6 * np.eye(6)[j], t0))[0] / 2e-6
                   for j in range(6)])
    assert np.allclose(np.asarray(outcome_gradient(u0, t0), dtype=float)[0], fd, atol=1e-6)
    """,
    REFERENCE
    + """
    _r = np.random.default_rng(200 + SEED)
    _u = _r.normal(size=(40, M + 2)) * [1, 1, 1, 1, 1, 5]
    _t = COMBOS[_r.integers(0, 16, 40)]
    assert np.allclose(np.asarray(outcome_gradient(_u, _t), dtype=float), _ref_Gu(_u, _t), atol=1e-10)
    assert np.allclose(np.asarray(outcome_gradient(_u, COMBOS[11]), dtype=float), _ref_Gu(_u, COMBOS[11]), atol=1e-10)
    """,
)

LAMBDA_TESTS = Tests(
    "lambda",
    2,
    """
    lam_demo = np.asarray(lambda_matrix(true_theta(x_infer[:5]), SUPPORT), dtype=float)
    assert lam_demo.shape == (5, M + 2, M + 2)
    assert np.allclose(lam_demo, np.transpose(lam_demo, (0, 2, 1)))
    assert np.all(np.linalg.eigvalsh(lam_demo) > 0)  # M + 2 support points identify all M + 2 parameters
    """,
    REFERENCE
    + """
    _r = np.random.default_rng(300 + SEED)
    _u = _r.normal(size=(30, M + 2)) * [1, 1, 1, 1, 1, 5]
    _student_lambda = lambda_matrix  # the block below swaps in the reference gradient (and Lambda)
    with _reference_functions():
        _got = np.asarray(_student_lambda(_u, SUPPORT), dtype=float)
        _got2 = np.asarray(_student_lambda(_u, COMBOS), dtype=float)
    assert np.allclose(_got, _ref_lambda(_u, SUPPORT), atol=1e-10)
    assert np.allclose(_got2, _ref_lambda(_u, COMBOS), atol=1e-10)
    """,
)

LINK_CELLS = [
    INTRO,
    SETUP,
    DGP,
    LINK_TEXT,
    LINK_SOLUTION,
    OUTCOME_NP,
    GRADIENT_SOLUTION,
    LAMBDA_SOLUTION,
    LINK_TESTS,
    GRADIENT_TESTS,
    LAMBDA_TESTS,
]
