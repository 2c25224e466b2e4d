"""Build homework 4 (DML and heterogeneous effects): the nbgrader source notebook and its mutants.

Run ``python assignments/hw4-dml-hte/build.py``; it rewrites ``source/`` and ``mutants/``.
The cells live in ``cells.py``, ``tests_dml.py``, ``cells_hte.py`` and ``cells_policy.py``.
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
title = "Homework 4: Double machine learning and heterogeneous treatment effects"
release_session = 8
requires_gpu = false
late_policy = "percent_per_day"
late_percent = 10

[limits]
cell_timeout_s = 30
total_timeout_s = 60
memory_mb = 2048
"""

ALWAYS_EQUAL = '''
class _Value:
    """Compares equal to anything, but is not a number."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __repr__(self):
        return "value"

    __hash__ = object.__hash__

return _Value()
'''

MUTANTS = [
    Mutant(
        name="no_crossfit",
        description="DML fits both nuisances on the whole sample and residualizes in-sample (no cross-fitting)",
        fails=["dml_estimate", "dml_se", "econml_agree"],
        bodies={
            "dml_plr": """
            y, d = np.asarray(y, dtype=float), np.asarray(d, dtype=float)
            x = np.asarray(x, dtype=float)
            u = y - clone(learner_y).fit(x, y).predict(x)
            v = d - clone(learner_d).fit(x, d).predict(x)
            theta = np.sum(v * u) / np.sum(v * v)
            psi = v * (u - theta * v)
            se = np.sqrt(np.mean(psi**2) / np.mean(v * v) ** 2 / len(y))
            return float(theta), float(se)
            """
        },
    ),
    Mutant(
        name="xlearner_swapped_weights",
        description="X-learner weights tau_1 by e(x) and tau_0 by 1 - e(x) (propensity weights swapped)",
        fails=["x_learner_test"],
        bodies={
            "x_learner": """
            x, y, d = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(d).astype(bool)
            x_new, e_new = np.asarray(x_new, dtype=float), np.asarray(e_new, dtype=float)
            mu1 = clone(learner).fit(x[d], y[d])
            mu0 = clone(learner).fit(x[~d], y[~d])
            tau1 = clone(learner).fit(x[d], y[d] - mu0.predict(x[d]))
            tau0 = clone(learner).fit(x[~d], mu1.predict(x[~d]) - y[~d])
            return e_new * tau1.predict(x_new) + (1 - e_new) * tau0.predict(x_new)
            """
        },
    ),
    Mutant(
        name="forest_swapped_arguments",
        description="CausalForest.fit called as fit(X, y, T): outcome and treatment swapped",
        fails=["causal_forest"],
        bodies={
            "causal_forest_cate": """
            forest = CausalForest(n_estimators=100, min_samples_leaf=5, n_jobs=1, random_state=seed)
            forest.fit(np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(d, dtype=float))
            return np.asarray(forest.predict(np.asarray(x_new, dtype=float)), dtype=float).ravel()
            """
        },
    ),
    Mutant(
        name="always_equal",
        description="policy_value_aipw returns an object whose __eq__ is always true instead of a number",
        fails=["policy_value"],
        bodies={"policy_value_aipw": ALWAYS_EQUAL},
    ),
    Mutant(
        name="policy_value_ipw_only",
        description="the policy value drops the outcome-model terms (plain IPW value instead of AIPW)",
        fails=["policy_value"],
        bodies={
            "policy_value_aipw": """
            pi, y, d, e = (np.asarray(a, dtype=float) for a in (pi, y, d, e))
            return float(np.mean(pi * d * y / e + (1 - pi) * (1 - d) * y / (1 - e)))
            """
        },
    ),
]


def main() -> None:
    write_assignment(root=HERE, stem="dml_hte", cells=CELLS, mutants=MUTANTS, assignment_toml=ASSIGNMENT_TOML)


if __name__ == "__main__":
    main()
