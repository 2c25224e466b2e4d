"""Homework 1, parts 0-2: set-up, the generated housing data, OLS two ways, and optimisers by hand.

Each cell is written out in full; the hidden tests use fixed internal seeds so that a given submission
always gets the same score, whatever GRADER_SEED the data cell was run with.
"""

from nbbuild import locked, markdown, solution, tests

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 1: Supervised learning by hand

        DOTE 6635 *AI for Business Research*, session 1 (Introduction to Supervised Learning).

        You will implement, with NumPy only, the pieces of supervised learning that libraries hide:

        1. ordinary least squares by the normal equations and by gradient descent;
        2. SGD with momentum and Adam, checked against `torch.optim`;
        3. k-nearest neighbours and k-fold cross-validation, used to tune KNN and a regression tree on a
           housing data set;
        4. bootstrap standard errors, compared with the textbook OLS standard errors.

        Fill in every cell that says `YOUR CODE HERE` (delete the `raise NotImplementedError()` line) and
        the two written answers. The cells after each function run a few visible checks; more checks run
        when your notebook is graded. Do not use scikit-learn or `np.linalg.lstsq` inside the functions you
        write (they are used only to check your work). Before submitting, restart the kernel and run all cells.
        """,
    ),
    locked(
        "setup",
        """
        import os

        import matplotlib.pyplot as plt
        import numpy as np
        import torch
        from sklearn.neighbors import KNeighborsRegressor
        from sklearn.tree import DecisionTreeRegressor

        torch.set_num_threads(1)
        np.set_printoptions(precision=4, suppress=True)
        """,
    ),
    markdown(
        "data-intro",
        r"""
        ## The data

        The cell below generates 800 home sales: floor area (m²), number of rooms, age (years) and
        distance to the city centre (km), and the sale price (in thousands). Prices depend non-linearly on
        distance, and the noise grows with the size of the home. The first 600 sales are the training set,
        the last 200 the test set. `Z_train`/`Z_test` hold the features standardised with the training
        means and standard deviations; `D_train`/`D_test` add an intercept column to the raw features.

        The grader runs the notebook with several random seeds, so your code must work for any draw.
        """,
    ),
    locked(
        "data-housing",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))
        FEATURES = ["area_m2", "rooms", "age_years", "distance_km"]


        def make_housing(n, rng):
            area = rng.lognormal(mean=np.log(90.0), sigma=0.35, size=n)
            rooms = np.clip(np.round(area / 30.0 + rng.normal(0.0, 0.7, size=n)), 1, 7)
            age = rng.uniform(0.0, 60.0, size=n)
            distance = rng.gamma(shape=2.0, scale=4.0, size=n)
            signal = 1.1 * area + 12.0 * rooms - 0.9 * age + 250.0 * np.exp(-distance / 4.0)
            noise = rng.normal(0.0, 1.0, size=n) * (5.0 + 0.3 * area)
            return np.column_stack([area, rooms, age, distance]), signal + noise


        rng = np.random.default_rng(SEED)
        X_all, y_all = make_housing(800, rng)
        X_train, y_train = X_all[:600], y_all[:600]
        X_test, y_test = X_all[600:], y_all[600:]
        mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
        Z_train, Z_test = (X_train - mu) / sd, (X_test - mu) / sd
        D_train = np.column_stack([np.ones(len(X_train)), X_train])
        D_test = np.column_stack([np.ones(len(X_test)), X_test])
        print(f"seed {SEED}: {len(y_train)} training and {len(y_test)} test sales")
        print("mean price", y_train.mean().round(1), "| data fingerprint", np.round(X_all.sum() + y_all.sum(), 4))
        """,
    ),
]

