"""Homework 1, parts 3-4: KNN and k-fold cross-validation by hand, and bootstrap vs OLS standard errors.

The CV tests pass fold lists they build themselves, so a mistake in ``kfold_indices`` costs only its own
points; the leakage check uses 1-nearest-neighbour, whose validation error is zero exactly when the
validation rows were seen in training.
"""

from nbbuild import answer, locked, markdown, solution, tests

CROSS_VALIDATION = [
    markdown(
        "cv-intro",
        r"""
        ## 3. Tuning KNN and a regression tree by k-fold cross-validation (2 + 2 + 3 + 2 points)

        **KNN regression** predicts $\hat y(x) = \frac1k \sum_{i \in N_k(x)} y_i$, the mean over the $k$
        training rows closest to $x$ in Euclidean distance (break distance ties by the lower training index).

        **k-fold CV** (Algorithm 1 of the notes): shuffle the rows, cut them into $k$ folds; for each fold $j$,
        fit a *fresh* model on the other $k-1$ folds only and compute its mean squared error $\hat e_j$ on
        fold $j$; report $\hat e_{\mathrm{CV}} = \frac1k\sum_j \hat e_j$. The validation fold must never be
        used to fit the model it validates. A model here is anything with scikit-learn's `fit(X, y)` (which
        returns the model) and `predict(X)`; `make_model()` returns a new, unfitted one.
        """,
    ),
    solution(
        "knn_regress",
        """
        def knn_regress(X_train, y_train, X_test, k):
            \"\"\"Mean of y over the k nearest training rows (Euclidean) of each test row; ties -> lower index.\"\"\"
            ### BEGIN SOLUTION
            X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
            sq_dist = ((X_test[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=2)
            nearest = np.argsort(sq_dist, axis=1, kind="stable")[:, :k]
            return np.asarray(y_train, dtype=float)[nearest].mean(axis=1)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_knn",
        2,
        """
        assert np.allclose(knn_regress(Z_train[:50], y_train[:50], Z_train[:50], k=1), y_train[:50]), "k=1 on training rows"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(41)
        A_tr, A_te = rng_t.normal(size=(120, 3)), rng_t.normal(size=(30, 3))
        b_tr = A_tr @ np.array([1.0, -1.0, 2.0]) + rng_t.normal(size=120)
        for k_t in (1, 5, 17):
            ref = KNeighborsRegressor(n_neighbors=k_t, algorithm="brute").fit(A_tr, b_tr).predict(A_te)
            assert np.allclose(np.asarray(knn_regress(A_tr, b_tr, A_te, k_t), dtype=float), ref, atol=1e-10)
        perm = rng_t.permutation(120)
        assert np.allclose(
            np.asarray(knn_regress(A_tr[perm], b_tr[perm], A_te, 5), dtype=float),
            np.asarray(knn_regress(A_tr, b_tr, A_te, 5), dtype=float),
        ), "predictions cannot depend on the order of the training rows"
        ### END HIDDEN TESTS
        """,
    ),
    locked(
        "hand-knn",
        """
        class HandKNN:
            \"\"\"A scikit-learn-style wrapper around your knn_regress.\"\"\"

            def __init__(self, k):
                self.k = k

            def fit(self, X, y):
                self.X_, self.y_ = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
                return self

            def predict(self, X):
                return knn_regress(self.X_, self.y_, np.asarray(X, dtype=float), self.k)
        """,
    ),
    solution(
        "kfold_indices",
        """
        def kfold_indices(n, k, seed):
            \"\"\"Shuffle 0..n-1 with np.random.default_rng(seed) and cut the order into k folds whose sizes differ
            by at most one. Returns a list of k pairs (train_idx, val_idx): val_idx is fold j, train_idx all other rows.
            \"\"\"
            ### BEGIN SOLUTION
            folds = np.array_split(np.random.default_rng(seed).permutation(n), k)
            return [(np.concatenate([f for i, f in enumerate(folds) if i != j]), folds[j]) for j in range(k)]
            ### END SOLUTION
        """,
    ),
    tests(
        "test_kfold_indices",
        2,
        """
        demo_folds = kfold_indices(20, 4, seed=0)
        assert len(demo_folds) == 4 and all(len(va) == 5 and len(tr) == 15 for tr, va in demo_folds)
        ### BEGIN HIDDEN TESTS
        folds_t = kfold_indices(103, 5, seed=8)
        assert len(folds_t) == 5
        vals = [np.asarray(va, dtype=int) for _, va in folds_t]
        assert sorted(len(va) for va in vals) == [20, 20, 21, 21, 21], "fold sizes differ by at most one"
        assert np.array_equal(np.sort(np.concatenate(vals)), np.arange(103)), "folds are disjoint and cover all rows"
        for tr, va in folds_t:
            assert np.array_equal(np.sort(np.asarray(tr, dtype=int)), np.setdiff1d(np.arange(103), va)), "train = the rest"
        assert any(np.any(np.diff(np.sort(va)) > 1) for va in vals), "rows must be shuffled before splitting"
        same = kfold_indices(103, 5, seed=8)
        assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds_t, same)), "same seed, same folds"
        other = kfold_indices(103, 5, seed=9)
        assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds_t, other)), "the seed matters"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "cv_mse",
        """
        def cv_mse(make_model, X, y, folds):
            \"\"\"k-fold CV estimate of the test MSE: the mean over folds of the validation MSE of a fresh
            make_model() fitted on that fold's training rows only. Returns a float.
            \"\"\"
            ### BEGIN SOLUTION
            fold_errors = []
            for train_idx, val_idx in folds:
                model = make_model().fit(X[train_idx], y[train_idx])
                fold_errors.append(np.mean((y[val_idx] - model.predict(X[val_idx])) ** 2))
            return float(np.mean(fold_errors))
            ### END SOLUTION
        """,
    ),
    tests(
        "test_cv_mse",
        3,
        """
        blocks = np.array_split(np.arange(len(y_train)), 5)
        simple_folds = [(np.setdiff1d(np.arange(len(y_train)), va), va) for va in blocks]
        cv_tree3 = cv_mse(lambda: DecisionTreeRegressor(max_depth=3, random_state=0), Z_train, y_train, simple_folds)
        assert cv_tree3 == cv_mse(lambda: DecisionTreeRegressor(max_depth=3, random_state=0), Z_train, y_train, simple_folds)
        assert cv_tree3 > 0
        print("CV MSE of a depth-3 tree:", cv_tree3)
        ### BEGIN HIDDEN TESTS
        perm_t = np.random.default_rng(11).permutation(len(y_train))
        folds_t = [(np.setdiff1d(np.arange(len(y_train)), va), va) for va in np.array_split(perm_t, 7)]


        def reference_cv(make):
            errors = []
            for tr, va in folds_t:
                fitted = make().fit(Z_train[tr], y_train[tr])
                errors.append(np.mean((y_train[va] - fitted.predict(Z_train[va])) ** 2))
            return float(np.mean(errors))


        for make in (
            lambda: DecisionTreeRegressor(max_depth=4, random_state=0),
            lambda: KNeighborsRegressor(n_neighbors=1, algorithm="brute"),
            lambda: KNeighborsRegressor(n_neighbors=10, algorithm="brute"),
        ):
            expected = reference_cv(make)
            assert abs(float(cv_mse(make, Z_train, y_train, folds_t)) - expected) <= 1e-9 * expected
        assert float(cv_mse(lambda: KNeighborsRegressor(n_neighbors=1), Z_train, y_train, folds_t)) > 1.0, "leak"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "select_by_cv",
        """
        def select_by_cv(make_model, grid, X, y, folds):
            \"\"\"For each value g in grid, the CV MSE of make_model(g) on the given folds.

            Returns (best_value, scores): scores[i] belongs to grid[i]; ties go to the earliest value in grid.
            \"\"\"
            ### BEGIN SOLUTION
            scores = [cv_mse(lambda g=g: make_model(g), X, y, folds) for g in grid]
            return grid[int(np.argmin(scores))], scores
            ### END SOLUTION
        """,
    ),
    tests(
        "test_select_by_cv",
        2,
        """
        best_depth, depth_scores = select_by_cv(lambda d: DecisionTreeRegressor(max_depth=d, random_state=0), [1, 2, 3], Z_train, y_train, simple_folds)
        assert best_depth in (1, 2, 3) and len(depth_scores) == 3
        ### BEGIN HIDDEN TESTS
        perm_t = np.random.default_rng(12).permutation(len(y_train))
        folds_t = [(np.setdiff1d(np.arange(len(y_train)), va), va) for va in np.array_split(perm_t, 5)]
        grid_t = [1, 2, 3, 4, 6, 8, 12]
        expected = []
        for d in grid_t:
            errors = []
            for tr, va in folds_t:
                fitted = DecisionTreeRegressor(max_depth=d, random_state=0).fit(Z_train[tr], y_train[tr])
                errors.append(np.mean((y_train[va] - fitted.predict(Z_train[va])) ** 2))
            expected.append(np.mean(errors))
        best_t, scores_t = select_by_cv(lambda d: DecisionTreeRegressor(max_depth=d, random_state=0), grid_t, Z_train, y_train, folds_t)
        assert np.allclose(np.asarray(scores_t, dtype=float), expected, rtol=1e-9, atol=0)
        assert best_t == grid_t[int(np.argmin(expected))]


        class Constant:
            def fit(self, X, y):
                self.c = float(np.mean(y))
                return self

            def predict(self, X):
                return np.full(len(X), self.c)


        tie_best, _ = select_by_cv(lambda g: Constant(), [5, 3, 9], Z_train, y_train, folds_t)
        assert tie_best == 5, "ties go to the earliest grid value"
        ### END HIDDEN TESTS
        """,
    ),
    locked(
        "cv-demo",
        """
        folds = kfold_indices(len(y_train), 5, seed=SEED)
        k_grid = [1, 2, 3, 5, 8, 12, 17, 25, 35, 50]
        depth_grid = list(range(1, 13))
        best_k, k_scores = select_by_cv(HandKNN, k_grid, Z_train, y_train, folds)
        best_depth, tree_scores = select_by_cv(lambda d: DecisionTreeRegressor(max_depth=d, random_state=0), depth_grid, Z_train, y_train, folds)
        print("CV MSE by k:    ", {k: round(float(s), 1) for k, s in zip(k_grid, k_scores)})
        print("CV MSE by depth:", {d: round(float(s), 1) for d, s in zip(depth_grid, tree_scores)})
        test_mse = {
            f"KNN, k={best_k}": np.mean((y_test - HandKNN(best_k).fit(Z_train, y_train).predict(Z_test)) ** 2),
            f"tree, depth={best_depth}": np.mean((y_test - DecisionTreeRegressor(max_depth=best_depth, random_state=0).fit(Z_train, y_train).predict(Z_test)) ** 2),
            "OLS": np.mean((y_test - D_test @ ols_fit(D_train, y_train)) ** 2),
        }
        for name, value in test_mse.items():
            print(f"test MSE {name:>16}: {value:8.1f}")
        """,
    ),
    answer(
        "answer_cv",
        3,
        r"""
        The CV error is U-shaped in both hyperparameters. With $k=1$ or a very deep tree each prediction rests
        on one or a few sales, so the fit follows the noise of the training folds: low bias, high variance.
        With very large $k$ or a stump, homes far apart in distance to the centre are averaged together:
        low variance, high bias. CV picks the bottom of the curve (a moderate $k$ of roughly 10-20 and a depth
        of about 4-6 on most draws). The tuned KNN usually beats OLS on the test set because price falls
        convexly with distance, which a linear model cannot represent; the tuned tree is piecewise constant with
        few leaves, so it is coarse in floor area (which enters smoothly) and tends to do worst. The CV errors
        are close to the test errors, up to the noise of 200 test sales; choosing by training error instead
        would always pick $k=1$ or the deepest tree.
        """,
    ),
]

BOOTSTRAP = [
    markdown(
        "bootstrap-intro",
        r"""
        ## 4. Bootstrap standard errors vs OLS standard errors (2 + 3 points)

        The textbook OLS standard errors are $\mathrm{se}_j = \sqrt{s^2 [(X^\top X)^{-1}]_{jj}}$ with
        $s^2 = \frac{1}{n-p}\sum_i (y_i - x_i^\top\hat\beta)^2$; they assume the noise has the same variance for
        every row. The **pairs bootstrap** makes no such assumption: draw $n$ rows with replacement (keeping
        each row's $x_i$ and $y_i$ together), refit OLS, repeat $B$ times and report the standard deviation
        (`ddof=1`) of the $B$ coefficient vectors. Use `np.random.default_rng(seed)` for the draws.
        """,
    ),
    solution(
        "ols_se",
        """
        def ols_se(X, y):
            \"\"\"Classical OLS standard errors sqrt(s^2 diag((X'X)^-1)) with s^2 = RSS / (n - p).\"\"\"
            ### BEGIN SOLUTION
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            n, p = X.shape
            resid = y - X @ ols_fit(X, y)
            s2 = resid @ resid / (n - p)
            return np.sqrt(s2 * np.diag(np.linalg.inv(X.T @ X)))
            ### END SOLUTION
        """,
    ),
    tests(
        "test_ols_se",
        2,
        """
        rng_v = np.random.default_rng(5)
        x_v = rng_v.normal(size=2000)
        se_v = ols_se(np.column_stack([np.ones(2000), x_v]), 1.0 + x_v + rng_v.normal(size=2000))
        assert np.asarray(se_v).shape == (2,) and abs(se_v[1] / (1 / np.sqrt(2000)) - 1) < 0.1, "about 1/sqrt(n)"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(51)
        X_h = np.column_stack([np.ones(12), rng_t.normal(size=(12, 3))])
        y_h = X_h @ np.array([1.0, 0.5, -0.5, 2.0]) + rng_t.normal(size=12)
        resid_h = y_h - X_h @ np.linalg.lstsq(X_h, y_h, rcond=None)[0]
        expected = np.sqrt(resid_h @ resid_h / (12 - 4) * np.diag(np.linalg.inv(X_h.T @ X_h)))
        assert np.allclose(np.asarray(ols_se(X_h, y_h), dtype=float), expected, rtol=1e-9, atol=0), "s^2 = RSS/(n-p)"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "bootstrap_se",
        """
        def bootstrap_se(X, y, B, seed):
            \"\"\"Pairs-bootstrap standard errors of the OLS coefficients from B resamples of the rows.\"\"\"
            ### BEGIN SOLUTION
            X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
            rng = np.random.default_rng(seed)
            n = len(y)
            draws = np.empty((B, X.shape[1]))
            for b in range(B):
                idx = rng.integers(0, n, size=n)
                draws[b] = ols_fit(X[idx], y[idx])
            return draws.std(axis=0, ddof=1)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_bootstrap_se",
        3,
        """
        se_boot = bootstrap_se(D_train, y_train, B=300, seed=1)
        assert np.asarray(se_boot).shape == (5,) and np.all(np.asarray(se_boot) > 0)
        assert np.allclose(se_boot, bootstrap_se(D_train, y_train, B=300, seed=1)), "same seed, same answer"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(61)
        x_t = rng_t.normal(size=400)
        X_h = np.column_stack([np.ones(400), x_t])
        y_homo = 1.0 + 2.0 * x_t + rng_t.normal(size=400)
        y_het = 1.0 + 2.0 * x_t + 1.5 * np.abs(x_t) * rng_t.normal(size=400)


        def classical(y):
            r = y - X_h @ np.linalg.lstsq(X_h, y, rcond=None)[0]
            return np.sqrt(r @ r / (400 - 2) * np.diag(np.linalg.inv(X_h.T @ X_h)))


        def sandwich(y):
            r = y - X_h @ np.linalg.lstsq(X_h, y, rcond=None)[0]
            bread = np.linalg.inv(X_h.T @ X_h)
            return np.sqrt(np.diag(bread @ (X_h.T * r**2) @ X_h @ bread))


        se_homo = np.asarray(bootstrap_se(X_h, y_homo, 1000, 1), dtype=float)
        assert se_homo.shape == (2,)
        assert not np.allclose(se_homo, np.asarray(bootstrap_se(X_h, y_homo, 1000, 2), dtype=float), rtol=0, atol=1e-12)
        se_het = np.asarray(bootstrap_se(X_h, y_het, 1000, 3), dtype=float)
        # (S) Repetitions: one bootstrap of B = 1000 per data set (the data are fixed; only the resampling is
        # random). Tolerance: relative error 0.2. Over 300 resampling seeds the reference's ratios were
        # homoskedastic/OLS 1.00 and 1.06 (sd 0.024), heteroskedastic/sandwich 1.00 (sd 0.023) and slope/OLS
        # 1.74 (sd 0.038): every bound is at least 5.8 sd away, so P(false failure) < 1e-8 (normal tails).
        assert np.all(np.abs(se_homo / classical(y_homo) - 1) < 0.2), "homoskedastic: bootstrap ~ OLS formula"
        assert np.all(np.abs(se_het / sandwich(y_het) - 1) < 0.2), "heteroskedastic: bootstrap ~ sandwich"
        assert se_het[1] > 1.3 * classical(y_het)[1], "the pairs bootstrap sees the heteroskedasticity"
        ### END HIDDEN TESTS
        """,
    ),
    locked(
        "bootstrap-demo",
        """
        se_formula = ols_se(D_train, y_train)
        se_pairs = bootstrap_se(D_train, y_train, B=500, seed=SEED)
        print(f"{'coefficient':>12} {'estimate':>9} {'OLS se':>8} {'bootstrap se':>13}")
        for name, b, s1, s2 in zip(["intercept", *FEATURES], ols_fit(D_train, y_train), se_formula, se_pairs):
            print(f"{name:>12} {b:9.3f} {s1:8.3f} {s2:13.3f}")
        """,
    ),
    answer(
        "answer_bootstrap",
        2,
        r"""
        The two agree for some coefficients and not for others: the bootstrap standard error of the distance
        coefficient (and usually the intercept's) is clearly larger than the formula's. The formula
        $s^2 (X^\top X)^{-1}$ assumes every sale has the same error variance. Here that fails twice: the noise
        grows with floor area, and the linear model misses the convex effect of distance, so the residuals of
        homes close to the centre are systematically large. The pairs bootstrap resamples whole rows, keeping
        each home's error with its own $x_i$, so it estimates the heteroskedasticity-robust (sandwich) standard
        error. I would report the bootstrap (or robust) standard errors; with constant noise the two coincide.
        """,
    ),
]
