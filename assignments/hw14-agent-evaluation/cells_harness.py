"""Homework 14, parts 0-3: the restocking benchmark and its agents, the evaluation harness, confidence
intervals for success rates (one run per task, and several runs per task), and the unbiased pass@k.

The environment is homework 12's store restocking task (shipped here in full, in a locked cell); the
benchmark's tasks and the leaked training corpus are generated from GRADER_SEED; nothing is downloaded.
"""

from nbbuild import locked, markdown, solution, tests

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 14: Evaluating agents

        DOTE 6635 *AI for Business Research*, session 11 (Agentic AI III: evaluation and benchmarks).

        A benchmark number without an error bar, or measured on tasks the agent has seen, says little. You
        will build a small evaluation harness for tool-using agents on a restocking benchmark and compute:

        1. success rates with confidence intervals: the Wilson interval for one run per task, and a
           task-clustered interval when each task is run several times;
        2. pass@k with the unbiased estimator;
        3. a paired comparison of two agents on the same tasks;
        4. a contamination check: which benchmark tasks leaked into a training corpus, and how much the
           leak inflates a score.

        Fill in every cell that says `YOUR CODE HERE` (delete the `raise NotImplementedError()` line) and the
        written answer. Use NumPy and the standard library (`math`, `statistics.NormalDist`, `re`). Before
        submitting, restart the kernel and run all cells.
        """,
    ),
    locked(
        "setup",
        """
        import math
        import os
        import re
        from statistics import NormalDist

        import numpy as np

        np.set_printoptions(precision=4, suppress=True)
        """,
    ),
    markdown(
        "env-intro",
        r"""
        ## The benchmark and the agents

        Each task is homework 12's restocking task: the agent looks up the stock, the seasonal forecast and
        the pack size, orders the fewest whole packs that cover the forecast (0 to 3 packs), and finishes;
        it succeeds if it finished with exactly that order within six tool calls. The agents are stochastic
        (as a language model sampling at temperature 1 is): `agent(task, rng)` returns 1 for a success and
        0 for a failure, and draws all its randomness from `rng`.

        - `agent_playbook`: follows the playbook, but calls a random tool with probability 0.15 at each step;
        - `agent_capped`: slips only with probability 0.05, but never orders more than two packs in total;
        - `agent_memorizer`: was trained on a corpus that contains some benchmark tasks with their answers;
          on those it recalls the answer, elsewhere it slips with probability 0.3.
        """,
    ),
    locked(
        "environment",
        """
        WEEKDAY_FACTOR = np.array([0.8, 0.9, 0.9, 1.0, 1.2, 1.4, 0.8])
        ACTIONS = ["check_stock", "demand_forecast", "supplier_info", "order_1_pack", "order_2_packs", "order_3_packs", "finish"]
        N_ACTIONS, MAX_STEPS = 7, 6


        def make_task(rng, sku):
            \"\"\"A restocking task for product sku: stock, seasonal forecast over the horizon, pack size, answer.\"\"\"
            rate, pack = float(rng.uniform(2.0, 14.0)), int(rng.choice([6, 10, 12, 24]))
            horizon, day = int(rng.integers(7, 22)), int(rng.integers(0, 7))
            forecast = int(round(rate * WEEKDAY_FACTOR[(day + np.arange(horizon)) % 7].sum()))
            packs, on_hand = 0, forecast + int(rng.integers(0, pack))
            for _ in range(20):
                k = int(rng.integers(0, 4))
                candidate = forecast - k * pack + int(rng.integers(0, pack))
                if candidate >= 0:
                    packs, on_hand = k, candidate
                    break
            text = (
                f"Product {sku} has {on_hand} units on hand. The seasonal forecast for the next {horizon} days is "
                f"{forecast} units and the supplier ships packs of {pack}. How many units of {sku} should the store order?"
            )
            return {"sku": sku, "horizon": horizon, "on_hand": on_hand, "forecast": forecast, "pack_size": pack,
                    "target_packs": packs, "text": text}


        class RestockEnv:
            \"\"\"One restocking task as an episodic MDP whose actions are the seven tool calls.\"\"\"

            def __init__(self, task):
                self.task = task
                self.known = {"on_hand": None, "forecast": None, "pack_size": None}
                self.ordered_packs, self.steps = 0, 0

            def observe(self):
                return dict(self.known, ordered_packs=self.ordered_packs)

            def step(self, action):
                name, task = ACTIONS[action], self.task
                self.steps += 1
                if name == "check_stock":
                    self.known["on_hand"] = task["on_hand"]
                elif name == "demand_forecast":
                    self.known["forecast"] = task["forecast"]
                elif name == "supplier_info":
                    self.known["pack_size"] = task["pack_size"]
                elif name.startswith("order"):
                    self.ordered_packs += int(name[6])
                if name == "finish":
                    return self.observe(), float(self.ordered_packs == task["target_packs"]), True
                return self.observe(), 0.0, self.steps >= MAX_STEPS


        def playbook_action(obs, max_total_packs=3):
            for index, key in enumerate(["on_hand", "forecast", "pack_size"]):
                if obs[key] is None:
                    return index
            missing = max(0, obs["forecast"] - obs["on_hand"] - obs["ordered_packs"] * obs["pack_size"])
            packs = min(math.ceil(missing / obs["pack_size"]), 3, max_total_packs - obs["ordered_packs"])
            return 6 if packs <= 0 else 2 + packs


        def run_playbook(task, rng, slip, max_total_packs=3):
            env = RestockEnv(task)
            obs, done, reward = env.observe(), False, 0.0
            while not done:
                action = int(rng.integers(N_ACTIONS)) if rng.random() < slip else playbook_action(obs, max_total_packs)
                obs, reward, done = env.step(action)
            return int(reward)


        def agent_playbook(task, rng):
            return run_playbook(task, rng, slip=0.15)


        def agent_capped(task, rng):
            return run_playbook(task, rng, slip=0.05, max_total_packs=2)
        """,
    ),
    markdown(
        "data-intro",
        r"""
        The cell below generates the benchmark (60 tasks) and a training corpus of 400 documents from the
        seed. Some benchmark tasks leaked into the corpus, with their answer and small edits (capitals,
        line breaks, punctuation); the other documents are other restocking questions. `agent_memorizer`
        was trained on that corpus.
        """,
    ),
    locked(
        "benchmark",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))


        def make_benchmark(seed, n_tasks=60, n_documents=400, n_leaked=12):
            rng = np.random.default_rng(seed)
            skus = rng.choice(np.arange(100, 1000), size=n_tasks + n_documents, replace=False)
            tasks = [make_task(rng, f"P{skus[i]}") for i in range(n_tasks)]
            leaked = np.sort(rng.choice(n_tasks, size=n_leaked, replace=False))
            corpus = [make_task(rng, f"P{skus[n_tasks + i]}")["text"] for i in range(n_documents - n_leaked)]
            for index in leaked:
                task = tasks[index]
                edited = task["text"].upper() if rng.random() < 0.5 else task["text"].replace(". ", ".\\n")
                corpus.append(f"Q: {edited} A: {task['target_packs'] * task['pack_size']} units.")
            order = rng.permutation(len(corpus))
            return tasks, [corpus[i] for i in order], leaked


        tasks, corpus, leaked_index = make_benchmark(SEED)
        task_answers = np.array([t["target_packs"] * t["pack_size"] for t in tasks])
        MEMORY = {tasks[i]["text"].lower() for i in leaked_index}


        def agent_memorizer(task, rng):
            if task["text"].lower() in MEMORY:
                return int(rng.random() < 0.97)
            return run_playbook(task, rng, slip=0.3)


        print(f"seed {SEED}: {len(tasks)} tasks, {len(corpus)} corpus documents")
        print(tasks[0]["text"])
        """,
    ),
]

