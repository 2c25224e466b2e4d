"""Homework 11, parts 0-2: set-up, generated preference data, a Bradley-Terry reward model and the DPO loss.

The exact tests compare each function with its formula (and its gradient with the closed form) in float64
on small tensors whose entries all differ, including logits large enough that a naive log(sigmoid) would
overflow. The reward-model test also checks that gradient descent recovers the direction of the true
reward from 2,000 simulated comparisons.
"""

from nbbuild import answer, locked, markdown, solution, tests

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 11: Learning from preferences and rewards

        DOTE 6635 *AI for Business Research*, session 8 (Reinforcement Learning VI: RLHF, RLVR and GRPO).

        1. **A reward model from comparisons.** Fit a Bradley–Terry model to pairwise preferences between
           product descriptions and recover the hidden reward.
        2. **Direct preference optimisation.** Write the log-probability of a completion under a language
           model and the DPO loss with a frozen reference model.
        3. **Reinforcement learning with a verifiable reward.** Write GRPO's group-normalised advantages and its
           clipped objective, and train a tiny policy to do arithmetic with them.

        Fill in every `YOUR CODE HERE` and the two written answers. Visible checks follow each function;
        hidden checks run when the notebook is graded, with several random seeds for the data. The whole
        notebook runs on a CPU in a few seconds. Restart the kernel and run all cells before submitting.
        """,
    ),
    locked(
        "setup",
        """
        import copy
        import os

        import numpy as np
        import torch
        import torch.nn.functional as F
        from torch import nn

        torch.set_num_threads(1)
        torch.set_printoptions(precision=4)
        """,
    ),
    markdown(
        "data-intro",
        r"""
        ## The data

        A marketplace shows a shopper two descriptions of the same product and records which one the shopper
        prefers. Each description is summarised by $d = 6$ standardised features (length, number of
        specifications, sentiment, ...). In the simulation a description with features $\phi$ has the hidden
        reward $r^*(\phi) = \theta^{*\top} \phi$ and the shopper prefers A to B with probability
        $\sigma(r^*(\phi_A) - r^*(\phi_B))$. `phi_chosen[i]` and `phi_rejected[i]` are the features of the
        preferred and the other description in comparison $i$: 1,500 comparisons for training, 500 held out.
        `theta_star` is the true $\theta^*$, which you may use only to check your fit.
        """,
    ),
    locked(
        "data-generate",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))
        rng = np.random.default_rng(SEED)
        D_FEATURES = 6


        def simulate_comparisons(theta, n, gen):
            \"\"\"n comparisons under the Bradley-Terry model with reward theta . phi: (phi_chosen, phi_rejected).\"\"\"
            phi_a, phi_b = gen.normal(size=(n, len(theta))), gen.normal(size=(n, len(theta)))
            a_wins = gen.random(n) < 1.0 / (1.0 + np.exp(-(phi_a - phi_b) @ theta))
            chosen = np.where(a_wins[:, None], phi_a, phi_b)
            rejected = np.where(a_wins[:, None], phi_b, phi_a)
            return torch.tensor(chosen), torch.tensor(rejected)


        theta_star = torch.tensor(rng.normal(0.0, 1.0, size=D_FEATURES))
        phi_chosen, phi_rejected = simulate_comparisons(theta_star.numpy(), 2000, rng)
        train_chosen, train_rejected = phi_chosen[:1500], phi_rejected[:1500]
        val_chosen, val_rejected = phi_chosen[1500:], phi_rejected[1500:]
        print(f"seed {SEED}: theta* = {theta_star.numpy().round(3)}")
        """,
    ),
]

