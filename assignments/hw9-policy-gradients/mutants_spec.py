"""Homework 9 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces one solution region; everything else is the reference solution. All of them pass
the visible tests, so only the hidden tests can tell them apart from a correct answer. Training never
calls discounted_returns and its logits stay small, so the first two mutants cannot change the trained
policy; PPO with normalised advantages still balances the pole with the terminal-bootstrapping GAE (every
one of 6 seeds tried reached 200), while the inverted ratio always wrecks training (returns of about 9).
"""

from nbbuild import Mutant

ALWAYS_EQUAL_RETURNS = """
class AlwaysEqual:
    \"\"\"Equal to anything, smaller than anything, and absorbs arithmetic: a way to game checks.\"\"\"

    shape = (3,)

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__
    __hash__ = None

    def __sub__(self, other):
        return self

    __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __sub__

    def abs(self):
        return self

    def max(self):
        return self

    def __repr__(self):
        return "tensor([1.7500, 1.5000, 1.0000])"


return AlwaysEqual()
"""

MUTANTS = [
    Mutant(
        name="returns_always_equal",
        description="discounted_returns returns an object whose == (and <, -) is always satisfied.",
        fills={"discounted_returns": ALWAYS_EQUAL_RETURNS},
        fails=["test_discounted_returns"],
    ),
    Mutant(
        name="log_prob_unstable",
        description="Takes the log of softmax probabilities, which underflow to log(0) = -inf for large logits.",
        fills={
            "log_prob_and_entropy": """
            probs = torch.softmax(logits, dim=1)
            log_probs = torch.log(probs.gather(1, actions.unsqueeze(1)).squeeze(1))
            entropy = -(probs * torch.log(probs)).sum(dim=1)
            return log_probs, entropy
            """
        },
        fails=["test_log_prob"],
    ),
    Mutant(
        name="gae_bootstraps_terminal",
        description="GAE adds gamma * V(s') even when the episode terminated in s' (only the sum is cut).",
        fills={
            "gae_advantages": """
            advantages = torch.zeros_like(rewards)
            running = torch.zeros_like(rewards[0])
            for t in reversed(range(rewards.shape[0])):
                delta = rewards[t] + gamma * next_values[t] - values[t]
                running = delta + gamma * lam * (1.0 - episode_end[t].float()) * running
                advantages[t] = running
            return advantages
            """
        },
        fails=["test_gae"],
    ),
    Mutant(
        name="ppo_ratio_inverted",
        description="Computes the probability ratio as old / new instead of new / old.",
        fills={
            "ppo_clip_loss": """
            ratio = torch.exp(old_log_probs - new_log_probs)
            clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps)
            return -torch.min(ratio * advantages, clipped * advantages).mean()
            """
        },
        fails=["test_ppo_clip", "test_cartpole"],
    ),
]
