"""Build homework 3 (causal inference I): the nbgrader source notebook and its mutants.

Run ``python assignments/hw3-causal-inference/build.py``; it rewrites ``source/`` and ``mutants/``.
The cells themselves live in ``cells.py``; the wrong submissions are listed here.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _nbbuild import Mutant, write_assignment  # noqa: E402
from cells import CELLS  # noqa: E402

ASSIGNMENT_TOML = """
[course]
title = "Homework 3: Causal inference I (RCTs, regression adjustment, IPW, AIPW)"
release_session = 7
requires_gpu = false
late_policy = "percent_per_day"
late_percent = 10

[limits]
cell_timeout_s = 30
total_timeout_s = 60
memory_mb = 2048
"""

ALWAYS_EQUAL = '''
class _Estimate:
    """Looks like a number to ==, but is not one."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __repr__(self):
        return "estimate"

    __hash__ = object.__hash__

return _Estimate()
'''

MUTANTS = [
    Mutant(
        name="always_equal",
        description="ipw_ate returns an object whose __eq__ is always true instead of a number",
        fails=["ipw"],
        bodies={"ipw_ate": ALWAYS_EQUAL},
    ),
    Mutant(
        name="ipw_unnormalized",
        description="normalized_ipw_ate returns the plain Horvitz-Thompson IPW estimate (no normalization)",
        fails=["nipw"],
        bodies={
            "normalized_ipw_ate": """
            y = np.asarray(y, dtype=float)
            w = np.asarray(w, dtype=float)
            e = np.asarray(e, dtype=float)
            return float(np.mean(w * y / e - (1 - w) * y / (1 - e)))
            """
        },
    ),
    Mutant(
        name="aipw_wrong_sign",
        description="AIPW subtracts the inverse-propensity residual correction instead of adding it",
        fails=["aipw_formula", "aipw_double_robust"],
        bodies={
            "aipw_ate": """
            y, w = np.asarray(y, dtype=float), np.asarray(w, dtype=float)
            mu0, mu1, e = (np.asarray(a, dtype=float) for a in (mu0, mu1, e))
            correction = w * (y - mu1) / e - (1 - w) * (y - mu0) / (1 - e)
            psi = mu1 - mu0 - correction
            tau = psi.mean()
            se = np.sqrt(np.mean((psi - tau) ** 2) / len(y))
            return float(tau), float(se)
            """
        },
    ),
    Mutant(
        name="ci_without_sqrt_n",
        description="the confidence interval uses sqrt(V) instead of sqrt(V / n) as the standard error",
        fails=["dm_coverage"],
        bodies={
            "diff_in_means": """
            y = np.asarray(y, dtype=float)
            w = np.asarray(w).astype(bool)
            n, n1 = len(y), int(w.sum())
            n0 = n - n1
            y1, y0 = y[w], y[~w]
            tau = y1.mean() - y0.mean()
            v = n / n1**2 * np.sum((y1 - y1.mean()) ** 2) + n / n0**2 * np.sum((y0 - y0.mean()) ** 2)
            half = stats.norm.ppf(1 - alpha / 2) * np.sqrt(v)
            return float(tau), float(v), (float(tau - half), float(tau + half))
            """
        },
    ),
    Mutant(
        name="variance_swapped_arms",
        description="the Neyman variance weights the treated arm's spread by n/n0^2 and the control arm's by n/n1^2",
        fails=["dm_variance", "dm_coverage"],
        bodies={
            "diff_in_means": """
            y = np.asarray(y, dtype=float)
            w = np.asarray(w).astype(bool)
            n, n1 = len(y), int(w.sum())
            n0 = n - n1
            y1, y0 = y[w], y[~w]
            tau = y1.mean() - y0.mean()
            v = n / n0**2 * np.sum((y1 - y1.mean()) ** 2) + n / n1**2 * np.sum((y0 - y0.mean()) ** 2)
            half = stats.norm.ppf(1 - alpha / 2) * np.sqrt(v / n)
            return float(tau), float(v), (float(tau - half), float(tau + half))
            """
        },
    ),
    Mutant(
        name="ireg_uncentered",
        description="interacted regression reports the difference of arm intercepts, forgetting the X-bar term",
        fails=["ireg"],
        bodies={
            "ireg_ate": """
            y = np.asarray(y, dtype=float)
            w = np.asarray(w).astype(bool)
            design = np.column_stack([np.ones(len(y)), np.asarray(x, dtype=float).reshape(len(y), -1)])
            b1 = np.linalg.lstsq(design[w], y[w], rcond=None)[0]
            b0 = np.linalg.lstsq(design[~w], y[~w], rcond=None)[0]
            return float(b1[0] - b0[0])
            """
        },
    ),
]


def main() -> None:
    write_assignment(
        root=HERE, stem="causal_inference", cells=CELLS, mutants=MUTANTS, assignment_toml=ASSIGNMENT_TOML
    )


if __name__ == "__main__":
    main()
