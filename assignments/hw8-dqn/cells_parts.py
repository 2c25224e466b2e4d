"""Homework 8, part 1: the pieces of DQN, each checked exactly on small fixed tensors.

Hidden tests recompute every target in float64 NumPy on batches whose shapes all differ, use terminated
flags that are neither all true nor all false, and pick Q tables where the online and the target network
disagree about the best next action, so a double DQN target that evaluates the wrong argmax shows.
"""

from nbbuild import markdown, solution, tests

TARGETS = [
    markdown(
        "targets-intro",
        r"""
        ## 1. The pieces of DQN (2 + 2 + 3 + 1 + 3 + 2 points)

        Batches are PyTorch tensors: `rewards` has shape $(B,)$, `terminated` is a boolean tensor of shape
        $(B,)$, and a Q table `next_q` of shape $(B, A)$ holds one row of action values per transition.

        * `dqn_targets`: $y_i = r_i + \gamma (1-d_i)\max_a Q_{\bar\theta}(s'_i,a)$.
        * `double_dqn_targets`: $y_i = r_i + \gamma (1-d_i)\,Q_{\bar\theta}(s'_i, a^*_i)$ with
          $a^*_i = \arg\max_a Q_\theta(s'_i,a)$ taken from the **online** table.

        Both return a float tensor of shape $(B,)$ and must not modify their inputs.
        """,
    ),
    solution(
        "dqn_targets",
        """
        def dqn_targets(rewards, next_q_target, terminated, gamma):
            \"\"\"Q-learning targets r + gamma * (1 - terminated) * max_a next_q_target[:, a], shape (B,).\"\"\"
            ### BEGIN SOLUTION
            return rewards + gamma * (1.0 - terminated.float()) * next_q_target.max(dim=1).values
            ### END SOLUTION
        """,
    ),
    tests(
        "test_dqn_targets",
        2,
        """
        toy_targets = dqn_targets(torch.tensor([1.0, 0.5]), torch.tensor([[1.0, 2.0], [3.0, -1.0]]), torch.tensor([False, False]), 0.9)
        assert torch.allclose(toy_targets, torch.tensor([2.8, 3.2]))
        print("targets on the demo batch:", dqn_targets(demo_rewards, demo_next_q_target, demo_terminated, 0.99))
        ### BEGIN HIDDEN TESTS
        gen_t = torch.Generator().manual_seed(81)
        r_t = torch.randn(37, generator=gen_t)
        q_t = torch.randn(37, 5, generator=gen_t) * 3.0
        d_t = torch.arange(37) % 3 == 0
        r_before, q_before = r_t.clone(), q_t.clone()
        for gamma_t in (0.0, 0.5, 0.97):
            got = np.asarray(dqn_targets(r_t, q_t, d_t, gamma_t), dtype=float)
            want = r_t.double().numpy() + gamma_t * (1.0 - d_t.double().numpy()) * q_t.double().numpy().max(axis=1)
            assert got.shape == (37,), "one target per transition"
            assert np.allclose(got, want, atol=1e-5), "y = r + gamma * (1 - terminated) * max_a Q_target(s', a)"
        assert torch.equal(r_t, r_before) and torch.equal(q_t, q_before), "do not modify the inputs"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "double_dqn_targets",
        """
        def double_dqn_targets(rewards, next_q_online, next_q_target, terminated, gamma):
            \"\"\"Double DQN targets: the online table picks the next action, the target table values it.\"\"\"
            ### BEGIN SOLUTION
            best_actions = next_q_online.argmax(dim=1, keepdim=True)
            next_values = next_q_target.gather(1, best_actions).squeeze(1)
            return rewards + gamma * (1.0 - terminated.float()) * next_values
            ### END SOLUTION
        """,
    ),
    tests(
        "test_double_dqn",
        2,
        """
        toy_double = double_dqn_targets(
            torch.tensor([1.0, 0.5]), torch.tensor([[0.0, 1.0], [2.0, 0.0]]), torch.tensor([[1.0, 2.0], [3.0, -1.0]]), torch.tensor([False, False]), 0.9
        )
        assert toy_double.shape == (2,)
        assert (toy_double - torch.tensor([2.8, 3.2])).abs().max() < 1e-6
        ### BEGIN HIDDEN TESTS
        gen_t = torch.Generator().manual_seed(82)
        r_t = torch.randn(29, generator=gen_t)
        qo_t = torch.randn(29, 4, generator=gen_t)
        qt_t = torch.randn(29, 4, generator=gen_t)
        d_t = torch.arange(29) % 4 == 1
        got = np.asarray(double_dqn_targets(r_t, qo_t, qt_t, d_t, 0.9), dtype=float)
        pick = qo_t.numpy().argmax(axis=1)
        assert (pick != qt_t.numpy().argmax(axis=1)).sum() >= 5, "the test needs disagreeing tables"
        want = r_t.double().numpy() + 0.9 * (1.0 - d_t.double().numpy()) * qt_t.double().numpy()[np.arange(29), pick]
        assert got.shape == (29,)
        assert np.allclose(got, want, atol=1e-5), "evaluate the online network's argmax with the target network"
        demo_got = np.asarray(double_dqn_targets(demo_rewards, demo_next_q_online, demo_next_q_target, demo_terminated, 0.99), dtype=float)
        demo_pick = demo_next_q_online.numpy().argmax(axis=1)
        demo_want = demo_rewards.numpy() + 0.99 * (1.0 - demo_terminated.float().numpy()) * demo_next_q_target.numpy()[np.arange(6), demo_pick]
        assert np.allclose(demo_got, demo_want, atol=1e-5)
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "buffer-intro",
        r"""
        `ReplayBuffer(capacity, obs_dim)` stores transitions in preallocated tensors (observations and next
        observations `float32` of shape `(capacity, obs_dim)`, actions `int64`, rewards `float32`,
        terminated `bool`).

        * `push(obs, actions, rewards, next_obs, terminated)` adds $n \ge 1$ transitions at once (every
          argument has first dimension $n$); once the buffer is full, each new transition overwrites the
          **oldest** one (a circular buffer).
        * `len(buffer)` is the number of transitions stored, at most `capacity`.
        * `sample(batch_size, generator)` draws `batch_size` stored transitions uniformly at random **with
          replacement**, using the `torch.Generator` it is given, and returns a dict with keys `"obs"`,
          `"actions"`, `"rewards"`, `"next_obs"`, `"terminated"` whose rows belong together.
        """,
    ),
    solution(
        "replay_buffer",
        """
        class ReplayBuffer:
            \"\"\"A circular buffer of (obs, action, reward, next_obs, terminated) transitions.\"\"\"

            ### BEGIN SOLUTION
            def __init__(self, capacity, obs_dim):
                self.capacity = capacity
                self.obs = torch.zeros(capacity, obs_dim)
                self.next_obs = torch.zeros(capacity, obs_dim)
                self.actions = torch.zeros(capacity, dtype=torch.int64)
                self.rewards = torch.zeros(capacity)
                self.terminated = torch.zeros(capacity, dtype=torch.bool)
                self.position, self.size = 0, 0

            def __len__(self):
                return self.size

            def push(self, obs, actions, rewards, next_obs, terminated):
                n = len(actions)
                slots = (self.position + torch.arange(n)) % self.capacity
                self.obs[slots] = torch.as_tensor(obs, dtype=torch.float32)
                self.actions[slots] = torch.as_tensor(actions, dtype=torch.int64)
                self.rewards[slots] = torch.as_tensor(rewards, dtype=torch.float32)
                self.next_obs[slots] = torch.as_tensor(next_obs, dtype=torch.float32)
                self.terminated[slots] = torch.as_tensor(terminated, dtype=torch.bool)
                self.position = (self.position + n) % self.capacity
                self.size = min(self.size + n, self.capacity)

            def sample(self, batch_size, generator):
                idx = torch.randint(0, self.size, (batch_size,), generator=generator)
                return {
                    "obs": self.obs[idx],
                    "actions": self.actions[idx],
                    "rewards": self.rewards[idx],
                    "next_obs": self.next_obs[idx],
                    "terminated": self.terminated[idx],
                }
            ### END SOLUTION
        """,
    ),
    tests(
        "test_replay_buffer",
        3,
        """
        toy_buffer = ReplayBuffer(capacity=4, obs_dim=2)
        toy_buffer.push(torch.ones(3, 2), torch.tensor([0, 1, 0]), torch.ones(3), torch.zeros(3, 2), torch.tensor([False, False, True]))
        assert len(toy_buffer) == 3
        toy_batch = toy_buffer.sample(5, torch.Generator().manual_seed(0))
        assert set(toy_batch) == {"obs", "actions", "rewards", "next_obs", "terminated"}
        assert toy_batch["obs"].shape == (5, 2) and toy_batch["actions"].shape == (5,)
        ### BEGIN HIDDEN TESTS
        def rows(ids):
            ids = torch.as_tensor(ids)
            return (
                torch.stack([ids.float(), -ids.float(), 0.5 * ids.float()], dim=1),
                ids % 3,
                10.0 * ids.float(),
                torch.stack([ids.float() + 100.0, -ids.float(), 0.5 * ids.float()], dim=1),
                ids % 2 == 1,
            )

        buffer_t = ReplayBuffer(capacity=5, obs_dim=3)
        buffer_t.push(*rows([0, 1, 2]))
        assert len(buffer_t) == 3
        buffer_t.push(*rows([3]))
        buffer_t.push(*rows([4, 5, 6]))
        assert len(buffer_t) == 5, "the buffer holds at most `capacity` transitions"
        batch_t = buffer_t.sample(4000, torch.Generator().manual_seed(83))
        ids_t = batch_t["obs"][:, 0].round().long()
        assert set(ids_t.tolist()) == {2, 3, 4, 5, 6}, "keep the newest transitions, overwrite the oldest"
        obs_w, act_w, rew_w, next_w, term_w = rows(ids_t)
        assert torch.equal(batch_t["obs"], obs_w) and torch.equal(batch_t["next_obs"], next_w), "rows belong together"
        assert torch.equal(batch_t["actions"], act_w) and torch.equal(batch_t["rewards"], rew_w)
        assert torch.equal(batch_t["terminated"], term_w)
        assert batch_t["actions"].dtype == torch.int64 and batch_t["terminated"].dtype == torch.bool
        # (S) Repetitions: 4,000 draws from 5 stored rows; each count is Binomial(4000, 0.2), mean 800, sd 25.3.
        # Tolerance: 800 +- 150, 5.9 sd; P(false failure) < 5 * 4e-9 (normal tails).
        counts_t = torch.bincount(ids_t, minlength=7)[2:]
        assert ((counts_t - 800).abs() < 150).all(), "sample uniformly"
        again_t = buffer_t.sample(4000, torch.Generator().manual_seed(83))
        assert torch.equal(again_t["obs"], batch_t["obs"]), "draw with the generator you are given"
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "update-intro",
        r"""
        * `soft_update(target_net, online_net, tau)`: in place (under `torch.no_grad()`), every parameter
          of the target network becomes $\tau\theta + (1-\tau)\bar\theta$. The online network is unchanged.
        * `dqn_loss(online_net, target_net, batch, gamma, double=False)`: `batch` is a dict as returned by
          `ReplayBuffer.sample`. Return the mean Huber loss (`F.smooth_l1_loss`) between
          $Q_\theta(s_i,a_i)$ and the targets of `dqn_targets` (or `double_dqn_targets` when `double` is
          true), computed **without gradient**: `loss.backward()` must give gradients to the online network
          only.
        * `epsilon_greedy(q_values, epsilon, generator)`: for a $(B, A)$ table, one action per row: with
          probability $\varepsilon$ an action drawn uniformly from all $A$ actions, otherwise the row's
          argmax. Draw the random numbers with `generator`; return an `int64` tensor of shape $(B,)$.
        """,
    ),
    solution(
        "soft_update",
        """
        def soft_update(target_net, online_net, tau):
            \"\"\"Polyak averaging in place: target <- tau * online + (1 - tau) * target.\"\"\"
            ### BEGIN SOLUTION
            with torch.no_grad():
                for target_param, online_param in zip(target_net.parameters(), online_net.parameters()):
                    target_param.mul_(1.0 - tau).add_(online_param, alpha=tau)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_soft_update",
        1,
        """
        toy_online, toy_target = nn.Linear(2, 2), nn.Linear(2, 2)
        soft_update(toy_target, toy_online, 1.0)
        assert torch.allclose(toy_target.weight, toy_online.weight)
        ### BEGIN HIDDEN TESTS
        torch.manual_seed(84)
        online_t = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        target_t = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        online_before = [p.detach().clone() for p in online_t.parameters()]
        target_before = [p.detach().clone() for p in target_t.parameters()]
        target_ids = [id(p) for p in target_t.parameters()]
        soft_update(target_t, online_t, 0.1)
        assert [id(p) for p in target_t.parameters()] == target_ids, "update the target's parameters in place"
        for p_on, p_on0, p_tg, p_tg0 in zip(online_t.parameters(), online_before, target_t.parameters(), target_before):
            assert torch.equal(p_on, p_on0), "the online network is unchanged"
            assert torch.allclose(p_tg, 0.1 * p_on0 + 0.9 * p_tg0, atol=1e-6), "target <- tau * online + (1 - tau) * target"
            assert not p_tg.requires_grad or p_tg.grad is None
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "dqn_loss",
        """
        def dqn_loss(online_net, target_net, batch, gamma, double=False):
            \"\"\"Mean Huber loss between Q_online(s, a) and the (double) DQN targets, which carry no gradient.\"\"\"
            ### BEGIN SOLUTION
            q_taken = online_net(batch["obs"]).gather(1, batch["actions"].unsqueeze(1)).squeeze(1)
            with torch.no_grad():
                next_q_target = target_net(batch["next_obs"])
                if double:
                    targets = double_dqn_targets(batch["rewards"], online_net(batch["next_obs"]), next_q_target, batch["terminated"], gamma)
                else:
                    targets = dqn_targets(batch["rewards"], next_q_target, batch["terminated"], gamma)
            return F.smooth_l1_loss(q_taken, targets)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_dqn_loss",
        3,
        """
        toy_batch = {"obs": torch.zeros(2, 2), "actions": torch.tensor([0, 1]), "rewards": torch.ones(2), "next_obs": torch.zeros(2, 2), "terminated": torch.tensor([True, True])}
        toy_loss = dqn_loss(nn.Linear(2, 2), nn.Linear(2, 2), toy_batch, 0.9)
        assert toy_loss.dim() == 0
        ### BEGIN HIDDEN TESTS
        torch.manual_seed(85)
        online_t = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 4))
        target_t = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 4))
        gen_t = torch.Generator().manual_seed(86)
        batch_t = {
            "obs": torch.randn(23, 3, generator=gen_t),
            "actions": torch.randint(0, 4, (23,), generator=gen_t),
            "rewards": 4.0 * torch.randn(23, generator=gen_t),
            "next_obs": torch.randn(23, 3, generator=gen_t),
            "terminated": torch.arange(23) % 3 == 0,
        }
        with torch.no_grad():
            q_sa = online_t(batch_t["obs"]).double().numpy()[np.arange(23), batch_t["actions"].numpy()]
            nq_t = target_t(batch_t["next_obs"]).double().numpy()
            nq_o = online_t(batch_t["next_obs"]).double().numpy()
        keep = 1.0 - batch_t["terminated"].double().numpy()
        r_np = batch_t["rewards"].double().numpy()
        targets_plain = r_np + 0.9 * keep * nq_t.max(axis=1)
        targets_double = r_np + 0.9 * keep * nq_t[np.arange(23), nq_o.argmax(axis=1)]

        def huber(err):
            return float(np.mean(np.where(np.abs(err) < 1.0, 0.5 * err**2, np.abs(err) - 0.5)))

        assert abs(huber(q_sa - targets_plain) - huber(q_sa - targets_double)) > 1e-3, "the test needs distinct targets"
        for double_t, targets_t in ((False, targets_plain), (True, targets_double)):
            online_t.zero_grad()
            target_t.zero_grad()
            loss_t = dqn_loss(online_t, target_t, batch_t, 0.9, double=double_t)
            assert abs(float(loss_t.detach()) - huber(q_sa - targets_t)) < 1e-5, f"Huber loss against the targets (double={double_t})"
            loss_t.backward()
            assert all(p.grad is None or not p.grad.any() for p in target_t.parameters()), "no gradient into the target network"
            grad_err = q_sa - targets_t
            dq = np.clip(grad_err, -1.0, 1.0) / 23
            last = list(online_t.parameters())[-1]
            want_bias = np.bincount(batch_t["actions"].numpy(), weights=dq, minlength=4)
            assert np.allclose(last.grad.double().numpy(), want_bias, atol=1e-5), "the targets must carry no gradient"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "epsilon_greedy",
        """
        def epsilon_greedy(q_values, epsilon, generator):
            \"\"\"One action per row: uniform over all actions with probability epsilon, else the argmax.\"\"\"
            ### BEGIN SOLUTION
            n_rows, n_actions = q_values.shape
            explore = torch.rand(n_rows, generator=generator) < epsilon
            random_actions = torch.randint(0, n_actions, (n_rows,), generator=generator)
            return torch.where(explore, random_actions, q_values.argmax(dim=1))
            ### END SOLUTION
        """,
    ),
    tests(
        "test_epsilon_greedy",
        2,
        """
        toy_actions = epsilon_greedy(torch.tensor([[0.0, 1.0], [2.0, 1.0]]), 0.0, torch.Generator().manual_seed(0))
        assert toy_actions.tolist() == [1, 0]
        ### BEGIN HIDDEN TESTS
        q_t = torch.tensor([[0.0, 3.0, 1.0, -1.0]]).repeat(20000, 1)
        greedy_t = epsilon_greedy(q_t, 0.0, torch.Generator().manual_seed(87))
        assert greedy_t.dtype == torch.int64 and greedy_t.shape == (20000,)
        assert bool((greedy_t == 1).all()), "epsilon = 0 is greedy"
        # (S) Repetitions: 20,000 rows. With epsilon 0.4 each non-greedy action has probability 0.1 (sd of its
        # share 0.0021) and the greedy one 0.7 (sd 0.0032). Tolerance 0.02, over 6 sd: P(false failure) < 1e-8.
        shares = torch.bincount(epsilon_greedy(q_t, 0.4, torch.Generator().manual_seed(88)), minlength=4).double() / 20000
        assert np.allclose(shares.numpy(), [0.1, 0.7, 0.1, 0.1], atol=0.02), "explore uniformly over all actions"
        uniform = torch.bincount(epsilon_greedy(q_t, 1.0, torch.Generator().manual_seed(89)), minlength=4).double() / 20000
        assert np.allclose(uniform.numpy(), [0.25] * 4, atol=0.02)
        a1 = epsilon_greedy(q_t[:500], 0.5, torch.Generator().manual_seed(90))
        a2 = epsilon_greedy(q_t[:500], 0.5, torch.Generator().manual_seed(90))
        assert torch.equal(a1, a2), "draw with the generator you are given"
        ### END HIDDEN TESTS
        """,
    ),
]