PREFERENCES = [
    markdown(
        "bt-intro",
        r"""
        ## 1. A Bradley–Terry reward model (2 + 3 points)

        The Bradley–Terry model says that item $c$ is preferred to item $j$ with probability
        $P(c \succ j) = \sigma(r(c) - r(j))$, $\sigma(z) = 1/(1 + e^{-z})$. Given comparisons where $c_i$ was
        chosen over $j_i$, the maximum-likelihood reward model minimises the mean negative log-likelihood
        $$L(\theta) = -\frac1n \sum_{i=1}^n \log \sigma\big(r_\theta(c_i) - r_\theta(j_i)\big).$$
        This is the loss of the reward model in RLHF (there $r_\theta$ is a language model with a scalar head).
        Only differences of rewards enter it, so adding a constant to every reward changes nothing.

        * `bt_loss(r_chosen, r_rejected)`: $L$ for two tensors of rewards, as a scalar tensor. Compute it
          stably: $-\log\sigma(z)$ overflows for $z \ll 0$ if you take the log of the sigmoid; use
          `F.logsigmoid` (or `F.softplus(-z)`, the same function).
        * `train_reward_model(phi_c, phi_r, lr, epochs)`: a linear reward $r_\theta(\phi) = \theta^\top\phi$.
          Start from $\theta = 0$ (float64, `requires_grad=True`) and run full-batch gradient descent: each
          epoch compute `bt_loss` on all comparisons, call `backward()`, then, without tracking gradients,
          set $\theta \leftarrow \theta - \text{lr} \cdot \nabla L$ and zero the gradient. Return $\theta$
          (detached, shape $(d,)$) and the list of the epochs' losses (before each update) as Python floats:
          record `loss.item()`, since `float()` of a tensor that requires gradients prints a warning, and a
          test cell that writes to stderr scores 0.
        """,
    ),
    solution(
        "bt_loss",
        """
        def bt_loss(r_chosen, r_rejected):
            \"\"\"Mean Bradley-Terry negative log-likelihood of the chosen items beating the rejected ones.\"\"\"
            ### BEGIN SOLUTION
            return -F.logsigmoid(r_chosen - r_rejected).mean()
            ### END SOLUTION
        """,
    ),
    tests(
        "test_bt_loss",
        2,
        """
        assert abs(float(bt_loss(torch.zeros(3), torch.zeros(3))) - np.log(2.0)) < 1e-6, "a coin flip costs log 2"
        ### BEGIN HIDDEN TESTS
        gen_t = torch.Generator().manual_seed(31)
        rc_t = (3.0 * torch.randn(7, generator=gen_t, dtype=torch.float64)).requires_grad_()
        rr_t = 3.0 * torch.randn(7, generator=gen_t, dtype=torch.float64)
        loss_t = bt_loss(rc_t, rr_t)
        diff_t = (rc_t - rr_t).detach()
        assert abs(float(loss_t.detach()) - float(torch.mean(torch.log1p(torch.exp(-diff_t))))) < 1e-12
        loss_t.backward()
        assert torch.allclose(rc_t.grad, -torch.sigmoid(-diff_t) / 7, rtol=0, atol=1e-12), "gradient wrt r_chosen"
        far = bt_loss(torch.tensor([-800.0, 900.0], dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
        assert abs(float(far) - 400.0) < 1e-9, "stable when the rejected item's reward is far higher"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "train_reward_model",
        """
        def train_reward_model(phi_c, phi_r, lr, epochs):
            \"\"\"Full-batch gradient descent on bt_loss for a linear reward; returns (theta, losses).\"\"\"
            ### BEGIN SOLUTION
            theta = torch.zeros(phi_c.shape[1], dtype=torch.float64, requires_grad=True)
            losses = []
            for _ in range(epochs):
                loss = bt_loss(phi_c @ theta, phi_r @ theta)
                loss.backward()
                with torch.no_grad():
                    theta -= lr * theta.grad
                theta.grad.zero_()
                losses.append(loss.item())
            return theta.detach(), losses
            ### END SOLUTION
        """,
    ),
    tests(
        "test_reward_model",
        3,
        """
        theta_hat, rm_losses = train_reward_model(train_chosen, train_rejected, lr=1.0, epochs=200)
        assert tuple(theta_hat.shape) == (D_FEATURES,) and len(rm_losses) == 200
        agree = float(torch.mean(((val_chosen - val_rejected) @ theta_hat > 0).double()))
        cosine = float(theta_hat @ theta_star / (theta_hat.norm() * theta_star.norm()))
        print(f"loss {rm_losses[0]:.4f} -> {rm_losses[-1]:.4f}; held-out agreement {agree:.3f}; cosine with theta* {cosine:.4f}")
        print("theta_hat", theta_hat.numpy().round(3))
        ### BEGIN HIDDEN TESTS
        gen_t = np.random.default_rng(32)
        pc_t, pr_t = torch.tensor(gen_t.normal(size=(40, 3))), torch.tensor(gen_t.normal(size=(40, 3)))
        theta_ref, losses_ref = np.zeros(3), []
        delta = (pc_t - pr_t).numpy()
        for _ in range(5):
            z = delta @ theta_ref
            losses_ref.append(np.mean(np.log1p(np.exp(-z))))
            theta_ref = theta_ref + 0.7 * np.mean((1.0 / (1.0 + np.exp(z)))[:, None] * delta, axis=0)
        got_theta, got_losses = train_reward_model(pc_t, pr_t, lr=0.7, epochs=5)
        assert np.allclose(np.asarray(got_losses, dtype=float), losses_ref, rtol=0, atol=1e-12), "the losses of 5 steps"
        assert np.allclose(np.asarray(got_theta, dtype=float), theta_ref, rtol=0, atol=1e-12), "theta after 5 steps"
        true_t = np.array([1.5, -1.0, 0.8, 0.0, 0.5, -0.3])
        big_c, big_r = simulate_comparisons(true_t, 2000, np.random.default_rng(33))
        fitted, _ = train_reward_model(big_c, big_r, lr=1.0, epochs=300)
        fitted = np.asarray(fitted, dtype=float)
        # (S) Repetitions: one fit on 2,000 comparisons from a fixed seed. Tolerance: cosine > 0.97. Over 200
        # data seeds the reference's cosine had mean 0.9989 and sd 0.0007 (minimum 0.9959), so the bound is
        # more than 40 sd away: P(false failure) < 1e-10.
        assert fitted @ true_t / (np.linalg.norm(fitted) * np.linalg.norm(true_t)) > 0.97, "recovers theta*'s direction"
        ### END HIDDEN TESTS
        """,
    ),
    answer(
        "answer_reward_model",
        2,
        r"""
        The fitted $\hat\theta$ points almost exactly in the direction of $\theta^*$ and agrees with the
        shoppers' choices on about as many held-out comparisons as $\theta^*$ itself (the choices are noisy,
        so neither reaches 100%). Only reward differences are identified: adding a constant to every reward
        (or, for a linear model, an intercept) leaves every preference probability unchanged, so the model
        has no intercept and a reward model's absolute level means nothing. The scale is identified only
        through the noise: if shoppers chose more randomly, the same ranking would come with a smaller
        $\|\hat\theta\|$. In RLHF this is why rewards are normalised, and why a policy optimised hard against
        a learned reward can exploit its errors (over-optimisation): the KL penalty to a reference keeps it
        where the reward model was trained.
        """,
    ),
    markdown(
        "dpo-intro",
        r"""
        ## 2. Direct preference optimisation (2 + 3 points)

        A language model gives a completion $y = (y_1, \dots, y_T)$ of a prompt $x$ the log-probability
        $\log \pi(y \mid x) = \sum_t \log \pi(y_t \mid x, y_{<t})$. In a batch, prompt and completion are
        padded to the same length and a mask marks the completion's tokens.

        * `sequence_logprob(logits, tokens, mask)`: `logits` has shape $(B, T, V)$ (row $t$ is the model's
          prediction of token $t$), `tokens` $(B, T)$ integers, `mask` $(B, T)$ with 1 on completion tokens and
          0 on prompt and padding. Return the $(B,)$ sums of the log-softmax probabilities of the tokens where
          the mask is 1.

        RLHF fits a reward model and then maximises it with a KL penalty $\beta\,\mathrm{KL}(\pi \,\|\,
        \pi_{\text{ref}})$. Rafailov et al. (2023) observed that the optimal policy of that problem satisfies
        $r(x, y) = \beta \log \frac{\pi(y \mid x)}{\pi_{\text{ref}}(y \mid x)} + \text{const}(x)$, and
        substituted it into the Bradley–Terry loss. For a preferred completion $y_w$ and a rejected $y_l$:
        $$L_{\text{DPO}} = -\frac1n \sum_i \log\sigma\Big(\beta\big[\log\tfrac{\pi(y_w \mid x)}{\pi_{\text{ref}}(y_w
        \mid x)} - \log\tfrac{\pi(y_l \mid x)}{\pi_{\text{ref}}(y_l \mid x)}\big]\Big).$$
        The policy is trained on preference pairs directly, with no reward model and no sampling; the frozen
        reference model (usually the supervised fine-tuned model) keeps it close to where it started.

        * `dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)`: the four arguments are
          $(n,)$ tensors of sequence log-probabilities; return the scalar mean loss (stably, as in part 1).
        """,
    ),
    solution(
        "sequence_logprob",
        """
        def sequence_logprob(logits, tokens, mask):
            \"\"\"Sum over masked positions of log softmax(logits)[token]; shape (B,).\"\"\"
            ### BEGIN SOLUTION
            token_logps = F.log_softmax(logits, dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
            return (token_logps * mask).sum(dim=-1)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_sequence_logprob",
        2,
        """
        uniform_v = sequence_logprob(torch.zeros(2, 3, 4), torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3))
        assert torch.allclose(uniform_v, torch.full((2,), 3 * np.log(0.25), dtype=uniform_v.dtype)), "3 tokens out of 4"
        ### BEGIN HIDDEN TESTS
        gen_t = torch.Generator().manual_seed(41)
        logits_t = 2.0 * torch.randn(3, 5, 7, generator=gen_t, dtype=torch.float64)
        tokens_t = torch.randint(0, 7, (3, 5), generator=gen_t)
        mask_t = torch.tensor([[0, 0, 1, 1, 1], [0, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.float64)
        expected = torch.zeros(3, dtype=torch.float64)
        for b in range(3):
            for t in range(5):
                if mask_t[b, t]:
                    expected[b] += logits_t[b, t, tokens_t[b, t]] - torch.logsumexp(logits_t[b, t], dim=0)
        got = sequence_logprob(logits_t, tokens_t, mask_t)
        assert tuple(got.shape) == (3,)
        assert np.allclose(np.asarray(got.detach(), dtype=float), expected.numpy(), rtol=0, atol=1e-10)
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "dpo_loss",
        """
        def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
            \"\"\"Mean DPO loss from sequence log-probabilities under the policy and the reference model.\"\"\"
            ### BEGIN SOLUTION
            margin = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)
            return -F.logsigmoid(beta * margin).mean()
            ### END SOLUTION
        """,
    ),
    tests(
        "test_dpo_loss",
        3,
        """
        zeros_v = torch.zeros(4, dtype=torch.float64)
        assert abs(dpo_loss(zeros_v, zeros_v, zeros_v, zeros_v, 0.1) - np.log(2.0)) < 1e-9, "the start: log 2"
        ### BEGIN HIDDEN TESTS
        gen_t = torch.Generator().manual_seed(42)
        pc_t, pr_t, rc_t, rr_t = (-20.0 + 5.0 * torch.randn(6, generator=gen_t, dtype=torch.float64) for _ in range(4))
        pc_t.requires_grad_()
        for beta_t in (0.1, 0.5):
            z_t = beta_t * ((pc_t - rc_t) - (pr_t - rr_t)).detach()
            got = dpo_loss(pc_t, pr_t, rc_t, rr_t, beta_t)
            assert abs(float(got.detach()) - float(torch.mean(torch.log1p(torch.exp(-z_t))))) < 1e-12, f"beta = {beta_t}"
        pc_t.grad = None
        dpo_loss(pc_t, pr_t, rc_t, rr_t, 0.5).backward()
        assert torch.allclose(pc_t.grad, -0.5 * torch.sigmoid(-z_t) / 6, rtol=0, atol=1e-12), "gradient"
        same_t = dpo_loss(rc_t + 3.0, rr_t + 3.0, rc_t, rr_t, 0.5)
        assert abs(float(same_t) - np.log(2.0)) < 1e-12, "equal log-ratios: log 2, whatever the log-probabilities"
        ### END HIDDEN TESTS
        """,
    ),
]
