"""Homework 11, part 3: GRPO with a verifiable reward on a toy arithmetic task.

The policy is a tabular softmax model of two answer tokens (the smallest "language model"), locked so that
sampling consumes the generator the same way in every submission. The exact tests check the reward, the
group-normalised advantages and the clipped objective on hand-made tensors; the training test runs the
student's GRPO loop once, from a fixed seed (one run keeps the cell cheap), and judges the trained policy
with its own answer key.
"""

from nbbuild import answer, locked, markdown, solution, tests

GRPO = [
    markdown(
        "grpo-intro",
        r"""
        ## 3. GRPO with a verifiable reward (1 + 2 + 3 + 3 points)

        **The task.** A prompt is a pair of digits $a, b \in \{0, \dots, 4\}$ (prompt id $5a + b$, 25 prompts);
        the answer is $a + b$ written in base 5 as two tokens, (fives, units): $3 + 4 = 7$ is `(1, 2)`. The
        reward is **verifiable**: a program checks the answer, 1 if both tokens are right and 0 otherwise.
        No reward model is learned, so there is nothing for the policy to exploit (RLVR, reinforcement
        learning with verifiable rewards, as for maths and code in reasoning models).

        **The policy** (`TinyPolicy`, locked) is a table of logits: the first token's distribution depends on
        the prompt, the second on the prompt and the first token. It starts uniform, so a random answer is
        right with probability 1/25.

        **GRPO** (Shao et al. 2024) samples a *group* of $G$ completions $y_{1..G}$ for each prompt and scores
        each relative to its group, which replaces PPO's learned value function (the critic):
        $$\hat A_{i} = \frac{r_i - \operatorname{mean}(r_{1..G})}{\operatorname{std}(r_{1..G}) + \varepsilon},$$
        with the population standard deviation (divide by $G$) and $\varepsilon = 10^{-6}$; every token of
        completion $i$ gets the advantage $\hat A_i$. With $\rho_{i,t} = \pi_\theta(y_{i,t} \mid \cdot) /
        \pi_{\text{old}}(y_{i,t} \mid \cdot)$ (the policy that sampled the group is $\pi_{\text{old}}$), GRPO
        maximises PPO's clipped surrogate minus a KL penalty to a frozen reference policy:
        $$J = \frac{1}{N} \sum_{i} \frac{1}{|y_i|} \sum_{t \in y_i} \Big[\min\big(\rho_{i,t} \hat A_i,\;
        \operatorname{clip}(\rho_{i,t}, 1 - \epsilon_c, 1 + \epsilon_c)\, \hat A_i\big) - \beta\, k_{i,t}\Big],
        \qquad k_{i,t} = e^{\delta_{i,t}} - \delta_{i,t} - 1,\; \delta_{i,t} = \log\pi_{\text{ref}} -
        \log\pi_\theta ,$$
        where $k$ is an unbiased, always non-negative estimate of $\mathrm{KL}(\pi_\theta \,\|\, \pi_{\text{ref}})$ and
        $|y_i|$ counts completion $i$'s tokens (its mask). The loss is $-J$.

        * `verifiable_reward(prompts, completions)`: a float tensor of 0/1 rewards, one per completion.
        * `group_advantages(rewards, eps=1e-6)`: `rewards` has shape (prompts, $G$); normalise each row.
        * `grpo_loss(logp_new, logp_old, logp_ref, advantages, mask, clip_eps, beta_kl)`: token
          log-probabilities of shape $(N, T)$, `advantages` $(N,)$, `mask` $(N, T)$; returns $-J$.
        * `train_grpo(policy, steps, group_size, lr, clip_eps, beta_kl, seed)`: keep a frozen copy of the
          starting policy as the reference (`copy.deepcopy`), create `torch.optim.Adam(policy.parameters(),
          lr=lr)` and `generator = torch.Generator().manual_seed(seed)`. Each step: the prompts are
          `ALL_PROMPTS.repeat_interleave(group_size)` (each prompt $G$ times, in order); sample completions with
          `policy.sample(prompts, generator)`; compute rewards and advantages (reshape the rewards to
          (25, $G$)); compute the old and reference token log-probabilities without gradients; then take
          `INNER_UPDATES` = 2 optimiser steps on `grpo_loss` (the same samples, so the ratio moves away from 1
          on the second step and clipping matters). Return the list of each step's mean reward.
        """,
    ),
    locked(
        "task",
        """
        BASE = 5
        ALL_PROMPTS = torch.arange(BASE * BASE)
        INNER_UPDATES = 2


        class TinyPolicy(nn.Module):
            \"\"\"Logits of the first answer token per prompt, of the second per (prompt, first token).\"\"\"

            def __init__(self):
                super().__init__()
                self.first = nn.Parameter(torch.zeros(BASE * BASE, BASE))
                self.second = nn.Parameter(torch.zeros(BASE * BASE, BASE, BASE))

            def token_logprobs(self, prompts, completions):
                \"\"\"(N, 2) log-probabilities of each completion's two tokens.\"\"\"
                first = F.log_softmax(self.first[prompts], dim=-1).gather(1, completions[:, :1])
                second = F.log_softmax(self.second[prompts, completions[:, 0]], dim=-1).gather(1, completions[:, 1:])
                return torch.cat([first, second], dim=1)

            @torch.no_grad()
            def sample(self, prompts, generator):
                \"\"\"One completion per prompt, shape (N, 2), drawn with the given torch.Generator.\"\"\"
                first = torch.multinomial(F.softmax(self.first[prompts], dim=-1), 1, generator=generator).squeeze(1)
                second = torch.multinomial(F.softmax(self.second[prompts, first], dim=-1), 1, generator=generator)
                return torch.stack([first, second.squeeze(1)], dim=1)

            @torch.no_grad()
            def greedy(self, prompts):
                \"\"\"The most likely first token, then the most likely second token given it.\"\"\"
                first = self.first[prompts].argmax(dim=-1)
                return torch.stack([first, self.second[prompts, first].argmax(dim=-1)], dim=1)
        """,
    ),
    solution(
        "verifiable_reward",
        """
        def verifiable_reward(prompts, completions):
            \"\"\"1.0 where completion == (fives, units) of a + b for prompt 5a + b, else 0.0.\"\"\"
            ### BEGIN SOLUTION
            total = prompts // BASE + prompts % BASE
            correct = (completions[:, 0] == total // BASE) & (completions[:, 1] == total % BASE)
            return correct.to(torch.float32)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_reward",
        1,
        """
        assert verifiable_reward(torch.tensor([0, 6]), torch.tensor([[0, 0], [0, 1]])).tolist() == [1.0, 0.0]
        ### BEGIN HIDDEN TESTS
        a_t, b_t = ALL_PROMPTS // 5, ALL_PROMPTS % 5
        key_t = torch.stack([(a_t + b_t) // 5, (a_t + b_t) % 5], dim=1)
        assert np.asarray(verifiable_reward(ALL_PROMPTS, key_t), dtype=float).tolist() == [1.0] * 25
        wrong_fives = key_t.clone()
        wrong_fives[:, 0] = 1 - wrong_fives[:, 0]
        assert np.asarray(verifiable_reward(ALL_PROMPTS, wrong_fives), dtype=float).tolist() == [0.0] * 25, "both tokens count"
        wrong_units = key_t.clone()
        wrong_units[:, 1] = (wrong_units[:, 1] + 1) % 5
        assert np.asarray(verifiable_reward(ALL_PROMPTS, wrong_units), dtype=float).tolist() == [0.0] * 25
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "group_advantages",
        """
        def group_advantages(rewards, eps=1e-6):
            \"\"\"(r - mean of its row) / (population std of its row + eps), for rewards of shape (prompts, G).\"\"\"
            ### BEGIN SOLUTION
            mean = rewards.mean(dim=1, keepdim=True)
            std = rewards.std(dim=1, unbiased=False, keepdim=True)
            return (rewards - mean) / (std + eps)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_group_advantages",
        2,
        """
        adv_v = group_advantages(torch.tensor([[1.0, 0.0, 0.0, 1.0]]))
        assert torch.allclose(adv_v, torch.tensor([[1.0, -1.0, -1.0, 1.0]]), atol=1e-4)
        ### BEGIN HIDDEN TESTS
        r_t = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
        got = np.asarray(group_advantages(r_t), dtype=float)
        s3 = np.sqrt(3.0)
        expected = np.array([[s3, -1 / s3, -1 / s3, -1 / s3], [0.0] * 4, [-s3, 1 / s3, 1 / s3, 1 / s3], [0.0] * 4])
        assert np.allclose(got, expected, rtol=0, atol=1e-5), "each group on its own; equal rewards give 0"
        graded = torch.tensor([[0.2, 0.5, 0.9], [3.0, 1.0, 2.0]], dtype=torch.float64)
        scaled = (graded - graded.mean(1, keepdim=True)) / (graded.std(1, unbiased=False, keepdim=True) + 1e-6)
        assert np.allclose(np.asarray(group_advantages(graded), dtype=float), scaled.numpy(), rtol=0, atol=1e-9)
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "grpo_loss",
        """
        def grpo_loss(logp_new, logp_old, logp_ref, advantages, mask, clip_eps=0.2, beta_kl=0.04):
            \"\"\"Minus GRPO's objective: clipped surrogate minus beta * k3 KL, mean over each completion's tokens.\"\"\"
            ### BEGIN SOLUTION
            ratio = torch.exp(logp_new - logp_old)
            adv = advantages.unsqueeze(1)
            surrogate = torch.minimum(ratio * adv, torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * adv)
            delta = logp_ref - logp_new
            kl = torch.exp(delta) - delta - 1.0
            per_token = (surrogate - beta_kl * kl) * mask
            return -(per_token.sum(dim=1) / mask.sum(dim=1)).mean()
            ### END SOLUTION
        """,
    ),
    tests(
        "test_grpo_loss",
        3,
        """
        lp_v = torch.log(torch.full((3, 2), 0.3))
        adv_v = torch.tensor([1.0, -0.5, 2.0])
        assert abs(float(grpo_loss(lp_v, lp_v, lp_v, adv_v, torch.ones(3, 2))) + float(adv_v.mean())) < 1e-6, (
            "on the sampling policy, with no drift from the reference, the loss is minus the mean advantage"
        )
        ### BEGIN HIDDEN TESTS
        new_t = torch.log(torch.tensor([[0.5, 0.2, 0.3], [0.1, 0.6, 0.9], [0.4, 0.4, 0.05]], dtype=torch.float64))
        old_t = torch.log(torch.tensor([[0.3, 0.25, 0.3], [0.2, 0.5, 0.6], [0.5, 0.3, 0.2]], dtype=torch.float64))
        ref_t = torch.log(torch.tensor([[0.4, 0.2, 0.1], [0.2, 0.4, 0.7], [0.3, 0.5, 0.1]], dtype=torch.float64))
        adv_t = torch.tensor([1.5, -0.7, -1.2], dtype=torch.float64)
        mask_t = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]], dtype=torch.float64)
        ratio = np.exp(new_t.numpy() - old_t.numpy())
        expected = 0.0
        for i in range(3):
            A = adv_t[i].item()
            terms = []
            for t in range(3):
                if mask_t[i, t]:
                    surr = min(ratio[i, t] * A, np.clip(ratio[i, t], 0.8, 1.2) * A)
                    d = ref_t[i, t].item() - new_t[i, t].item()
                    terms.append(surr - 0.1 * (np.exp(d) - d - 1.0))
            expected += np.mean(terms) / 3
        new_var = new_t.clone().requires_grad_()
        got = grpo_loss(new_var, old_t, ref_t, adv_t, mask_t, clip_eps=0.2, beta_kl=0.1)
        assert abs(float(got.detach()) + expected) < 1e-12, (float(got.detach()), -expected)
        got.backward()
        assert abs(float(new_var.grad[0, 0]) - 0.1 * (1.0 - 0.4 / 0.5) / 2 / 3) < 1e-12, "clipped: only the KL term"
        assert float(new_var.grad[0, 2]) == 0.0, "masked tokens get no gradient"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "train_grpo",
        """
        def train_grpo(policy, steps, group_size, lr, clip_eps, beta_kl, seed):
            \"\"\"GRPO on the arithmetic task; returns the list of each step's mean reward.\"\"\"
            ### BEGIN SOLUTION
            reference = copy.deepcopy(policy)
            optimiser = torch.optim.Adam(policy.parameters(), lr=lr)
            generator = torch.Generator().manual_seed(seed)
            prompts = ALL_PROMPTS.repeat_interleave(group_size)
            history = []
            for _ in range(steps):
                completions = policy.sample(prompts, generator)
                rewards = verifiable_reward(prompts, completions)
                advantages = group_advantages(rewards.view(len(ALL_PROMPTS), group_size)).reshape(-1)
                with torch.no_grad():
                    logp_old = policy.token_logprobs(prompts, completions)
                    logp_ref = reference.token_logprobs(prompts, completions)
                mask = torch.ones_like(logp_old)
                for _ in range(INNER_UPDATES):
                    loss = grpo_loss(policy.token_logprobs(prompts, completions), logp_old, logp_ref, advantages, mask, clip_eps, beta_kl)
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                history.append(float(rewards.mean()))
            return history
            ### END SOLUTION
        """,
    ),
    tests(
        "test_train_grpo",
        3,
        """
        student_policy = TinyPolicy()
        grpo_history = train_grpo(student_policy, steps=30, group_size=16, lr=0.1, clip_eps=0.2, beta_kl=0.04, seed=77)
        assert len(grpo_history) == 30
        greedy_accuracy = float(verifiable_reward(ALL_PROMPTS, student_policy.greedy(ALL_PROMPTS)).mean())
        print("mean reward every 5 steps:", np.round(grpo_history[::5], 3), "| greedy accuracy", greedy_accuracy)
        ### BEGIN HIDDEN TESTS
        history_t = np.asarray(grpo_history, dtype=float)
        a_t, b_t = ALL_PROMPTS // 5, ALL_PROMPTS % 5
        key_t = torch.stack([(a_t + b_t) // 5, (a_t + b_t) % 5], dim=1)
        solved = (student_policy.greedy(ALL_PROMPTS) == key_t).all(dim=1).double().mean().item()
        # (S) Repetitions: one training run from a fixed seed (the policy starts uniform). Tolerance: greedy
        # accuracy >= 0.9, a last-5-step mean reward >= 0.7 and a first-3-step mean below 0.2. Over 200
        # training seeds the reference solved all 25 prompts every time; its last-5-step mean reward was at
        # least 0.976 (mean 0.984, sd 0.003) and its first-3-step mean at most 0.083: every bound is far
        # outside what was seen, P(false failure) < 1e-4. The prompts' answers come from this cell's own key.
        assert history_t.shape == (30,) and history_t[:3].mean() < 0.2, "the uniform policy is rarely right"
        assert solved >= 0.9, f"the trained policy solves {solved:.2f} of the prompts"
        assert history_t[-5:].mean() >= 0.7, "and samples the right answer most of the time"
        ### END HIDDEN TESTS
        """,
    ),
    answer(
        "answer_grpo",
        2,
        r"""
        The mean reward starts near 1/25 and climbs above 0.95 within 30 steps, and the greedy policy solves
        every prompt. The group baseline does the critic's job: the mean reward of $G$ samples of the same
        prompt estimates the value of that prompt, so no value network has to be trained, and dividing by the
        group's standard deviation puts easy and hard prompts on the same scale. A group in which every
        sample gets the same reward (all wrong early on, all right at the end) has zero advantages and
        contributes no gradient, which is why the group must be large enough to contain a success at the
        start (here $1 - (24/25)^{16} \approx 0.48$ of the groups do). The clipped ratio stops the second
        update on the same samples from moving far from the sampling policy, and the KL penalty keeps the
        policy near the reference; because the reward is verified by a program, it cannot be gamed the way a
        learned reward model can.
        """,
    ),
]
