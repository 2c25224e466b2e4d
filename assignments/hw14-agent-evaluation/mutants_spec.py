"""Homework 14 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces the body of one solution region; everything else is the reference solution. All of
them pass the visible tests, so only the hidden tests can tell them apart from a correct answer.
"""

from nbbuild import Mutant

ALWAYS_EQUAL = """
class AlwaysEqual:
    \"\"\"Compares equal (and less, and greater) to anything: a way to game '==' checks.\"\"\"

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__
    __hash__ = None

    def __repr__(self):
        return "0.75"


return AlwaysEqual()
"""

MUTANTS = [
    Mutant(
        name="one_generator_per_run_index",
        description="Seeds run j with default_rng([seed, j]) for every task, so runs are no longer per task.",
        fills={
            "run_benchmark": """
            results = np.zeros((len(tasks), n_samples), dtype=int)
            for i, task in enumerate(tasks):
                for j in range(n_samples):
                    results[i, j] = agent(task, np.random.default_rng([seed, j]))
            return results
            """
        },
        fails=["test_run_benchmark"],
    ),
    Mutant(
        name="runs_treated_as_independent",
        description="The standard error treats all tasks x runs outcomes as independent (no clustering by task).",
        fills={
            "clustered_interval": """
            outcomes = np.asarray(results, dtype=float).ravel()
            p_hat = float(outcomes.mean())
            se = float(outcomes.std(ddof=1) / math.sqrt(len(outcomes)))
            z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
            return p_hat, se, p_hat - z * se, p_hat + z * se
            """
        },
        fails=["test_clustered_interval"],
    ),
    Mutant(
        name="wald_interval",
        description="Returns the Wald interval (clipped to [0, 1]) where the Wilson interval is asked.",
        fills={
            "wilson_interval": """
            z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
            p = successes / n
            half = z * math.sqrt(p * (1 - p) / n)
            return max(0.0, p - half), min(1.0, p + half)
            """
        },
        fails=["test_wilson_interval"],
    ),
    Mutant(
        name="plug_in_pass_at_k",
        description="Estimates pass@k by plugging c/n into 1 - (1 - p)^k, which is biased.",
        fills={"pass_at_k": "return 1.0 - (1.0 - c / n) ** k"},
        fails=["test_pass_at_k"],
    ),
    Mutant(
        name="unpaired_standard_error",
        description="Uses the unpaired standard error for the difference of two agents on the same tasks.",
        fills={
            "paired_comparison": """
            a = np.asarray(results_a, dtype=float).mean(axis=1)
            b = np.asarray(results_b, dtype=float).mean(axis=1)
            t = len(a)
            diff = float(a.mean() - b.mean())
            se = math.sqrt(a.var(ddof=1) / t + b.var(ddof=1) / t)
            z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
            p_value = 2.0 * (1.0 - NormalDist().cdf(abs(diff) / se)) if se > 0 else float(diff == 0)
            return {"diff": diff, "se": se, "low": diff - z * se, "high": diff + z * se, "p_value": p_value,
                    "se_unpaired": se}
            """
        },
        fails=["test_paired_comparison"],
    ),
    Mutant(
        name="any_shared_ngram",
        description="Scores a text 1 as soon as it shares any n-gram with the corpus, so template n-grams flag every task.",
        fills={
            "contamination_scores": """
            seen = set()
            for document in corpus:
                seen |= word_ngrams(document, n)
            return np.array([float(bool(word_ngrams(text, n) & seen)) for text in texts])
            """
        },
        fails=["test_contamination"],
    ),
    Mutant(
        name="gap_always_equal",
        description="leakage_gap returns an object whose == is always true instead of a number.",
        fills={"leakage_gap": ALWAYS_EQUAL},
        fails=["test_leakage_gap"],
    ),
]
