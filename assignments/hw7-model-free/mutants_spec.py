"""Homework 7 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces one solution region; everything else is the reference solution. All of them pass
the visible tests, so only the hidden tests can tell them apart from a correct answer.
"""

from nbbuild import Mutant

ALWAYS_EQUAL_RETURN = """
class AlwaysEqual:
    \"\"\"Equal to anything: a way to game equality checks.\"\"\"

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None

    def __repr__(self):
        return "-13.0"


return AlwaysEqual()
"""

MUTANTS = [
    Mutant(
        name="returns_discounted_from_episode_start",
        description="Discounts every reward by gamma to the power of its index in the episode, not its distance "
        "from t.",
        fills={
            "discounted_returns": """
            rewards = np.asarray(rewards, dtype=float)
            weighted = rewards * gamma ** np.arange(len(rewards))
            return np.cumsum(weighted[::-1])[::-1]
            """
        },
        fails=["test_discounted_returns", "test_mc_prediction"],
    ),
    Mutant(
        name="mc_every_visit_always",
        description="mc_prediction ignores first_visit and averages the returns after every visit.",
        fills={
            "mc_prediction": """
            totals = np.zeros(n_states)
            counts = np.zeros(n_states)
            for states, rewards in episodes:
                returns = discounted_returns(rewards, gamma)
                for t, s in enumerate(states):
                    totals[s] += returns[t]
                    counts[s] += 1
            V = np.zeros(n_states)
            visited = counts > 0
            V[visited] = totals[visited] / counts[visited]
            return V
            """
        },
        fails=["test_mc_prediction"],
    ),
    Mutant(
        name="td0_updates_after_episode",
        description="TD(0) collects the episode's updates and applies them at its end (offline), not online.",
        fills={
            "td0_prediction": """
            V = np.array(v_init, dtype=float)
            for states, rewards in episodes:
                delta = np.zeros_like(V)
                for t, (s, r) in enumerate(zip(states, rewards)):
                    v_next = V[states[t + 1]] if t + 1 < len(states) else 0.0
                    delta[s] += alpha * (r + gamma * v_next - V[s])
                V += delta
            return V
            """
        },
        fails=["test_td0_prediction"],
    ),
    Mutant(
        name="explore_skips_greedy_action",
        description="When exploring, epsilon_greedy draws among the non-greedy actions only.",
        fills={
            "epsilon_greedy": """
            greedy = int(np.argmax(q_row))
            if rng.random() < epsilon:
                other = int(rng.integers(len(q_row) - 1))
                return other + 1 if other >= greedy else other
            return greedy
            """
        },
        fails=["test_epsilon_greedy"],
    ),
    Mutant(
        name="sarsa_bootstraps_max",
        description="SARSA bootstraps from max_a Q(S', a) (Q-learning's target) while still taking A'.",
        fills={
            "sarsa_episode": """
            state = env.reset()
            action = choose(Q[state])
            total = 0.0
            while True:
                next_state, reward, done = env.step(action)
                total += reward
                if done:
                    Q[state, action] += alpha * (reward - Q[state, action])
                    return total
                next_action = choose(Q[next_state])
                Q[state, action] += alpha * (reward + gamma * Q[next_state].max() - Q[state, action])
                state, action = next_state, next_action
            """
        },
        fails=["test_sarsa"],
    ),
    Mutant(
        name="q_learning_on_policy_target",
        description="Q-learning bootstraps from the next action it takes (which is SARSA).",
        fills={
            "q_learning_episode": """
            state = env.reset()
            action = choose(Q[state])
            total = 0.0
            while True:
                next_state, reward, done = env.step(action)
                total += reward
                if done:
                    Q[state, action] += alpha * (reward - Q[state, action])
                    return total
                next_action = choose(Q[next_state])
                Q[state, action] += alpha * (reward + gamma * Q[next_state, next_action] - Q[state, action])
                state, action = next_state, next_action
            """
        },
        fails=["test_q_learning"],
    ),
    Mutant(
        name="greedy_return_always_equal",
        description="greedy_return returns an object whose == is always true.",
        fills={"greedy_return": ALWAYS_EQUAL_RETURN},
        fails=["test_greedy_return"],
    ),
]
