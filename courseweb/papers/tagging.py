"""Tag suggestions for papers: a controlled vocabulary aligned with the course's sessions, and keyword rules.

Plain Python.  ``suggest_tags(title=..., abstract=...)`` returns vocabulary slugs whose keywords occur in the
text (whole words, case-insensitive), in vocabulary order.  Suggestions are only that: staff confirm or
reject each one in the catalogue, and only confirmed tags are shown to students and used by filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class TagRule:
    slug: str
    label: str
    keywords: tuple[str, ...]

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(r"\b(?:" + "|".join(self.keywords) + r")", re.IGNORECASE)


VOCABULARY: tuple[TagRule, ...] = (
    TagRule(
        slug="rl-foundations",
        label="RL foundations and MDPs",
        keywords=(
            r"markov decision",
            r"MDPs?\b",
            r"bellman",
            r"dynamic programming",
            r"reinforcement learning",
        ),
    ),
    TagRule(slug="bandits", label="Bandits", keywords=(r"bandits?\b", r"regret\b", r"explore-exploit")),
    TagRule(
        slug="deep-rl",
        label="Model-free and deep RL",
        keywords=(
            r"deep reinforcement",
            r"deep RL",
            r"q-learning",
            r"policy gradient",
            r"actor-critic",
            r"model-based RL",
            r"world models?\b",
        ),
    ),
    TagRule(
        slug="off-policy",
        label="Off-policy evaluation and learning",
        keywords=(r"off-policy", r"offline reinforcement", r"offline RL", r"offline data", r"counterfactual"),
    ),
    TagRule(
        slug="rlhf-alignment",
        label="RLHF, RLVR and alignment",
        keywords=(
            r"RLHF",
            r"RLVR",
            r"human feedback",
            r"preference optimization",
            r"DPO\b",
            r"reward models?\b",
            r"alignment",
        ),
    ),
    TagRule(
        slug="llm",
        label="Large language models",
        keywords=(r"large language models?", r"LLMs?\b", r"language models?"),
    ),
    TagRule(
        slug="llm-agents",
        label="LLM agents",
        keywords=(
            r"LLM agents?",
            r"LLM-based agents?",
            r"language agents?",
            r"agentic",
            r"autonomous agents?",
        ),
    ),
    TagRule(
        slug="tool-use",
        label="Tool use and coding agents",
        keywords=(r"tool use", r"tool-augmented", r"coding agents?", r"code generation"),
    ),
    TagRule(
        slug="agent-evaluation",
        label="Agent and model evaluation",
        keywords=(r"benchmarks?\b", r"LLM judges?", r"LLM-as-a-judge", r"evaluation framework"),
    ),
    TagRule(
        slug="multi-agent",
        label="Multi-agent systems and simulation",
        keywords=(r"multi-agent", r"agent-based", r"simulacra", r"simulated agents?"),
    ),
    TagRule(
        slug="pricing-revenue",
        label="Pricing and revenue management",
        keywords=(r"pricing", r"revenue management", r"assortment", r"dynamic price"),
    ),
    TagRule(
        slug="supply-chain",
        label="Supply chain and inventory",
        keywords=(r"inventory", r"supply chains?", r"warehouses?", r"fulfill?ment"),
    ),
    TagRule(
        slug="marketing-ads",
        label="Marketing and advertising",
        keywords=(r"marketing", r"advertis", r"coupons?", r"click-through", r"ad auctions?"),
    ),
    TagRule(
        slug="markets-platforms",
        label="Markets, platforms and economics",
        keywords=(
            r"marketplaces?",
            r"platforms?\b",
            r"economic",
            r"mechanism design",
            r"auctions?",
            r"equilibri",
        ),
    ),
    TagRule(
        slug="causal-experiments",
        label="Causal inference and experiments",
        keywords=(
            r"causal",
            r"treatment effects?",
            r"A/B test",
            r"experiments? design",
            r"instrumental variable",
            r"randomized",
        ),
    ),
    TagRule(
        slug="or-llm-inference",
        label="OR for LLM inference",
        keywords=(r"LLM inference", r"LLM serving", r"KV cache", r"inference scheduling"),
    ),
    TagRule(
        slug="multi-objective",
        label="Multi-objective trade-offs",
        keywords=(r"pareto", r"multi-objective", r"trade-?offs?"),
    ),
    TagRule(
        slug="fairness-privacy",
        label="Fairness and privacy",
        keywords=(r"fairness", r"\bfair\b", r"privacy", r"differentially private"),
    ),
    TagRule(
        slug="scaling-efficiency",
        label="Scaling and efficiency",
        keywords=(r"scaling laws?", r"compute-optimal", r"energy consumption", r"compute budget"),
    ),
)
TAG_LABELS: dict[str, str] = {rule.slug: rule.label for rule in VOCABULARY}
_PATTERNS = tuple((rule.slug, rule.pattern) for rule in VOCABULARY)


def suggest_tags(*, title: str | None, abstract: str) -> list[str]:
    """Vocabulary slugs whose keywords appear in the title or abstract, in vocabulary order."""
    text = f"{title or ''}\n{abstract}"
    return [slug for slug, pattern in _PATTERNS if pattern.search(text)]