OLS = [
    markdown(
        "ols-intro",
        r"""
        ## 1. Ordinary least squares, two ways (3 + 3 points)

        **Normal equations.** The OLS estimate solves $X^\top X \hat\beta = X^\top y$, i.e.
        $\hat\beta = (X^\top X)^{-1} X^\top y$. Solve the linear system (`np.linalg.solve`) rather than
        forming the inverse.

        **Gradient descent.** We minimise $L(\beta) = \frac{1}{2n}\lVert y - X\beta\rVert^2$, whose gradient is
        $\nabla L(\beta) = \frac{1}{n} X^\top (X\beta - y)$. (The lecture notes write the loss without the
        $\frac{1}{2n}$, which rescales the gradient and therefore the step size; use the convention here.)
        Start at $\beta_0 = 0$ and update $\beta_{k+1} = \beta_k - t\,\nabla L(\beta_k)$. Stop as soon as
        $\lVert \nabla L(\beta_k) \rVert < \text{tol}$ (before taking the step) or after `n_iter` steps.
        With $t = 1/\lambda_{\max}(X^\top X / n)$ the loss never increases and
        $L(\beta_k) - L(\hat\beta) \le \lVert \beta_0 - \hat\beta\rVert^2 / (2tk)$.
        """,
    ),
    locked(
        "ols-loss",
        """
        def ols_loss(X, y, beta):
            \"\"\"L(beta) = ||y - X beta||^2 / (2n).\"\"\"
            resid = y - X @ beta
            return 0.5 * float(resid @ resid) / len(y)
        """,
    ),
    solution(
        "ols_fit",
        """
        def ols_fit(X, y):
            \"\"\"OLS coefficients from the normal equations; X already holds an intercept column if one is wanted.

            Returns a float array of shape (p,).
            \"\"\"
            ### BEGIN SOLUTION
            X = np.asarray(X, dtype=float)
            y = np.asarray(y, dtype=float)
            return np.linalg.solve(X.T @ X, X.T @ y)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_ols_fit",
        3,
        """
        X_small = np.column_stack([np.ones(5), np.arange(5.0)])
        assert np.allclose(ols_fit(X_small, 2.0 + 3.0 * np.arange(5.0)), [2.0, 3.0]), "exact data, exact fit"
        print("OLS on the housing data:", ols_fit(D_train, y_train))
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(20260106)
        X_h = np.column_stack([np.ones(200), rng_t.normal(size=(200, 5))])
        y_h = X_h @ rng_t.normal(size=6) + rng_t.normal(size=200)
        b_h = np.asarray(ols_fit(X_h, y_h), dtype=float)
        assert b_h.shape == (6,)
        assert np.allclose(b_h, np.linalg.lstsq(X_h, y_h, rcond=None)[0], rtol=0, atol=1e-8)
        assert np.allclose(X_h.T @ (y_h - X_h @ b_h), 0.0, atol=1e-7), "normal equations must hold"
        b_house = np.asarray(ols_fit(D_train, y_train), dtype=float)
        assert np.allclose(b_house, np.linalg.lstsq(D_train, y_train, rcond=None)[0], rtol=1e-7, atol=1e-9)
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "ols_gd",
        """
        def ols_gd(X, y, lr, n_iter, tol=1e-10):
            \"\"\"Gradient descent on L(beta) = ||y - X beta||^2 / (2n), starting from beta = 0.

            Before each step, stop if ||grad L(beta_k)|| < tol; take at most n_iter steps.
            Returns (beta, losses), where losses[k] = L(beta_k): losses[0] = L(0), len(losses) = steps + 1.
            \"\"\"
            ### BEGIN SOLUTION
            X = np.asarray(X, dtype=float)
            y = np.asarray(y, dtype=float)
            n = len(y)
            beta = np.zeros(X.shape[1])
            losses = [ols_loss(X, y, beta)]
            for _ in range(n_iter):
                grad = X.T @ (X @ beta - y) / n
                if np.linalg.norm(grad) < tol:
                    break
                beta = beta - lr * grad
                losses.append(ols_loss(X, y, beta))
            return beta, np.array(losses)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_ols_gd",
        3,
        """
        X_small = np.column_stack([np.ones(50), np.linspace(-1.0, 1.0, 50)])
        beta_small, losses_small = ols_gd(X_small, 1.0 - 2.0 * X_small[:, 1], lr=0.5, n_iter=2000)
        assert np.allclose(beta_small, [1.0, -2.0], atol=1e-4), "gradient descent should reach the OLS fit"
        assert np.all(np.diff(losses_small) <= 1e-12), "with this step size the loss never increases"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(7)
        mix = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
        X_h = np.column_stack([np.ones(300), rng_t.normal(size=(300, 3)) @ mix])
        y_h = X_h @ np.array([0.5, 1.0, -1.0, 2.0]) + rng_t.normal(size=300)
        L_h = np.linalg.eigvalsh(X_h.T @ X_h / 300).max()
        b_star = np.linalg.lstsq(X_h, y_h, rcond=None)[0]
        b_h, losses_h = ols_gd(X_h, y_h, lr=1.0 / L_h, n_iter=20000, tol=1e-10)
        b_h, losses_h = np.asarray(b_h, dtype=float), np.asarray(losses_h, dtype=float)
        assert np.allclose(b_h, b_star, rtol=0, atol=1e-6)
        ref, ref_losses = np.zeros(4), []
        for _ in range(10):
            ref_losses.append(0.5 * np.sum((y_h - X_h @ ref) ** 2) / 300)
            ref = ref - (X_h.T @ (X_h @ ref - y_h) / 300) / L_h
        assert np.allclose(losses_h[:10], ref_losses, rtol=1e-10), "losses[k] must be L(beta_k), 1/(2n) scale"
        f_star = 0.5 * np.sum((y_h - X_h @ b_star) ** 2) / 300
        k_h = np.arange(1, len(losses_h))
        assert np.all(losses_h[1:] - f_star <= L_h * (b_star @ b_star) / (2 * k_h) + 1e-12), "Theorem 3.1 bound"
        assert len(losses_h) < 20001, "the gradient-norm stopping rule should end the run early"
        assert np.linalg.norm(X_h.T @ (X_h @ b_h - y_h) / 300) < 1e-10
        ### END HIDDEN TESTS
        """,
    ),
]

OPTIMISERS = [
    markdown(
        "optim-intro",
        r"""
        ## 2. SGD, momentum and Adam by hand (2 + 3 + 2 + 2 points)

        Write each optimiser as a pure function of NumPy arrays that returns new arrays (do not modify the
        inputs in place). The hidden tests run your steps side by side with `torch.optim` in float64.

        * **Momentum** (`torch.optim.SGD` with `momentum`, no dampening, no Nesterov):
          $b \leftarrow \mu b + g$, $\theta \leftarrow \theta - \alpha b$, starting from $b = 0$.
          With $\mu = 0$ this is plain (stochastic) gradient descent.
        * **Adam** (Algorithm 3 of the notes, in `torch.optim.Adam`'s form): with step counter $t = 1, 2, \dots$,
          $m \leftarrow \beta_1 m + (1-\beta_1) g$, $v \leftarrow \beta_2 v + (1-\beta_2) g^2$,
          $\hat m = m/(1-\beta_1^t)$, $\hat v = v/(1-\beta_2^t)$,
          $\theta \leftarrow \theta - \alpha\, \hat m / (\sqrt{\hat v} + \epsilon)$.
          Note that $\epsilon$ is added **outside** the square root (the notes put it inside; the original
          paper and PyTorch put it outside).
        * **Mini-batches**: each epoch shuffles the rows and visits every row exactly once
          (shuffle, do not sample with replacement).
        """,
    ),
    solution(
        "sgd_momentum_step",
        """
        def sgd_momentum_step(theta, grad, buf, lr, momentum):
            \"\"\"One SGD step with momentum: buf <- momentum * buf + grad; theta <- theta - lr * buf.

            Returns (new_theta, new_buf).
            \"\"\"
            ### BEGIN SOLUTION
            new_buf = momentum * buf + grad
            return theta - lr * new_buf, new_buf
            ### END SOLUTION
        """,
    ),
    tests(
        "test_momentum",
        2,
        """
        th1, buf1 = sgd_momentum_step(np.array([1.0, -1.0]), np.array([0.5, 0.5]), np.zeros(2), lr=0.1, momentum=0.0)
        assert np.allclose(th1, [0.95, -1.05]) and np.allclose(buf1, [0.5, 0.5]), "momentum 0 is a plain step"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(11)
        A_t = rng_t.normal(size=(40, 3))
        c_t = (A_t @ np.array([1.0, -2.0, 0.5]) + rng_t.normal(size=40) > 0).astype(float)


        def grad_t(theta):
            return A_t.T @ (1.0 / (1.0 + np.exp(-A_t @ theta)) - c_t) / len(c_t)


        for mom in (0.0, 0.9):
            p_t = torch.tensor([0.3, 0.3, -0.3], dtype=torch.float64, requires_grad=True)
            opt_t = torch.optim.SGD([p_t], lr=0.5, momentum=mom)
            theta, buf = np.array([0.3, 0.3, -0.3]), np.zeros(3)
            for _ in range(60):
                opt_t.zero_grad()
                p_t.grad = torch.tensor(grad_t(p_t.detach().numpy().copy()))
                opt_t.step()
                theta, buf = sgd_momentum_step(theta, grad_t(theta), buf, lr=0.5, momentum=mom)
                assert np.allclose(np.asarray(theta, dtype=float), p_t.detach().numpy(), rtol=0, atol=1e-10)
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "adam_step",
        """
        def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            \"\"\"One Adam step at step number t (t = 1 for the first step). Returns (new_theta, new_m, new_v).\"\"\"
            ### BEGIN SOLUTION
            m = beta1 * m + (1.0 - beta1) * grad
            v = beta2 * v + (1.0 - beta2) * grad**2
            m_hat = m / (1.0 - beta1**t)
            v_hat = v / (1.0 - beta2**t)
            return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
            ### END SOLUTION
        """,
    ),
    tests(
        "test_adam",
        3,
        """
        g0, th0 = np.array([0.2, -0.4]), np.array([1.0, 1.0])
        th1, m1, v1 = adam_step(th0, g0, np.zeros(2), np.zeros(2), 1, lr=0.1, beta1=0.9, beta2=0.999)
        assert np.allclose(m1, 0.1 * g0) and np.allclose(v1, 0.001 * g0**2), "moving averages of g and g^2"
        assert np.all(np.sign(th1 - th0) == -np.sign(g0)), "Adam moves against the gradient"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(12)
        A_t = rng_t.normal(size=(50, 4))
        c_t = (A_t @ np.array([1.0, -1.0, 0.5, 0.0]) + rng_t.normal(size=50) > 0).astype(float)


        def grad_t(theta):
            return A_t.T @ (1.0 / (1.0 + np.exp(-A_t @ theta)) - c_t) / len(c_t) + 0.01 * theta


        for eps_t in (1e-8, 1e-3):
            p_t = torch.tensor([0.5, -0.5, 0.2, 0.1], dtype=torch.float64, requires_grad=True)
            opt_t = torch.optim.Adam([p_t], lr=0.05, betas=(0.9, 0.99), eps=eps_t)
            theta, m_t, v_t = np.array([0.5, -0.5, 0.2, 0.1]), np.zeros(4), np.zeros(4)
            for step in range(1, 101):
                opt_t.zero_grad()
                p_t.grad = torch.tensor(grad_t(p_t.detach().numpy().copy()))
                opt_t.step()
                theta, m_t, v_t = adam_step(theta, grad_t(theta), m_t, v_t, step, lr=0.05, beta1=0.9, beta2=0.99, eps=eps_t)
                assert np.allclose(np.asarray(theta, dtype=float), p_t.detach().numpy(), rtol=0, atol=1e-9)
        g_first = np.array([3.0, -0.02, 1e-3])
        th_first, _, _ = adam_step(np.zeros(3), g_first, np.zeros(3), np.zeros(3), 1, lr=0.01)
        assert np.allclose(np.asarray(th_first, dtype=float), -0.01 * np.sign(g_first), rtol=1e-4), "first step ~ lr"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "epoch_batches",
        """
        def epoch_batches(n, batch_size, rng):
            \"\"\"One epoch of mini-batches: shuffle the row indices 0..n-1 with the numpy Generator rng, then cut
            them into consecutive batches of batch_size (the last batch may be smaller).

            Returns a list of integer index arrays; every row appears exactly once.
            \"\"\"
            ### BEGIN SOLUTION
            order = rng.permutation(n)
            return [order[start : start + batch_size] for start in range(0, n, batch_size)]
            ### END SOLUTION
        """,
    ),
    tests(
        "test_epoch_batches",
        2,
        """
        demo_batches = epoch_batches(10, 4, np.random.default_rng(0))
        assert [len(b) for b in demo_batches] == [4, 4, 2], "batches of 4, 4 and 2 rows"
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(3)
        first = epoch_batches(103, 10, rng_t)
        assert [len(b) for b in first] == [10] * 10 + [3]
        order_1 = np.concatenate([np.asarray(b, dtype=int) for b in first])
        assert np.array_equal(np.sort(order_1), np.arange(103)), "every row exactly once per epoch"
        assert not np.array_equal(order_1, np.arange(103)), "rows must be shuffled"
        order_2 = np.concatenate([np.asarray(b, dtype=int) for b in epoch_batches(103, 10, rng_t)])
        assert np.array_equal(np.sort(order_2), np.arange(103))
        assert not np.array_equal(order_1, order_2), "a new order every epoch"
        again = np.concatenate([np.asarray(b, dtype=int) for b in epoch_batches(103, 10, np.random.default_rng(3))])
        assert np.array_equal(again, order_1), "the order comes from rng only"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "minibatch_sgd",
        """
        def minibatch_sgd(X, y, lr, batch_size, epochs, momentum=0.0, seed=0):
            \"\"\"Minimise ||y - X beta||^2 / (2n) by mini-batch SGD with momentum, starting from beta = 0.

            Create rng = np.random.default_rng(seed) once; each epoch, for each batch B of
            epoch_batches(n, batch_size, rng), use g = X_B^T (X_B beta - y_B) / |B| in sgd_momentum_step.
            Returns beta.
            \"\"\"
            ### BEGIN SOLUTION
            X = np.asarray(X, dtype=float)
            y = np.asarray(y, dtype=float)
            rng = np.random.default_rng(seed)
            beta, buf = np.zeros(X.shape[1]), np.zeros(X.shape[1])
            for _ in range(epochs):
                for idx in epoch_batches(len(y), batch_size, rng):
                    X_b, y_b = X[idx], y[idx]
                    grad = X_b.T @ (X_b @ beta - y_b) / len(idx)
                    beta, buf = sgd_momentum_step(beta, grad, buf, lr, momentum)
            return beta
            ### END SOLUTION
        """,
    ),
    tests(
        "test_minibatch_sgd",
        2,
        """
        beta_sgd = minibatch_sgd(Z_train, y_train - y_train.mean(), lr=0.05, batch_size=32, epochs=5, momentum=0.5)
        assert np.asarray(beta_sgd).shape == (4,)
        ### BEGIN HIDDEN TESTS
        rng_t = np.random.default_rng(21)
        X_h = np.column_stack([np.ones(400), rng_t.normal(size=(400, 2))])
        y_h = X_h @ np.array([1.0, 2.0, -1.0]) + 0.5 * rng_t.normal(size=400)
        # (R) one batch of all rows and no momentum is exactly full-batch gradient descent
        ref = np.zeros(3)
        for _ in range(15):
            ref = ref - 0.3 * X_h.T @ (X_h @ ref - y_h) / 400
        full = np.asarray(minibatch_sgd(X_h, y_h, lr=0.3, batch_size=400, epochs=15, seed=5), dtype=float)
        assert np.allclose(full, ref, rtol=0, atol=1e-10)
        # (S) small batches with momentum end near the OLS fit. Repetitions: 1 run of 30 epochs (fixed data,
        # the only randomness is the shuffling). Tolerance 0.05 in Euclidean norm; over 4000 shuffling seeds
        # the reference's distance had mean 0.0063, sd 0.0027 and max 0.017: 0.05 is 16 sd above the mean,
        # so P(false failure) < 1e-12 (normal tails).
        b_ols = np.linalg.lstsq(X_h, y_h, rcond=None)[0]
        small = np.asarray(minibatch_sgd(X_h, y_h, lr=0.02, batch_size=16, epochs=30, momentum=0.5, seed=9), dtype=float)
        assert np.linalg.norm(small - b_ols) < 0.05
        ### END HIDDEN TESTS
        """,
    ),
    locked(
        "optim-demo",
        """
        # Compare the optimisers on the housing OLS loss (standardised features, centred price).
        yc = y_train - y_train.mean()
        H = Z_train.T @ Z_train / len(yc)
        lr_gd = 1.0 / np.linalg.eigvalsh(H).max()
        curves = {"GD": [], "momentum 0.9": [], "Adam": []}
        theta_gd, theta_mom, buf = np.zeros(4), np.zeros(4), np.zeros(4)
        theta_adam, m_a, v_a = np.zeros(4), np.zeros(4), np.zeros(4)
        for step in range(1, 201):
            theta_gd = theta_gd - lr_gd * Z_train.T @ (Z_train @ theta_gd - yc) / len(yc)
            theta_mom, buf = sgd_momentum_step(theta_mom, Z_train.T @ (Z_train @ theta_mom - yc) / len(yc), buf, 0.1 * lr_gd, 0.9)
            g_a = Z_train.T @ (Z_train @ theta_adam - yc) / len(yc)
            theta_adam, m_a, v_a = adam_step(theta_adam, g_a, m_a, v_a, step, lr=2.0)
            for name, th in (("GD", theta_gd), ("momentum 0.9", theta_mom), ("Adam", theta_adam)):
                curves[name].append(ols_loss(Z_train, yc, th))
        best = ols_loss(Z_train, yc, np.linalg.lstsq(Z_train, yc, rcond=None)[0])
        for name, curve in curves.items():
            plt.semilogy(np.array(curve) - best + 1e-12, label=name)
            print(f"{name:>13}: excess loss after 200 steps {curve[-1] - best:.3e}")
        plt.xlabel("step")
        plt.ylabel("L(beta) - L(OLS)")
        plt.legend()
        plt.show()
        """,
    ),
]
