"""Homework 9, part 1: returns, GAE, softmax log-probabilities and the PPO clipped objective, checked exactly.

Hidden tests recompute everything in float64 NumPy with plain loops, on rollouts where terminated and
truncated episode ends both occur (so a GAE that bootstraps through a termination, or runs on into the
next episode, shows), and on ratios on both sides of the clipping range with advantages of both signs.
"""

from nbbuild import markdown, solution, tests

PARTS = [
    markdown(
        "returns-intro",
        r"""
        ## 1. The pieces of PPO (2 + 3 + 2 + 3 points)

        * `discounted_returns(rewards, episode_end, gamma)`: one copy's rollout as tensors of shape $(T,)$;
          return $G_t = r_t + \gamma(1-e_t)G_{t+1}$ with $G_T = 0$ (Monte Carlo returns, restarting after
          every episode end; the last, unfinished episode is simply cut).
        * `gae_advantages(rewards, values, next_values, terminated, episode_end, gamma, lam)`: tensors of
          shape $(T, N)$ ($T$ steps of $N$ copies; `next_values[t]` is $V(s_{t+1})$, the value of the state
          reached by step $t$, which is the episode's last state when it ended there). Return $\hat A$ of shape
          $(T, N)$ by the recursion above, with $\hat A_{T} = 0$.

        Neither function may modify its inputs. Loop backwards over time; vectorise over the copies.
        """,
    ),
    solution(
        "discounted_returns",
        """
        def discounted_returns(rewards, episode_end, gamma):
            \"\"\"G_t = r_t + gamma * (1 - episode_end_t) * G_{t+1}, G_T = 0; a float tensor of shape (T,).\"\"\"
            ### BEGIN SOLUTION
            returns = torch.zeros(len(rewards))
            running = 0.0
            for t in reversed(range(len(rewards))):
                running = float(rewards[t]) + gamma * (1.0 - float(episode_end[t])) * running
                returns[t] = running
            return returns
            ### END SOLUTION
        """,
    ),
    tests(
        "test_discounted_returns",
        2,
        """
        toy_returns = discounted_returns(torch.tensor([1.0, 1.0, 1.0]), torch.tensor([False, False, False]), 0.5)
        assert toy_returns.shape == (3,)
        assert (toy_returns - torch.tensor([1.75, 1.5, 1.0])).abs().max() < 1e-6
        print("returns of the first demo copy:", discounted_returns(demo_rewards[:, 0], demo_episode_end[:, 0], 0.9))
        ### BEGIN HIDDEN TESTS
        gen_t = torch.Generator().manual_seed(91)
        r_t = torch.randn(41, generator=gen_t)
        e_t = torch.zeros(41, dtype=torch.bool)
        e_t[[6, 7, 19, 33]] = True
        r_before, e_before = r_t.clone(), e_t.clone()
        for gamma_t in (0.0, 0.9, 1.0):
            want, running = np.zeros(41), 0.0
            for t in reversed(range(41)):
                running = float(r_t[t]) + gamma_t * (0.0 if bool(e_t[t]) else 1.0) * running
                want[t] = running
            got = np.asarray(discounted_returns(r_t, e_t, gamma_t), dtype=float)
            assert got.shape == (41,), "one return per step"
            assert np.allclose(got, want, atol=1e-5), "G_t = r_t + gamma * (1 - end_t) * G_{t+1}, restarting at episode ends"
        assert torch.equal(r_t, r_before) and torch.equal(e_t, e_before), "do not modify the inputs"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "gae_advantages",
        """
        def gae_advantages(rewards, values, next_values, terminated, episode_end, gamma, lam):
            \"\"\"Generalized advantage estimates, shape (T, N), computed backwards over time.\"\"\"
            ### BEGIN SOLUTION
            advantages = torch.zeros_like(rewards)
            running = torch.zeros_like(rewards[0])
            for t in reversed(range(rewards.shape[0])):
                delta = rewards[t] + gamma * (1.0 - terminated[t].float()) * next_values[t] - values[t]
                running = delta + gamma * lam * (1.0 - episode_end[t].float()) * running
                advantages[t] = running
            return advantages
            ### END SOLUTION
        """,
    ),
    tests(
        "test_gae",
        3,
        """
        toy_adv = gae_advantages(
            torch.ones(3, 1), torch.zeros(3, 1), torch.ones(3, 1), torch.zeros(3, 1, dtype=torch.bool), torch.tensor([[True], [False], [False]]), 0.5, 1.0
        )
        assert toy_adv.shape == (3, 1)
        assert torch.allclose(toy_adv, torch.tensor([[1.5], [2.25], [1.5]]))
        ### BEGIN HIDDEN TESTS
        gen_t = torch.Generator().manual_seed(92)
        T_t, N_t = 23, 4
        r_t = torch.randn(T_t, N_t, generator=gen_t)
        v_t = torch.randn(T_t, N_t, generator=gen_t)
        nv_t = torch.randn(T_t, N_t, generator=gen_t)
        term_t = torch.zeros(T_t, N_t, dtype=torch.bool)
        trunc_t = torch.zeros(T_t, N_t, dtype=torch.bool)
        term_t[[3, 10, 17], [0, 1, 2]] = True
        trunc_t[[5, 12, 20], [0, 2, 3]] = True
        end_t = term_t | trunc_t
        inputs_before = [x.clone() for x in (r_t, v_t, nv_t, term_t, end_t)]
        for gamma_t, lam_t in ((0.99, 0.95), (0.9, 0.0), (0.8, 1.0)):
            want = np.zeros((T_t, N_t))
            for n in range(N_t):
                running = 0.0
                for t in reversed(range(T_t)):
                    delta = float(r_t[t, n]) + gamma_t * (0.0 if bool(term_t[t, n]) else 1.0) * float(nv_t[t, n]) - float(v_t[t, n])
                    running = delta + gamma_t * lam_t * (0.0 if bool(end_t[t, n]) else 1.0) * running
                    want[t, n] = running
            got = np.asarray(gae_advantages(r_t, v_t, nv_t, term_t, end_t, gamma_t, lam_t), dtype=float)
            assert got.shape == (T_t, N_t)
            assert np.allclose(got, want, atol=1e-5), f"GAE recursion (gamma={gamma_t}, lambda={lam_t})"
        assert all(torch.equal(a, b) for a, b in zip((r_t, v_t, nv_t, term_t, end_t), inputs_before)), "do not modify the inputs"
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "ppo-intro",
        r"""
        * `log_prob_and_entropy(logits, actions)`: for logits of shape $(B, A)$ and actions of shape $(B,)$,
          return $\log\pi(a_i\mid s_i)$ and the entropy $H(\pi(\cdot\mid s_i))$, both of shape $(B,)$, where
          $\pi = \mathrm{softmax}(\text{logits})$. Compute them stably from `torch.log_softmax` (logits may be
          large) and keep them differentiable.
        * `ppo_clip_loss(new_log_probs, old_log_probs, advantages, clip_eps)`: the **loss** to minimise, the
          negative of $L^{\text{clip}}$ averaged over the batch, a scalar tensor. The old log-probabilities
          are constants; the gradient flows through `new_log_probs`.
        """,
    ),
    solution(
        "log_prob_and_entropy",
        """
        def log_prob_and_entropy(logits, actions):
            \"\"\"log pi(a_i | s_i) and the entropy of pi(. | s_i) for a softmax policy; two tensors of shape (B,).\"\"\"
            ### BEGIN SOLUTION
            log_pi = torch.log_softmax(logits, dim=1)
            log_probs = log_pi.gather(1, actions.unsqueeze(1)).squeeze(1)
            entropy = -(log_pi.exp() * log_pi).sum(dim=1)
            return log_probs, entropy
            ### END SOLUTION
        """,
    ),
    tests(
        "test_log_prob",
        2,
        """
        toy_lp, toy_ent = log_prob_and_entropy(torch.zeros(2, 4), torch.tensor([0, 3]))
        assert torch.allclose(toy_lp, torch.full((2,), -np.log(4.0), dtype=torch.float32))
        assert torch.allclose(toy_ent, torch.full((2,), np.log(4.0), dtype=torch.float32))
        ### BEGIN HIDDEN TESTS
        gen_t = torch.Generator().manual_seed(93)
        logits_t = (torch.randn(17, 5, generator=gen_t) * 4.0).requires_grad_(True)
        actions_t = torch.randint(0, 5, (17,), generator=gen_t)
        lp_t, ent_t = log_prob_and_entropy(logits_t, actions_t)
        z = logits_t.detach().double().numpy()
        log_pi = z - z.max(axis=1, keepdims=True)
        log_pi = log_pi - np.log(np.exp(log_pi).sum(axis=1, keepdims=True))
        assert np.allclose(np.asarray(lp_t.detach(), dtype=float), log_pi[np.arange(17), actions_t.numpy()], atol=1e-5)
        assert np.allclose(np.asarray(ent_t.detach(), dtype=float), -(np.exp(log_pi) * log_pi).sum(axis=1), atol=1e-5)
        (lp_t.sum() + ent_t.sum()).backward()
        assert logits_t.grad is not None and torch.isfinite(logits_t.grad).all(), "keep the outputs differentiable"
        big_lp, big_ent = log_prob_and_entropy(torch.tensor([[500.0, 0.0], [0.0, 500.0]]), torch.tensor([1, 1]))
        assert np.allclose(np.asarray(big_lp, dtype=float), [-500.0, 0.0], atol=1e-3), "compute stably (log_softmax)"
        assert np.isfinite(np.asarray(big_ent, dtype=float)).all() and float(big_ent.abs().max()) < 1e-3
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "ppo_clip_loss",
        """
        def ppo_clip_loss(new_log_probs, old_log_probs, advantages, clip_eps):
            \"\"\"-mean(min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A)) with ratio = exp(new - old).\"\"\"
            ### BEGIN SOLUTION
            ratio = torch.exp(new_log_probs - old_log_probs)
            clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps)
            return -torch.min(ratio * advantages, clipped * advantages).mean()
            ### END SOLUTION
        """,
    ),
    tests(
        "test_ppo_clip",
        3,
        """
        toy_clip = ppo_clip_loss(torch.zeros(3), torch.zeros(3), torch.tensor([1.0, -2.0, 4.0]), 0.2)
        assert toy_clip.dim() == 0 and abs(float(toy_clip) + 1.0) < 1e-6
        ### BEGIN HIDDEN TESTS
        gen_t = torch.Generator().manual_seed(94)
        old_t = -torch.rand(40, generator=gen_t) * 2.0
        shift_t = torch.linspace(-0.6, 0.6, 40)
        adv_t = torch.randn(40, generator=gen_t)
        adv_t[::2] = adv_t[::2].abs()
        adv_t[1::2] = -adv_t[1::2].abs()
        new_t = (old_t + shift_t).requires_grad_(True)
        loss_t = ppo_clip_loss(new_t, old_t, adv_t, 0.2)
        ratio = np.exp(shift_t.double().numpy())
        a = adv_t.double().numpy()
        surrogate = np.minimum(ratio * a, np.clip(ratio, 0.8, 1.2) * a)
        assert abs(float(loss_t.detach()) + surrogate.mean()) < 1e-5, "the negative mean clipped surrogate"
        loss_t.backward()
        # d/d new_log_prob of -min(...)/n: -ratio * A / n where the unclipped term is the minimum, else 0.
        unclipped = ratio * a <= np.clip(ratio, 0.8, 1.2) * a
        want_grad = np.where(unclipped, -ratio * a / 40, 0.0)
        assert np.allclose(new_t.grad.double().numpy(), want_grad, atol=1e-6), "gradient only where the ratio is not clipped"
        assert (want_grad == 0).sum() >= 8 and (want_grad != 0).sum() >= 8, "the test needs both cases"
        ### END HIDDEN TESTS
        """,
    ),
]