HARNESS = [
    markdown(
        "harness-intro",
        r"""
        ## 1. The harness (2 points)

        Write `run_benchmark(agent, tasks, n_samples, seed)`: run the agent `n_samples` times on every task
        and return an integer array `results` of shape `(len(tasks), n_samples)` with `results[i, j]` the
        outcome of run $j$ on task $i$. Run $j$ on task $i$ must use its own generator,
        `np.random.default_rng([seed, i, j])`: every run is then reproducible on its own, and two agents
        evaluated with the same seed face the same random numbers on the same task (common random numbers,
        which the paired comparison of part 3 exploits).
        """,
    ),
    solution(
        "run_benchmark",
        """
        def run_benchmark(agent, tasks, n_samples, seed):
            \"\"\"Outcomes (0/1) of n_samples runs of the agent on each task: an int array (tasks, samples).\"\"\"
            ### BEGIN SOLUTION
            results = np.zeros((len(tasks), n_samples), dtype=int)
            for i, task in enumerate(tasks):
                for j in range(n_samples):
                    results[i, j] = agent(task, np.random.default_rng([seed, i, j]))
            return results
            ### END SOLUTION
        """,
    ),
    tests(
        "test_run_benchmark",
        2,
        """
        results_playbook = run_benchmark(agent_playbook, tasks, n_samples=10, seed=2026)
        results_capped = run_benchmark(agent_capped, tasks, n_samples=10, seed=2026)
        assert results_playbook.shape == (60, 10) and set(np.unique(results_playbook)) <= {0, 1}
        print("success rates: playbook", results_playbook.mean(), "capped", results_capped.mean())
        ### BEGIN HIDDEN TESTS
        seen = []


        def recording_agent(task, rng):
            seen.append((task["sku"], float(rng.random())))
            return int(seen[-1][1] < 0.5)


        got = np.asarray(run_benchmark(recording_agent, tasks[:4], n_samples=3, seed=99))
        expected_draws = [(tasks[i]["sku"], np.random.default_rng([99, i, j]).random()) for i in range(4) for j in range(3)]
        assert sorted(seen) == sorted(expected_draws), "run j of task i uses default_rng([seed, i, j])"
        assert got.shape == (4, 3) and np.issubdtype(got.dtype, np.integer)
        assert np.array_equal(got, np.array([[int(d < 0.5) for _, d in expected_draws[3 * i : 3 * i + 3]] for i in range(4)]))
        again = np.asarray(run_benchmark(agent_playbook, tasks, n_samples=10, seed=2026))
        assert np.array_equal(again, np.asarray(results_playbook))
        ### END HIDDEN TESTS
        """,
    ),
]

