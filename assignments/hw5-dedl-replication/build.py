"""Build homework 5 (DeDL replication): the nbgrader source notebook and its mutants.

Run ``python assignments/hw5-dedl-replication/build.py``; it rewrites ``source/`` and ``mutants/``.
The cells live in ``cells.py``, ``cells_estimators.py`` and ``cells_replication.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _nbbuild import Mutant, write_assignment  # noqa: E402
from cells import LINK_CELLS  # noqa: E402
from cells_estimators import ESTIMATOR_CELLS  # noqa: E402
from cells_replication import REPLICATION_CELLS  # noqa: E402

CELLS = [*LINK_CELLS, *ESTIMATOR_CELLS, *REPLICATION_CELLS]

ASSIGNMENT_TOML = """
[course]
title = "Homework 5: Replication of DeDL (MAPE over training epochs)"
release_session = 9
requires_gpu = false
late_policy = "percent_per_day"
late_percent = 10

[limits]
cell_timeout_s = 40
total_timeout_s = 60
memory_mb = 2048
"""

ALWAYS_EQUAL = '''
class _Score:
    """Equal to everything, but not a number."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __repr__(self):
        return "score"

    __hash__ = object.__hash__

return _Score()
'''

MUTANTS = [
    Mutant(
        name="dedl_wrong_sign",
        description="DeDL subtracts the influence-function correction instead of adding it",
        fails=["dedl_formula", "dedl_orthogonal"],
        bodies={
            "dedl_ate": """
            u, y = np.asarray(u, dtype=float), np.asarray(y, dtype=float)
            t0 = np.zeros(u.shape[1] - 2)
            lam = lambda_matrix(u, support) + ridge * np.eye(u.shape[1])
            h = outcome_np(u, t) - outcome_np(u, t0)
            h_u = outcome_gradient(u, t) - outcome_gradient(u, t0)
            score = outcome_gradient(u, t_obs) * (y - outcome_np(u, t_obs))[:, None]
            correction = np.sum(h_u * np.linalg.solve(lam, score[..., None])[..., 0], axis=1)
            return float(np.mean(h - correction))
            """
        },
    ),
    Mutant(
        name="lambda_summed",
        description="Lambda(x) sums the outer products over the support instead of averaging them",
        fails=["lambda"],
        bodies={
            "lambda_matrix": """
            grads = np.stack([outcome_gradient(u, t) for t in np.asarray(support, dtype=float)], axis=1)
            return np.einsum("nki,nkj->nij", grads, grads)
            """
        },
    ),
    Mutant(
        name="no_optimizer_step",
        description="the training loop computes and back-propagates the loss but never calls optimizer.step()",
        fails=["training"],
        bodies={
            "train_structured_net": """
            x, t, y = (torch.as_tensor(np.asarray(a), dtype=torch.float32) for a in (x, t, y))
            generator = torch.Generator().manual_seed(seed)
            optimizer = torch.optim.Adam(net.parameters(), lr=lr)
            history = []
            for epoch in range(1, epochs + 1):
                net.train()
                order = torch.randperm(len(y), generator=generator)
                total = 0.0
                for start in range(0, len(y), batch_size):
                    idx = order[start:start + batch_size]
                    optimizer.zero_grad()
                    loss = torch.mean((structured_outcome(net(x[idx]), t[idx]) - y[idx]) ** 2)
                    loss.backward()
                    total += loss.item() * len(idx)
                history.append(total / len(y))
                if on_epoch is not None:
                    on_epoch(epoch, history[-1])
            return history
            """
        },
    ),
    Mutant(
        name="always_equal",
        description="mape returns an object whose __eq__ is always true instead of a number",
        fails=["mape_test"],
        bodies={"mape": ALWAYS_EQUAL},
    ),
    Mutant(
        name="lr_without_covariates",
        description="the linear regression leaves the covariates x out of the design",
        fails=["lr"],
        bodies={
            "lr_ate": """
            t_obs = np.asarray(t_obs, dtype=float)
            design = np.column_stack([np.ones(len(y)), t_obs])
            beta = np.linalg.lstsq(design, np.asarray(y, dtype=float), rcond=None)[0]
            return float(beta[1:] @ np.asarray(t, dtype=float))
            """
        },
    ),
]


def main() -> None:
    write_assignment(
        root=HERE, stem="dedl_replication", cells=CELLS, mutants=MUTANTS, assignment_toml=ASSIGNMENT_TOML
    )


if __name__ == "__main__":
    main()
