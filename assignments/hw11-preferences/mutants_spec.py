"""Homework 11 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces one solution region; everything else is the reference solution. All of them pass
the visible tests, so only the hidden tests can tell them apart from a correct answer.
"""

from nbbuild import Mutant

ALWAYS_EQUAL_DPO = """
class AlwaysEqual:
    \"\"\"Equal to, less than and greater than anything, and absorbs arithmetic: a way to game checks.\"\"\"

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

    __rsub__ = __add__ = __radd__ = __truediv__ = __mul__ = __rmul__ = __sub__

    def __abs__(self):
        return self

    def __repr__(self):
        return "0.6931"


return AlwaysEqual()
"""

MUTANTS = [
    Mutant(
        name="bt_naive_log_sigmoid",
        description="Takes the log of the sigmoid, which is -inf once a rejected reward is far above the chosen one.",
        fills={
            "bt_loss": """
            return -torch.log(torch.sigmoid(r_chosen - r_rejected)).mean()
            """
        },
        fails=["test_bt_loss"],
    ),
    Mutant(
        name="rm_grad_not_zeroed",
        description="Never zeroes theta's gradient, so every step adds all earlier gradients to the current one.",
        fills={
            "train_reward_model": """
            theta = torch.zeros(phi_c.shape[1], dtype=torch.float64, requires_grad=True)
            losses = []
            for _ in range(epochs):
                loss = bt_loss(phi_c @ theta, phi_r @ theta)
                loss.backward()
                with torch.no_grad():
                    theta -= lr * theta.grad
                losses.append(loss.item())
            return theta.detach(), losses
            """
        },
        fails=["test_reward_model"],
    ),
    Mutant(
        name="logprob_ignores_mask",
        description="Sums the log-probabilities of every position, prompt and padding included.",
        fills={
            "sequence_logprob": """
            token_logps = F.log_softmax(logits, dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
            return token_logps.sum(dim=-1)
            """
        },
        fails=["test_sequence_logprob"],
    ),
    Mutant(
        name="dpo_ignores_reference",
        description="DPO without the reference model: the margin is the policy's log-probability difference alone.",
        fills={
            "dpo_loss": """
            return -F.logsigmoid(beta * (policy_chosen - policy_rejected)).mean()
            """
        },
        fails=["test_dpo_loss"],
    ),
    Mutant(
        name="dpo_always_equal",
        description="dpo_loss returns an object whose == (and <, -) is always satisfied.",
        fills={"dpo_loss": ALWAYS_EQUAL_DPO},
        fails=["test_dpo_loss"],
    ),
    Mutant(
        name="reward_units_only",
        description="The verifier checks only the units token, so GRPO never learns the carry.",
        fills={
            "verifiable_reward": """
            total = prompts // BASE + prompts % BASE
            return (completions[:, 1] == total % BASE).to(torch.float32)
            """
        },
        fails=["test_reward", "test_train_grpo"],
    ),
    Mutant(
        name="advantages_whole_batch",
        description="Normalises the rewards over the whole batch instead of within each prompt's group.",
        fills={
            "group_advantages": """
            return (rewards - rewards.mean()) / (rewards.std(unbiased=False) + eps)
            """
        },
        fails=["test_group_advantages"],
    ),
    Mutant(
        name="grpo_clipped_term_only",
        description="Uses only the clipped surrogate, dropping the min with the unclipped one (not pessimistic).",
        fills={
            "grpo_loss": """
            ratio = torch.exp(logp_new - logp_old)
            surrogate = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages.unsqueeze(1)
            delta = logp_ref - logp_new
            kl = torch.exp(delta) - delta - 1.0
            per_token = (surrogate - beta_kl * kl) * mask
            return -(per_token.sum(dim=1) / mask.sum(dim=1)).mean()
            """
        },
        fails=["test_grpo_loss"],
    ),
]
