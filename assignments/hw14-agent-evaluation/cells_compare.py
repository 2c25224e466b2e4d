"""Homework 14, parts 4-5: a paired comparison of two agents, and a contamination (leakage) check by word
n-gram overlap between the benchmark and a training corpus.
"""

from nbbuild import answer, markdown, solution, tests

PAIRED = [
    markdown(
        "paired-intro",
        r"""
        ## 4. Comparing two agents on the same tasks (3 points)

        Two agents evaluated on the same $T$ tasks give paired data: per task, success rates $\bar a_i$ and
        $\bar b_i$. Their difference $d_i = \bar a_i - \bar b_i$ removes what the two share (the task's
        difficulty, and here even the random numbers), so the standard error of $\bar d$ is
        $\mathrm{SE} = s_d/\sqrt{T}$ (sample standard deviation with `ddof=1`). It is smaller than the
        unpaired $\sqrt{s_a^2/T + s_b^2/T}$ when the agents find the same tasks hard (positively correlated
        $\bar a_i, \bar b_i$), and larger when they fail on different tasks. Write `paired_comparison(results_a, results_b, confidence=0.95)`
        returning a dictionary with

        - `"diff"`: $\bar d$; `"se"`: the paired standard error; `"low"`, `"high"`: $\bar d \mp z\,\mathrm{SE}$;
        - `"p_value"`: the two-sided normal p-value $2\,(1 - \Phi(|\bar d|/\mathrm{SE}))$ (use `NormalDist`);
          when $\mathrm{SE} = 0$ it is $1$ if $\bar d = 0$ and $0$ otherwise;
        - `"se_unpaired"`: $\sqrt{s_a^2/T + s_b^2/T}$ with the per-task rates' sample variances, for comparison.
        """,
    ),
    solution(
        "paired_comparison",
        """
        def paired_comparison(results_a, results_b, confidence=0.95):
            \"\"\"Paired difference of two agents' success rates on the same tasks, with its SE, CI and p-value.\"\"\"
            ### BEGIN SOLUTION
            a = np.asarray(results_a, dtype=float).mean(axis=1)
            b = np.asarray(results_b, dtype=float).mean(axis=1)
            d = a - b
            t = len(d)
            diff = float(d.mean())
            se = float(d.std(ddof=1) / math.sqrt(t))
            z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
            if se > 0:
                p_value = 2.0 * (1.0 - NormalDist().cdf(abs(diff) / se))
            else:
                p_value = 1.0 if diff == 0 else 0.0
            se_unpaired = math.sqrt(a.var(ddof=1) / t + b.var(ddof=1) / t)
            return {"diff": diff, "se": se, "low": diff - z * se, "high": diff + z * se, "p_value": p_value,
                    "se_unpaired": se_unpaired}
            ### END SOLUTION
        """,
    ),
    tests(
        "test_paired_comparison",
        3,
        """
        comparison = paired_comparison(results_capped, results_playbook)
        print({key: round(value, 4) for key, value in comparison.items()})
        assert abs(comparison["diff"] - (results_capped.mean() - results_playbook.mean())) < 1e-12
        assert comparison["low"] <= comparison["diff"] <= comparison["high"]
        ### BEGIN HIDDEN TESTS
        A_t = np.array([[1, 1, 0, 1], [0, 0, 0, 0], [1, 1, 1, 1], [1, 0, 1, 1], [0, 1, 0, 0], [1, 1, 1, 0]])
        B_t = np.array([[1, 0, 0, 1], [0, 0, 0, 1], [1, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0], [1, 1, 0, 0]])
        out = {key: float(value) for key, value in dict(paired_comparison(A_t, B_t, confidence=0.9)).items()}
        a_m, b_m = A_t.mean(axis=1), B_t.mean(axis=1)
        d_m = a_m - b_m
        se_ref = d_m.std(ddof=1) / math.sqrt(6)
        z90 = NormalDist().inv_cdf(0.95)
        assert abs(out["diff"] - d_m.mean()) < 1e-12 and abs(out["se"] - se_ref) < 1e-12
        assert abs(out["low"] - (d_m.mean() - z90 * se_ref)) < 1e-12 and abs(out["high"] - (d_m.mean() + z90 * se_ref)) < 1e-12
        assert abs(out["p_value"] - 2 * (1 - NormalDist().cdf(d_m.mean() / se_ref))) < 1e-12
        assert abs(out["se_unpaired"] - math.sqrt(a_m.var(ddof=1) / 6 + b_m.var(ddof=1) / 6)) < 1e-12
        same = {key: float(value) for key, value in dict(paired_comparison(A_t, A_t)).items()}
        assert same["diff"] == 0.0 and same["se"] == 0.0 and same["p_value"] == 1.0
        shifted = {key: float(value) for key, value in dict(paired_comparison(np.ones((3, 2)), np.zeros((3, 2)))).items()}
        assert shifted["diff"] == 1.0 and shifted["p_value"] == 0.0
        ### END HIDDEN TESTS
        """,
    ),
]