INTERVALS = [
    markdown(
        "ci-intro",
        r"""
        ## 2. Confidence intervals for a success rate (2 + 3 points)

        **One run per task.** With $s$ successes in $n$ independent tasks, the Wald interval
        $\hat p \pm z\sqrt{\hat p(1-\hat p)/n}$ collapses to a point when $\hat p \in \{0, 1\}$ and
        undercovers for small $n$. The **Wilson** score interval inverts the score test instead:
        $$\frac{s + z^2/2}{n + z^2} \;\pm\; \frac{z}{n + z^2}\sqrt{\frac{s(n-s)}{n} + \frac{z^2}{4}},$$
        with $z$ the $1 - \alpha/2$ quantile of the standard normal
        (`NormalDist().inv_cdf(1 - alpha / 2)`, $\alpha = 1 -$ `confidence`). Write
        `wilson_interval(successes, n, confidence=0.95)` returning `(low, high)`.

        **Several runs per task.** When each of $T$ tasks is run $k$ times, the $Tk$ outcomes are *not*
        independent: runs of the same task share its difficulty. Treat the task as the unit: with per-task
        success rates $\bar y_i$, the estimate is $\hat p = \frac{1}{T}\sum_i \bar y_i$ and its standard error
        $\mathrm{SE} = s_{\bar y}/\sqrt{T}$, where $s_{\bar y}$ is the sample standard deviation (`ddof=1`) of
        the $\bar y_i$. Write `clustered_interval(results, confidence=0.95)` returning
        `(p_hat, se, low, high)` with `low, high` $= \hat p \mp z\,\mathrm{SE}$.
        """,
    ),
    solution(
        "wilson_interval",
        """
        def wilson_interval(successes, n, confidence=0.95):
            \"\"\"Wilson score interval (low, high) for a binomial proportion.\"\"\"
            ### BEGIN SOLUTION
            z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
            centre = (successes + z**2 / 2.0) / (n + z**2)
            half = z / (n + z**2) * math.sqrt(successes * (n - successes) / n + z**2 / 4.0)
            return centre - half, centre + half
            ### END SOLUTION
        """,
    ),
    tests(
        "test_wilson_interval",
        2,
        """
        low_demo, high_demo = wilson_interval(45, 60)
        assert 0.0 < low_demo < 0.75 < high_demo < 1.0
        print("first run of each task, playbook agent:", wilson_interval(int(results_playbook[:, 0].sum()), 60))
        ### BEGIN HIDDEN TESTS
        def ref_wilson(s, n, conf):
            z = NormalDist().inv_cdf(1 - (1 - conf) / 2)
            c = (s + z * z / 2) / (n + z * z)
            h = z / (n + z * z) * math.sqrt(s * (n - s) / n + z * z / 4)
            return c - h, c + h


        for s_t, n_t, conf_t in [(0, 20, 0.95), (20, 20, 0.95), (7, 30, 0.9), (55, 60, 0.99), (1, 3, 0.8)]:
            got = np.asarray(wilson_interval(s_t, n_t, confidence=conf_t), dtype=float)
            assert got.shape == (2,) and np.allclose(got, ref_wilson(s_t, n_t, conf_t), rtol=0, atol=1e-12)
        assert abs(float(wilson_interval(0, 20)[0])) < 1e-12 and abs(float(wilson_interval(20, 20)[1]) - 1) < 1e-12
        assert np.allclose(np.asarray(wilson_interval(12, 40), dtype=float), ref_wilson(12, 40, 0.95), atol=1e-12)
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "clustered_interval",
        """
        def clustered_interval(results, confidence=0.95):
            \"\"\"Success rate over tasks x runs with a task-clustered standard error: (p_hat, se, low, high).\"\"\"
            ### BEGIN SOLUTION
            per_task = np.asarray(results, dtype=float).mean(axis=1)
            p_hat = float(per_task.mean())
            se = float(per_task.std(ddof=1) / math.sqrt(len(per_task)))
            z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
            return p_hat, se, p_hat - z * se, p_hat + z * se
            ### END SOLUTION
        """,
    ),
    tests(
        "test_clustered_interval",
        3,
        """
        p_demo, se_demo, lo_demo, hi_demo = clustered_interval(results_capped)
        assert abs(p_demo - results_capped.mean()) < 1e-12 and lo_demo <= p_demo <= hi_demo
        print(f"capped agent: {p_demo:.3f} +- {1.96 * se_demo:.3f} (task-clustered)")
        ### BEGIN HIDDEN TESTS
        toy = np.array([[1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1]])
        p_t, se_t, lo_t, hi_t = (float(v) for v in clustered_interval(toy, confidence=0.9))
        means = toy.mean(axis=1)
        se_ref = means.std(ddof=1) / math.sqrt(5)
        z90 = NormalDist().inv_cdf(0.95)
        assert abs(p_t - 0.55) < 1e-12 and abs(se_t - se_ref) < 1e-12
        assert abs(lo_t - (0.55 - z90 * se_ref)) < 1e-12 and abs(hi_t - (0.55 + z90 * se_ref)) < 1e-12
        # Coverage by simulation: 400 benchmarks of 40 tasks x 5 runs whose task success rates vary
        # (Beta(1, 1)), true rate 0.5. The clustered 95% interval covers with probability about 0.94, so
        # 400 repetitions give coverage >= 0.88 except with probability about 1e-6; the naive interval that
        # treats the 200 runs as independent covers only about 0.69.
        rng_t = np.random.default_rng(1411)
        covered = 0
        for _ in range(400):
            rates = rng_t.beta(1.0, 1.0, size=40)
            sim = (rng_t.random((40, 5)) < rates[:, None]).astype(int)
            _, _, lo_s, hi_s = (float(v) for v in clustered_interval(sim))
            covered += lo_s <= 0.5 <= hi_s
        assert covered / 400 >= 0.88, covered
        ### END HIDDEN TESTS
        """,
    ),
]

PASS_AT_K = [
    markdown(
        "pass-intro",
        r"""
        ## 3. pass@k (3 points)

        pass@k is the probability that at least one of $k$ independent runs on a task succeeds. Running each
        task $n \ge k$ times and counting $c$ successes, the plug-in estimate $1 - (1 - c/n)^k$ is **biased**
        (it is a non-linear function of $c/n$). The unbiased estimator is the chance that a random subset of
        $k$ of the $n$ runs contains a success:
        $$\widehat{\text{pass@}k} = 1 - \binom{n-c}{k} \Big/ \binom{n}{k},$$
        which is $1$ when $n - c < k$. Compute it as the product
        $1 - \prod_{i=n-c+1}^{n} (1 - k/i)$, which never forms the huge binomial coefficients.
        Write `pass_at_k(n, c, k)` (one task) and `mean_pass_at_k(results, k)` (the average over the tasks of
        a `results` array from `run_benchmark`, with $n$ its number of columns).
        """,
    ),
    solution(
        "pass_at_k",
        """
        def pass_at_k(n, c, k):
            \"\"\"Unbiased estimate of pass@k from c successes in n runs of one task.\"\"\"
            ### BEGIN SOLUTION
            if n - c < k:
                return 1.0
            return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))
            ### END SOLUTION
        """,
    ),
    solution(
        "mean_pass_at_k",
        """
        def mean_pass_at_k(results, k):
            \"\"\"Average unbiased pass@k over the tasks (rows) of a results array.\"\"\"
            ### BEGIN SOLUTION
            results = np.asarray(results)
            n = results.shape[1]
            return float(np.mean([pass_at_k(n, int(c), k) for c in results.sum(axis=1)]))
            ### END SOLUTION
        """,
    ),
    tests(
        "test_pass_at_k",
        3,
        """
        assert pass_at_k(10, 0, 3) == 0.0 and pass_at_k(10, 10, 3) == 1.0
        assert abs(pass_at_k(5, 1, 1) - 0.2) < 1e-12
        for k_demo in (1, 3, 5):
            print(f"pass@{k_demo}: playbook {mean_pass_at_k(results_playbook, k_demo):.3f}, "
                  f"capped {mean_pass_at_k(results_capped, k_demo):.3f}")
        ### BEGIN HIDDEN TESTS
        for n_t, c_t, k_t in [(10, 3, 2), (20, 5, 5), (7, 1, 7), (7, 0, 1), (200, 37, 10), (12, 12, 4), (9, 4, 6)]:
            exact = 1.0 - math.comb(n_t - c_t, k_t) / math.comb(n_t, k_t)
            assert abs(float(pass_at_k(n_t, c_t, k_t)) - exact) < 1e-12, (n_t, c_t, k_t)
        # Unbiasedness, exactly: the estimator's expectation over c ~ Binomial(n, p) is 1 - (1 - p)^k.
        for p_t in (0.05, 0.3, 0.8):
            n_t, k_t = 10, 3
            expectation = sum(
                math.comb(n_t, c) * p_t**c * (1 - p_t) ** (n_t - c) * float(pass_at_k(n_t, c, k_t)) for c in range(n_t + 1)
            )
            assert abs(expectation - (1 - (1 - p_t) ** k_t)) < 1e-12, p_t
        table = np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0], [1, 1, 0, 1, 0]])
        expected = np.mean([1 - math.comb(5 - c, 2) / math.comb(5, 2) for c in (1, 0, 3)])
        assert abs(float(mean_pass_at_k(table, 2)) - expected) < 1e-12
        assert abs(float(mean_pass_at_k(table, 1)) - table.mean()) < 1e-12, "pass@1 is the success rate"
        ### END HIDDEN TESTS
        """,
    ),
]
