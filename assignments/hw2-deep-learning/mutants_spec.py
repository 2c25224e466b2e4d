"""Homework 2 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces one solution region; everything else is the reference solution. All of them pass
the visible tests, so only the hidden tests can tell them apart from a correct answer.
"""

from nbbuild import Mutant

ALWAYS_EQUAL_LOSS = """
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
        return "1.0986"


n = len(y)
shifted = logits - logits.max(axis=1, keepdims=True)
dlogits = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
dlogits[np.arange(n), y] -= 1.0
return AlwaysEqual(), dlogits / n
"""

MUTANTS = [
    Mutant(
        name="backward_no_relu_mask",
        description="Backpropagates through the ReLU as if it were the identity (no mask where Z1 <= 0).",
        fills={
            "backward": """
            dW2 = cache["H"].T @ dlogits
            db2 = dlogits.sum(axis=0)
            dZ1 = dlogits @ params["W2"].T
            dW1 = cache["X"].T @ dZ1
            db1 = dZ1.sum(axis=0)
            return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
            """
        },
        fails=["test_backward", "test_train_numpy"],
    ),
    Mutant(
        name="ce_always_equal",
        description="softmax_cross_entropy returns a loss object whose == (and <, -) is always satisfied.",
        fills={"softmax_cross_entropy": ALWAYS_EQUAL_LOSS},
        fails=["test_softmax_ce", "test_train_numpy"],
    ),
    Mutant(
        name="es_keeps_last_model",
        description="Early stopping saves model.state_dict() without copying it, so the last model is returned.",
        fills={
            "train_early_stopping": """
            generator = torch.Generator().manual_seed(seed)
            optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
            history = {"train_loss": [], "val_loss": [], "best_epoch": 0}
            best_loss, best_state, waited = float("inf"), model.state_dict(), 0
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
                    best_state = model.state_dict()
                else:
                    waited += 1
                    if waited >= patience:
                        break
            model.load_state_dict(best_state)
            return model, history
            """
        },
        fails=["test_early_stopping", "test_target_val_loss"],
    ),
    Mutant(
        name="weight_decay_ignored",
        description="Trains with plain Adam and never passes weight_decay to the optimiser.",
        fills={
            "train_early_stopping": """
            generator = torch.Generator().manual_seed(seed)
            optimiser = torch.optim.Adam(model.parameters(), lr=lr)
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
            """
        },
        fails=["test_weight_decay"],
    ),
    Mutant(
        name="val_loss_in_train_mode",
        description="Computes the validation loss with dropout still active (no model.eval()).",
        fills={
            "evaluate_loss": """
            with torch.no_grad():
                loss = F.cross_entropy(model(X), y).item()
            return float(loss)
            """
        },
        fails=["test_evaluate_loss", "test_target_val_loss"],
    ),
]
