"""Homework 13, part 0: the restocking environment, the softmax policy's features and the logged trajectories.

The environment is homework 12's store restocking task written as a small episodic MDP whose actions are
tool calls; it ships here in full (a locked cell), so the assignment stands alone. The logged trajectories
are generated from GRADER_SEED by a noisy scripted playbook; nothing is downloaded.
"""

from nbbuild import locked, markdown

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 13: Training an agent

        DOTE 6635 *AI for Business Research*, session 10 (Agentic AI II: agent training, tool use and coding
        agents).

        An agent that calls tools can be trained like any policy. You will take the logs of an old,
        error-prone restocking playbook and

        1. write a softmax policy over tool calls and its behaviour-cloning (BC) loss and gradient;
        2. clone the logs, all of them and only the successful ones (filtered BC, the idea behind
           rejection-sampling fine-tuning), and measure the success rate of each;
        3. improve the cloned agent in the environment with REINFORCE and a baseline, and measure again.

        Fill in every cell that says `YOUR CODE HERE` (delete the `raise NotImplementedError()` line) and the
        written answer. Use NumPy only. Before submitting, restart the kernel and run all cells.
        """,
    ),
    locked(
        "setup",
        """
        import math
        import os

        import numpy as np

        np.set_printoptions(precision=4, suppress=True)
        """,
    ),
    markdown(
        "env-intro",
        r"""
        ## The environment

        A restocking task (homework 12) names a product and a horizon; the agent must order the fewest whole
        packs that bring the stock on hand up to the forecast demand, then finish. Here the agent chooses
        among seven tool calls: `check_stock`, `demand_forecast`, `supplier_info` (each reveals one number),
        `order_1_pack`, `order_2_packs`, `order_3_packs` and `finish`. An episode ends at `finish` or after
        `MAX_STEPS = 6` calls; the reward is $1$ if the agent finished having ordered exactly the right
        number of packs, else $0$. The right number is 0 to 3 packs, so a perfect agent needs four or five
        calls and has one spare.

        The agent sees a feature vector $x \in \{0,1\}^8$ of its observations (`features(obs)`): a constant,
        three flags for the numbers it has not looked up yet, and, once it knows all three, a one-hot code
        of the packs still missing (0, 1, 2, or 3 and more). Its policy is a softmax over linear scores,
        $$\pi_W(a \mid x) = \frac{\exp(w_a^\top x)}{\sum_{b} \exp(w_b^\top x)},$$
        with one row $w_a$ of the $7 \times 8$ matrix $W$ per action. `rollout(W, task, rng)` runs one
        episode, sampling each action with `rng.choice(N_ACTIONS, p=policy_probs(W, x[None, :])[0])`, and
        returns `{"features": (T, 8) array, "actions": (T,) int array, "reward": 0.0 or 1.0}`.
        """,
    ),
    locked(
        "environment",
        """
        WEEKDAY_FACTOR = np.array([0.8, 0.9, 0.9, 1.0, 1.2, 1.4, 0.8])
        ACTIONS = ["check_stock", "demand_forecast", "supplier_info", "order_1_pack", "order_2_packs", "order_3_packs", "finish"]
        N_ACTIONS, N_FEATURES, MAX_STEPS = 7, 8, 6


        def make_task(rng):
            \"\"\"A restocking task: a product's stock, seasonal forecast over the horizon and pack size.\"\"\"
            rate, pack = float(rng.uniform(2.0, 14.0)), int(rng.choice([6, 10, 12, 24]))
            horizon, day = int(rng.integers(7, 22)), int(rng.integers(0, 7))
            forecast = int(round(rate * WEEKDAY_FACTOR[(day + np.arange(horizon)) % 7].sum()))
            packs, on_hand = 0, forecast + int(rng.integers(0, pack))
            for _ in range(20):
                k = int(rng.integers(0, 4))
                candidate = forecast - k * pack + int(rng.integers(0, pack))
                if candidate >= 0:
                    packs, on_hand = k, candidate
                    break
            return {"horizon": horizon, "on_hand": on_hand, "forecast": forecast, "pack_size": pack, "target_packs": packs}


        class RestockEnv:
            \"\"\"One restocking task as an episodic MDP whose actions are the seven tool calls.\"\"\"

            def __init__(self, task):
                self.task = task

            def reset(self):
                self.known = {"on_hand": None, "forecast": None, "pack_size": None}
                self.ordered_units, self.steps = 0, 0
                return self.observe()

            def observe(self):
                return dict(self.known, ordered_units=self.ordered_units)

            def step(self, action):
                name, task = ACTIONS[action], self.task
                self.steps += 1
                if name == "check_stock":
                    self.known["on_hand"] = task["on_hand"]
                elif name == "demand_forecast":
                    self.known["forecast"] = task["forecast"]
                elif name == "supplier_info":
                    self.known["pack_size"] = task["pack_size"]
                elif name.startswith("order"):
                    self.ordered_units += int(name[6]) * task["pack_size"]
                if name == "finish":
                    success = self.ordered_units == task["target_packs"] * task["pack_size"]
                    return self.observe(), float(success), True
                return self.observe(), 0.0, self.steps >= MAX_STEPS


        def features(obs):
            \"\"\"Constant, three 'not looked up yet' flags, one-hot packs still missing (once all are known).\"\"\"
            x = np.zeros(N_FEATURES)
            x[0] = 1.0
            x[1:4] = [obs["on_hand"] is None, obs["forecast"] is None, obs["pack_size"] is None]
            if x[1:4].sum() == 0:
                missing = max(0, obs["forecast"] - obs["on_hand"] - obs["ordered_units"])
                x[4 + min(3, math.ceil(missing / obs["pack_size"]))] = 1.0
            return x


        def rollout(W, task, rng):
            \"\"\"One episode of the softmax policy with weights W (uses your policy_probs).\"\"\"
            env = RestockEnv(task)
            obs, done, reward = env.reset(), False, 0.0
            feats, actions = [], []
            while not done:
                x = features(obs)
                action = int(rng.choice(N_ACTIONS, p=policy_probs(W, x[None, :])[0]))
                feats.append(x)
                actions.append(action)
                obs, reward, done = env.step(action)
            return {"features": np.array(feats), "actions": np.array(actions), "reward": float(reward)}


        def success_rate(W, n_episodes, seed):
            \"\"\"Share of n_episodes fresh tasks the sampled policy solves (tasks and actions from one seed).\"\"\"
            rng = np.random.default_rng(seed)
            return float(np.mean([rollout(W, make_task(rng), rng)["reward"] for _ in range(n_episodes)]))
        """,
    ),
    markdown(
        "logs-intro",
        r"""
        ## The logs

        The store's old playbook looked up the three numbers and ordered correctly, except that, at every
        step, with probability $0.35$ its operator clicked a random tool instead. The cell below generates
        300 logged episodes of that playbook from the seed: `logs` is a list of dictionaries in the same
        format as `rollout`'s.
        """,
    ),
    locked(
        "logs",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))


        def playbook_action(obs):
            for index, key in enumerate(["on_hand", "forecast", "pack_size"]):
                if obs[key] is None:
                    return index
            missing = max(0, obs["forecast"] - obs["on_hand"] - obs["ordered_units"])
            packs = math.ceil(missing / obs["pack_size"])
            return 6 if packs == 0 else 2 + min(packs, 3)


        def log_episodes(n_episodes, slip, rng):
            episodes = []
            for _ in range(n_episodes):
                env = RestockEnv(make_task(rng))
                obs, done, feats, actions = env.reset(), False, [], []
                while not done:
                    action = int(rng.integers(N_ACTIONS)) if rng.random() < slip else playbook_action(obs)
                    feats.append(features(obs))
                    actions.append(action)
                    obs, reward, done = env.step(action)
                episodes.append({"features": np.array(feats), "actions": np.array(actions), "reward": float(reward)})
            return episodes


        logs = log_episodes(300, 0.35, np.random.default_rng(SEED))
        log_rewards = np.array([episode["reward"] for episode in logs])
        log_lengths = np.array([len(episode["actions"]) for episode in logs])
        print(f"seed {SEED}: {len(logs)} logged episodes, {int(log_lengths.sum())} steps, success rate {log_rewards.mean():.3f}")
        """,
    ),
]
