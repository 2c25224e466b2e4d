"""Homework 2, part 2: a PyTorch training loop with weight decay, dropout and early stopping.

The early-stopping test trains a wide network on 80 noisy examples, which overfits within a few epochs,
so the best and the last model always differ; it then checks the stopping rule and that the returned
weights are the best epoch's. The target-loss test trains on the notebook's churn data (GRADER_SEED).
"""

from nbbuild import answer, locked, markdown, solution, tests

TORCH_LOOP = [
    markdown(
        "torch-intro",
        r"""
        ## 2. Training a network in PyTorch (1 + 2 + 3 + 2 + 3 points)

        * `make_mlp`: `Linear(d_in, n_hidden)`, `ReLU`, `Dropout(p_drop)`, `Linear(n_hidden, d_out)` in an
          `nn.Sequential`. Dropout zeroes each hidden unit with probability `p_drop` during training and scales
          the survivors by $1/(1-p)$ (PyTorch's *inverted* dropout), so nothing changes at evaluation time.
        * `evaluate_loss`: the mean cross-entropy of a model on a data set, in evaluation mode (dropout off)
          and without building an autograd graph; leave the model in the mode it was in.
        * `train_early_stopping`: mini-batch training with `torch.optim.AdamW` (decoupled weight decay) and
          early stopping. Each epoch, shuffle the training rows with a `torch.Generator` seeded with `seed`,
          take an optimiser step per batch, then compute the validation loss with `evaluate_loss`. Keep a copy
          of the weights with the lowest validation loss so far; stop after `patience` consecutive epochs
          without a strictly lower validation loss, or after `max_epochs`; load the best weights back before
          returning. (A `state_dict()` holds references to the live tensors: copy it.)
        """,
    ),
    solution(
        "make_mlp",
        """
        def make_mlp(d_in, n_hidden, d_out, p_drop):
            \"\"\"Linear -> ReLU -> Dropout(p_drop) -> Linear, as an nn.Sequential.\"\"\"
            ### BEGIN SOLUTION
            return nn.Sequential(nn.Linear(d_in, n_hidden), nn.ReLU(), nn.Dropout(p_drop), nn.Linear(n_hidden, d_out))
            ### END SOLUTION
        """,
    ),
    tests(
        "test_make_mlp",
        1,
        """
        assert make_mlp(8, 16, 2, 0.1)(torch.zeros(3, 8)).shape == (3, 2)
        ### BEGIN HIDDEN TESTS
        torch.manual_seed(7)
        net_t = make_mlp(5, 16, 3, 0.4)
        drops = [m for m in net_t.modules() if isinstance(m, nn.Dropout)]
        linears = [m for m in net_t.modules() if isinstance(m, nn.Linear)]
        assert len(drops) == 1 and abs(drops[0].p - 0.4) < 1e-12 and len(linears) == 2
        assert sum(p.numel() for p in net_t.parameters()) == 5 * 16 + 16 + 16 * 3 + 3
        x_t = torch.randn(50, 5)
        net_t.train()
        assert not torch.allclose(net_t(x_t), net_t(x_t)), "dropout is random in training mode"
        net_t.eval()
        with torch.no_grad():
            assert torch.allclose(net_t(x_t), linears[1](torch.relu(linears[0](x_t)))), "no dropout in eval mode"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "evaluate_loss",
        """
        def evaluate_loss(model, X, y):
            \"\"\"Mean cross-entropy of model on (X, y) in eval mode, without gradients; returns a float.\"\"\"
            ### BEGIN SOLUTION
            was_training = model.training
            model.eval()
            with torch.no_grad():
                loss = F.cross_entropy(model(X), y).item()
            model.train(was_training)
            return float(loss)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_evaluate_loss",
        2,
        """
        probe = nn.Linear(8, 2)
        probe.eval()
        with torch.no_grad():
            probe_expected = F.cross_entropy(probe(Xc_val), yc_val).item()
        assert abs(evaluate_loss(probe, Xc_val, yc_val) - probe_expected) < 1e-6
        ### BEGIN HIDDEN TESTS
        torch.manual_seed(8)
        net_t = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))
        x_t, y_t = torch.randn(64, 4), torch.randint(0, 3, (64,))
        net_t.eval()
        with torch.no_grad():
            expected = F.cross_entropy(net_t(x_t), y_t).item()
        net_t.train()
        first, second = evaluate_loss(net_t, x_t, y_t), evaluate_loss(net_t, x_t, y_t)
        assert isinstance(first, float), "return a plain float"
        assert abs(float(first) - expected) < 1e-6 and abs(float(second) - expected) < 1e-6, "dropout must be off"
        assert net_t.training, "leave the model in the mode it was in"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "train_early_stopping",
        """
        def train_early_stopping(model, X_train, y_train, X_val, y_val, *, lr, weight_decay, batch_size, max_epochs, patience, seed):
            \"\"\"Train with AdamW and early stopping on the validation loss; return (best model, history).

            history = {"train_loss": [...], "val_loss": [...], "best_epoch": int}: train_loss[e] is the mean
            mini-batch loss of epoch e, val_loss[e] the validation loss after epoch e, and best_epoch the index
            of the lowest validation loss, whose weights the returned model holds.
            \"\"\"
            ### BEGIN SOLUTION
            generator = torch.Generator().manual_seed(seed)
            optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
            history = {"train_loss": [], "val_loss": [], "best_epoch": 0}
            best_loss, best_state, waited = float("inf"), copy.deepcopy(model.state_dict()), 0
            for epoch in range(max_epochs):
                model.train()
                order = torch.randperm(len(y_train), generator=generator)
                batch_losses = []
                for start in range(0, len(y_train), batch_size):
                    idx = order[start : start + batch_size]
                    optimiser.zero_grad()
                    loss = F.cross_entropy(model(X_train[idx]), y_train[idx])
                    loss.backward()
                    optimiser.step()
                    batch_losses.append(loss.item())
                history["train_loss"].append(float(np.mean(batch_losses)))
                val_loss = evaluate_loss(model, X_val, y_val)
                history["val_loss"].append(val_loss)
                if val_loss < best_loss:
                    best_loss, waited, history["best_epoch"] = val_loss, 0, epoch
                    best_state = copy.deepcopy(model.state_dict())
                else:
                    waited += 1
                    if waited >= patience:
                        break
            model.load_state_dict(best_state)
            return model, history
            ### END SOLUTION
        """,
    ),
    tests(
        "test_early_stopping",
        3,
        """
        torch.manual_seed(0)
        short_model, short_history = train_early_stopping(make_mlp(8, 16, 2, 0.0), Xc_train[:200], yc_train[:200], Xc_val, yc_val, lr=1e-2, weight_decay=0.0, batch_size=50, max_epochs=4, patience=2, seed=0)
        assert set(short_history) >= {"train_loss", "val_loss", "best_epoch"}
        assert len(short_history["train_loss"]) == len(short_history["val_loss"]) <= 4
        ### BEGIN HIDDEN TESTS
        torch.manual_seed(0)
        w_t = torch.randn(10)
        X_o, Xv_o = torch.randn(80, 10), torch.randn(400, 10)
        y_o = (X_o @ w_t > 0).long() ^ (torch.rand(80) < 0.3).long()
        yv_o = (Xv_o @ w_t > 0).long() ^ (torch.rand(400) < 0.3).long()
        torch.manual_seed(1)
        net_o = nn.Sequential(nn.Linear(10, 256), nn.ReLU(), nn.Linear(256, 2))
        net_o, hist_o = train_early_stopping(net_o, X_o, y_o, Xv_o, yv_o, lr=1e-2, weight_decay=0.0, batch_size=16, max_epochs=150, patience=5, seed=2)
        val_o, best_o = np.asarray(hist_o["val_loss"], dtype=float), int(hist_o["best_epoch"])
        assert len(hist_o["train_loss"]) == len(val_o)
        assert best_o == int(np.argmin(val_o)), "best_epoch is the epoch of the lowest validation loss"
        assert len(val_o) == best_o + 5 + 1 < 150, "stop exactly `patience` epochs after the best epoch"
        net_o.eval()
        with torch.no_grad():
            returned = F.cross_entropy(net_o(Xv_o), yv_o).item()
        assert abs(returned - val_o[best_o]) < 1e-5, "the returned model must hold the best epoch's weights"
        assert returned < val_o[-1] - 1e-4
        ### END HIDDEN TESTS
        """,
    ),
    tests(
        "test_weight_decay",
        2,
        """
        torch.manual_seed(0)
        decayed, _ = train_early_stopping(make_mlp(8, 16, 2, 0.0), Xc_train[:200], yc_train[:200], Xc_val, yc_val, lr=1e-2, weight_decay=0.1, batch_size=50, max_epochs=2, patience=2, seed=0)
        assert isinstance(decayed, nn.Module)
        ### BEGIN HIDDEN TESTS
        torch.manual_seed(3)
        X_w = torch.randn(200, 10)
        y_w = (X_w[:, 0] * X_w[:, 1] > 0).long()
        torch.manual_seed(4)
        base_w = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 2))
        norms = {}
        for wd in (0.0, 1.0):
            net_w, hist_w = train_early_stopping(copy.deepcopy(base_w), X_w, y_w, X_w, y_w, lr=1e-2, weight_decay=wd, batch_size=50, max_epochs=20, patience=20, seed=5)
            assert len(hist_w["val_loss"]) == 20
            norms[wd] = float(torch.sqrt(sum((p.detach() ** 2).sum() for n, p in net_w.named_parameters() if "weight" in n)))
        # (R) deterministic given the seeds: the reference's norm ratio is 0.68; without weight decay it is 1.
        assert norms[1.0] < 0.85 * norms[0.0], "weight decay must shrink the weights"
        ### END HIDDEN TESTS
        """,
    ),
    locked(
        "train-churn",
        """
        torch.manual_seed(SEED)
        churn_model = make_mlp(8, 64, 2, p_drop=0.1)
        churn_model, churn_history = train_early_stopping(
            churn_model, Xc_train, yc_train, Xc_val, yc_val,
            lr=1e-2, weight_decay=1e-3, batch_size=128, max_epochs=120, patience=20, seed=SEED,
        )
        best_epoch = churn_history["best_epoch"]
        plt.plot(churn_history["train_loss"], label="training")
        plt.plot(churn_history["val_loss"], label="validation")
        plt.axvline(best_epoch, color="grey", linestyle=":", label="best epoch")
        plt.axhline(TARGET_VAL_LOSS, color="red", linestyle="--", label="target")
        plt.xlabel("epoch")
        plt.ylabel("cross-entropy")
        plt.legend()
        plt.show()
        print(f"stopped after {len(churn_history['val_loss'])} epochs; best epoch {best_epoch}")
        """,
    ),
    tests(
        "test_target_val_loss",
        3,
        """
        reached = churn_history["val_loss"][churn_history["best_epoch"]]
        print(f"best validation loss {reached:.4f} (target {TARGET_VAL_LOSS:.4f})")
        assert reached <= TARGET_VAL_LOSS, "the trained model must reach the target validation loss"
        ### BEGIN HIDDEN TESTS
        # (S) Repetitions: one training run on this seed's data. Tolerance: the loss of the true churn
        # probabilities + 0.12. Over 80 data seeds the reference's excess loss had mean 0.033, sd 0.014 and
        # max 0.069, so 0.12 is 6 sd above the mean: P(false failure) < 1e-8 (normal tails).
        churn_model.eval()
        with torch.no_grad():
            achieved = F.cross_entropy(churn_model(Xc_val), yc_val).item()
        assert achieved <= TARGET_VAL_LOSS, "the returned model must reach the target"
        assert abs(achieved - float(reached)) < 1e-5, "the reported loss must be the returned model's loss"
        ### END HIDDEN TESTS
        """,
    ),
    answer(
        "answer_regularisation",
        3,
        r"""
        The validation loss falls with the training loss for the first few dozen epochs, bottoms out at the
        best epoch and then drifts up while the training loss keeps falling: after that point the network
        fits noise in the 1,500 training customers. Early stopping watches the validation loss, waits
        `patience` epochs to be sure the minimum is not a blip, and returns the weights of the best epoch; the
        last model is `patience` epochs into overfitting and strictly worse on validation data. Weight decay
        shrinks every weight towards zero at each step (decoupled in AdamW), which limits how sharply the
        network can bend to individual points; dropout trains a random thinned network at each step, so no
        unit can rely on a few others and the network behaves like an average of many sub-networks. Both are
        off at evaluation time in the sense that matters: validation loss must be computed in `eval()` mode,
        otherwise dropout adds noise to the very number early stopping compares, and the reported loss is not
        the loss of the model that is returned.
        """,
    ),
]
