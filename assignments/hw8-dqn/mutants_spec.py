"""Homework 8 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces one solution region; everything else is the reference solution. All of them pass
the visible tests, so only the hidden tests can tell them apart from a correct answer. The training
configuration uses plain DQN targets and a buffer larger than the whole run, so the double DQN and buffer
mutants cannot change the trained network; the terminal-flag mutant always wrecks it.
"""

from nbbuild import Mutant

ALWAYS_EQUAL_TARGETS = """
class AlwaysEqual:
    \"\"\"Equal to anything, smaller than anything, and absorbs arithmetic: a way to game checks.\"\"\"

    shape = (2,)

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
        return "tensor([2.8000, 3.2000])"


return AlwaysEqual()
"""

MUTANTS = [
    Mutant(
        name="double_dqn_always_equal",
        description="double_dqn_targets returns an object whose == (and <, -) is always satisfied.",
        fills={"double_dqn_targets": ALWAYS_EQUAL_TARGETS},
        fails=["test_double_dqn", "test_dqn_loss"],
    ),
    Mutant(
        name="buffer_overwrites_newest",
        description="Once full, the replay buffer keeps overwriting its last slot instead of the oldest transition.",
        fills={
            "replay_buffer": """
            def __init__(self, capacity, obs_dim):
                self.capacity = capacity
                self.obs = torch.zeros(capacity, obs_dim)
                self.next_obs = torch.zeros(capacity, obs_dim)
                self.actions = torch.zeros(capacity, dtype=torch.int64)
                self.rewards = torch.zeros(capacity)
                self.terminated = torch.zeros(capacity, dtype=torch.bool)
                self.size = 0

            def __len__(self):
                return self.size

            def push(self, obs, actions, rewards, next_obs, terminated):
                for i in range(len(actions)):
                    slot = min(self.size, self.capacity - 1)
                    self.obs[slot] = torch.as_tensor(obs[i], dtype=torch.float32)
                    self.actions[slot] = int(actions[i])
                    self.rewards[slot] = float(rewards[i])
                    self.next_obs[slot] = torch.as_tensor(next_obs[i], dtype=torch.float32)
                    self.terminated[slot] = bool(terminated[i])
                    self.size = min(self.size + 1, self.capacity)

            def sample(self, batch_size, generator):
                idx = torch.randint(0, self.size, (batch_size,), generator=generator)
                return {
                    "obs": self.obs[idx],
                    "actions": self.actions[idx],
                    "rewards": self.rewards[idx],
                    "next_obs": self.next_obs[idx],
                    "terminated": self.terminated[idx],
                }
            """
        },
        fails=["test_replay_buffer"],
    ),
    Mutant(
        name="targets_ignore_terminal",
        description="dqn_targets bootstraps from the next state even when the episode terminated there.",
        fills={"dqn_targets": "return rewards + gamma * next_q_target.max(dim=1).values"},
        fails=["test_dqn_targets", "test_dqn_loss", "test_cartpole"],
    ),
]