CONTAMINATION = [
    markdown(
        "contamination-intro",
        r"""
        ## 5. Contamination (3 + 2 points)

        If benchmark tasks (with their answers) were in an agent's training data, its score measures memory,
        not skill. A standard check looks for long word n-grams shared by a task and the training corpus.

        - `word_ngrams(text, n)`: lower-case the text, take its tokens `re.findall(r"[a-z0-9]+", text)`,
          and return the **set** of tuples of $n$ consecutive tokens (empty if there are fewer than $n$).
        - `contamination_scores(texts, corpus, n)`: for each text, the share of its n-grams that occur in
          some corpus document (a float array, one entry per text; 0 for a text without n-grams).

        Case, punctuation and line breaks do not hide a leak from this check. The tasks come from one
        template, so they share many n-grams without any leak: here a task names its product twice, and as
        no two tasks or documents name the same product, a clean task can share at most the 13-grams between
        those two mentions (15 of its 22). With $n = 13$, a task scoring $0.8$ or more is flagged.

        Then `leakage_gap(results, flags)`: the success rate over the runs of the flagged tasks minus that of
        the other tasks (a float).
        """,
    ),
    solution(
        "word_ngrams",
        """
        def word_ngrams(text, n):
            \"\"\"The set of n-tuples of consecutive lower-case alphanumeric tokens of text.\"\"\"
            ### BEGIN SOLUTION
            tokens = re.findall(r"[a-z0-9]+", text.lower())
            return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}
            ### END SOLUTION
        """,
    ),
    solution(
        "contamination_scores",
        """
        def contamination_scores(texts, corpus, n):
            \"\"\"Share of each text's word n-grams found anywhere in the corpus.\"\"\"
            ### BEGIN SOLUTION
            seen = set()
            for document in corpus:
                seen |= word_ngrams(document, n)
            scores = []
            for text in texts:
                grams = word_ngrams(text, n)
                scores.append(len(grams & seen) / len(grams) if grams else 0.0)
            return np.array(scores)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_contamination",
        3,
        """
        assert word_ngrams("Order 12 packs, now!", 2) == {("order", "12"), ("12", "packs"), ("packs", "now")}
        scores = contamination_scores([t["text"] for t in tasks], corpus, n=13)
        flagged = np.flatnonzero(scores >= 0.8)
        print("flagged tasks", flagged, "| leaked tasks", leaked_index)
        ### BEGIN HIDDEN TESTS
        assert word_ngrams("a b", 3) == set() and word_ngrams("A-b C\\nd", 2) == {("a", "b"), ("b", "c"), ("c", "d")}
        assert len(word_ngrams("x x x x", 2)) == 1, "a set, not a list"
        toy_corpus = ["The cat sat on the mat.", "A DOG ran home"]
        toy_scores = np.asarray(contamination_scores(["the cat sat here", "a dog ran", "", "cat"], toy_corpus, 2), dtype=float)
        assert np.allclose(toy_scores, [2 / 3, 1.0, 0.0, 0.0], rtol=0, atol=1e-12)
        # Leaked tasks appear verbatim up to case and punctuation, so they score 1; a clean task's 13-grams that
        # contain its product code occur nowhere else, so it scores at most 15/22 < 0.8: the flags are the leaks.
        got = np.asarray(contamination_scores([t["text"] for t in tasks], corpus, 13), dtype=float)
        assert np.allclose(got[leaked_index], 1.0)
        assert np.array_equal(np.flatnonzero(got >= 0.8), leaked_index)
        universe = set()
        for doc in corpus:
            universe |= set(zip(*[re.findall(r"[a-z0-9]+", doc.lower())[i:] for i in range(13)]))
        ref = []
        for t in tasks:
            words = re.findall(r"[a-z0-9]+", t["text"].lower())
            grams = set(zip(*[words[i:] for i in range(13)]))
            ref.append(len(grams & universe) / len(grams))
        assert np.allclose(got, ref, rtol=0, atol=1e-12)
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "leakage_gap",
        """
        def leakage_gap(results, flags):
            \"\"\"Success rate on the flagged tasks minus the success rate on the others.\"\"\"
            ### BEGIN SOLUTION
            results = np.asarray(results, dtype=float)
            flags = np.asarray(flags, dtype=bool)
            return float(results[flags].mean() - results[~flags].mean())
            ### END SOLUTION
        """,
    ),
    tests(
        "test_leakage_gap",
        2,
        """
        assert leakage_gap(np.array([[1, 1], [0, 0], [1, 0]]), np.array([True, False, False])) == 0.75
        results_memorizer = run_benchmark(agent_memorizer, tasks, n_samples=10, seed=2026)
        leak_flags = contamination_scores([t["text"] for t in tasks], corpus, n=13) >= 0.8
        print(f"memorizer: overall {results_memorizer.mean():.3f}, on clean tasks {results_memorizer[~leak_flags].mean():.3f}")
        ### BEGIN HIDDEN TESTS
        res_t = np.array([[1, 1, 1], [0, 1, 0], [0, 0, 0], [1, 1, 0]])
        gap_t = float(leakage_gap(res_t, np.array([True, False, False, True])))
        assert abs(gap_t - (5 / 6 - 1 / 6)) < 1e-12
        gap_t = float(leakage_gap(res_t, [False, True, True, False]))
        assert abs(gap_t - (1 / 6 - 5 / 6)) < 1e-12
        assert float(leakage_gap(np.array([[1, 0, 0, 0], [1, 1, 1, 1]]), np.array([True, False]))) == -0.75
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "answer_evaluation-question",
        r"""
        **Written answer (2 points).** Report the memorizer's success rate on the whole benchmark and on the
        clean tasks, with task-clustered 95% intervals, and say which number a paper should report and why.
        Then say, from your paired comparison and pass@k, whether the capped agent is better than the
        playbook agent, and why the paired standard error is not smaller than the unpaired one here.
        """,
    ),
    answer(
        "answer_evaluation",
        2,
        """
        On seed 0 the memorizer scores about 0.61 overall but about 0.52 on the 48 clean tasks, where the
        clustered interval is roughly plus or minus 0.07: the twelve leaked tasks, answered from memory at
        about 0.97, add some nine points. The clean-task rate (with its interval and the contamination check)
        is the number to report: the leaked tasks measure recall of training data, not the skill the
        benchmark is meant to measure. The capped agent is not detectably better than the playbook agent:
        the difference in success rates is about 0.01 and its paired interval contains zero. They fail on
        different tasks: the playbook agent slips at random, so retries help (pass@5 close to 1), while the
        capped agent fails every task that needs three packs, so its pass@k stays near 0.82 whatever k.
        Pairing removes what the agents share; here the per-task rates are not positively correlated (the
        capped agent is best exactly where the playbook agent is ordinary, and worst on the three-pack
        tasks), so the paired standard error is no smaller than the unpaired one.
        """,
    ),
]
