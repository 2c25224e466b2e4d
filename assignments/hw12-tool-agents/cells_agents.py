"""Homework 12, parts 3-4: the ReAct controller, a scripted restocking policy, and tree-of-thoughts search.

The restocking tasks and their checker are locked cells generated from the seed; the hidden tests use their
own fixed seeds, so a submission's score does not depend on GRADER_SEED.
"""

from nbbuild import locked, markdown, solution, tests

REACT = [
    markdown(
        "react-intro",
        r"""
        ## 3. The ReAct loop (3 points)

        Write `react_loop(policy, sandbox, task, max_steps)`. The policy is a function
        `policy(task, history) -> str` that writes one ReAct turn. At each of at most `max_steps` steps:

        1. call the policy with the task and the history so far, and parse its text with `parse_action`;
        2. if the text does not parse, the observation is `{"error": <message>}` and the action is `None`;
        3. a final answer ends the loop: return `(answer, history)` (its step's observation is `None`);
        4. a tool call is checked with `validate_call` (against `TOOLS`). An invalid call is **not run**: its
           observation is `{"error": <the messages joined by "; ">}`. A valid call is run with
           `sandbox.call(name, args)` and the observation is what the tool returns.

        Append one step per policy call to `history`, a list of dictionaries
        `{"text": <the policy's text>, "action": <parsed action or None>, "observation": <dict or None>}`.
        If `max_steps` turns pass without a final answer, return `(None, history)`.
        """,
    ),
    solution(
        "react_loop",
        """
        def react_loop(policy, sandbox, task, max_steps=8):
            \"\"\"Run a ReAct policy against the sandbox's tools; returns (final answer or None, history).\"\"\"
            ### BEGIN SOLUTION
            history = []
            for _ in range(max_steps):
                text = policy(task, history)
                try:
                    action = parse_action(text)
                except ValueError as err:
                    history.append({"text": text, "action": None, "observation": {"error": f"cannot parse: {err}"}})
                    continue
                if action["type"] == "final":
                    history.append({"text": text, "action": action, "observation": None})
                    return action["answer"], history
                errors = validate_call({"name": action["name"], "args": action["args"]}, TOOLS)
                if errors:
                    observation = {"error": "; ".join(errors)}
                else:
                    observation = sandbox.call(action["name"], action["args"])
                history.append({"text": text, "action": action, "observation": observation})
            return None, history
            ### END SOLUTION
        """,
    ),
    tests(
        "test_react_loop",
        3,
        """
        def scripted(turns):
            def policy(task, history):
                return turns[len(history)]

            return policy


        demo = StoreSandbox(1)
        sku = demo.skus[0]
        turns = [f'Thought: look.\\nAction: check_stock {{"sku": "{sku}"}}', "Thought: ok.\\nFinal Answer: done"]
        answer_demo, history_demo = react_loop(scripted(turns), demo, {"sku": sku}, max_steps=5)
        assert answer_demo == "done" and len(history_demo) == 2
        assert history_demo[0]["observation"] == {"sku": sku, "on_hand": demo.products[sku]["on_hand"]}
        ### BEGIN HIDDEN TESTS
        box = StoreSandbox(123)
        sku = box.skus[2]
        pack = box.products[sku]["pack_size"]
        turns = [
            f'Thought: order.\\nAction: place_order {{"sku": "{sku}", "qty": "{pack}"}}',
            "Thought: I will just write prose.",
            f'Thought: again.\\nAction: place_order {{"sku": "{sku}", "qty": {pack}, "rush": true}}',
            f'Thought: fixed.\\nAction: place_order {{"sku": "{sku}", "qty": {pack}}}',
            f"Thought: done.\\nFinal Answer: {pack}",
            "Final Answer: never reached",
        ]
        seen_lengths = []


        def watching(task, history):
            seen_lengths.append(len(history))
            assert task == {"sku": sku}
            return turns[len(history)]


        got_answer, got_history = react_loop(watching, box, {"sku": sku}, max_steps=8)
        assert got_answer == str(pack)
        assert seen_lengths == [0, 1, 2, 3, 4]
        assert len(got_history) == 5
        assert box.calls == [("place_order", {"sku": sku, "qty": pack})], "only the valid call runs"
        assert box.orders == [(sku, pack)]
        assert "error" in got_history[0]["observation"] and got_history[0]["action"]["name"] == "place_order"
        assert got_history[1]["action"] is None and "error" in got_history[1]["observation"]
        assert "error" in got_history[2]["observation"]
        assert got_history[3]["observation"] == {"sku": sku, "ordered": pack}
        assert got_history[4]["observation"] is None and got_history[4]["text"] == turns[4]

        box2 = StoreSandbox(7)
        calls = []


        def stubborn(task, history):
            calls.append(1)
            return f'Action: check_stock {{"sku": "{box2.skus[0]}"}}'


        never, long_history = react_loop(stubborn, box2, {}, max_steps=3)
        assert never is None and len(long_history) == 3 and len(calls) == 3 and len(box2.calls) == 3
        ### END HIDDEN TESTS
        """,
    ),
]

RESTOCK = [
    markdown(
        "restock-intro",
        r"""
        ## 4. A scripted restocking policy (2 + 2 points)

        A restocking task names a product and a horizon of $H$ days: the store must not run out before then.
        The order must bring the stock on hand up to at least the **seasonal** forecast of demand over the
        $H$ days, in whole packs, with as few packs as possible; then the agent answers with the number of
        units it ordered (no order when the stock already covers the forecast, and the answer is `0`).

        First write `reorder_quantity(on_hand, forecast_units, pack_size)`: the smallest whole number of
        packs, in units, that brings `on_hand` to at least `forecast_units` (an `int`, `0` if none is needed).

        Then write `restock_policy(task, history)`, a ReAct policy (no learning: a script) that gathers what
        it needs with `check_stock`, `demand_forecast` (with `days` equal to the horizon) and `supplier_info`,
        places one order if needed, and gives the final answer. It reads the numbers from the observations
        in `history`, never from the sandbox directly. The graded check runs it on many tasks through your
        `react_loop`, and requires success on all of them with at most four tool calls each.
        """,
    ),
    locked(
        "restock-tasks",
        """
        def make_restock_task(seed):
            \"\"\"A fresh sandbox and a restocking task in it; the same seed gives the same pair.\"\"\"
            sandbox = StoreSandbox(seed)
            rng = np.random.default_rng([seed, 12])
            sku = sandbox.skus[int(rng.integers(len(sandbox.skus)))]
            horizon = int(rng.integers(3, 22))
            text = f"Make sure {sku} does not run out in the next {horizon} days, then say how many units you ordered."
            return sandbox, {"kind": "restock", "sku": sku, "horizon": horizon, "text": text}


        def restock_success(sandbox, task, answer):
            \"\"\"The environment's verifier: the one right order was placed and reported.\"\"\"
            product = sandbox.products[task["sku"]]
            shortfall = sandbox.forecast(task["sku"], task["horizon"]) - product["on_hand"]
            target = max(0, math.ceil(shortfall / product["pack_size"])) * product["pack_size"]
            expected_orders = [(task["sku"], target)] if target else []
            try:
                reported = int(str(answer).strip())
            except ValueError:
                return False
            return sandbox.orders == expected_orders and reported == target


        demo_box, demo_task = make_restock_task(SEED)
        print(demo_task["text"])
        """,
    ),
    solution(
        "reorder_quantity",
        """
        def reorder_quantity(on_hand, forecast_units, pack_size):
            \"\"\"Units to order: the fewest whole packs that bring on_hand up to forecast_units.\"\"\"
            ### BEGIN SOLUTION
            shortfall = forecast_units - on_hand
            if shortfall <= 0:
                return 0
            return int(math.ceil(shortfall / pack_size)) * int(pack_size)
            ### END SOLUTION
        """,
    ),
    tests(
        "test_reorder_quantity",
        2,
        """
        assert reorder_quantity(10, 35, 12) == 36
        assert reorder_quantity(50, 35, 12) == 0
        ### BEGIN HIDDEN TESTS
        cases = [(0, 1, 6, 6), (10, 34, 12, 24), (10, 22, 12, 12), (10, 23, 12, 24), (35, 35, 10, 0), (0, 0, 24, 0)]
        for on_hand, units, pack, expected in cases:
            got = reorder_quantity(on_hand, units, pack)
            assert type(got) is int, "return an int"
            assert int(got) == expected, (on_hand, units, pack, expected)
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "restock_policy",
        """
        def restock_policy(task, history):
            \"\"\"One ReAct turn for a restocking task, from the task and the observations so far.\"\"\"
            ### BEGIN SOLUTION
            sku, horizon = task["sku"], task["horizon"]
            seen = {}
            for step in history:
                action, observation = step["action"], step["observation"]
                if action and action["type"] == "tool" and observation and "error" not in observation:
                    seen[action["name"]] = observation
            if "check_stock" not in seen:
                return f"Thought: how many units of {sku} are on hand?\\nAction: check_stock {json.dumps({'sku': sku})}"
            if "demand_forecast" not in seen:
                args = json.dumps({"sku": sku, "days": horizon, "method": "seasonal"})
                return f"Thought: what will sell in {horizon} days?\\nAction: demand_forecast {args}"
            if "supplier_info" not in seen:
                return f"Thought: what is the pack size?\\nAction: supplier_info {json.dumps({'sku': sku})}"
            qty = reorder_quantity(
                seen["check_stock"]["on_hand"], seen["demand_forecast"]["units"], seen["supplier_info"]["pack_size"]
            )
            if qty > 0 and "place_order" not in seen:
                return f"Thought: order {qty} units.\\nAction: place_order {json.dumps({'sku': sku, 'qty': qty})}"
            return f"Thought: the stock now covers the forecast.\\nFinal Answer: {qty}"
            ### END SOLUTION
        """,
    ),
    tests(
        "test_restock_policy",
        2,
        """
        first = parse_action(restock_policy(demo_task, []))
        assert first["type"] == "tool" and first["name"] == "check_stock", "look before you order"
        ### BEGIN HIDDEN TESTS
        solved, needed_order = 0, 0
        for task_seed in range(1000, 1040):
            box, task = make_restock_task(task_seed)
            answer_t, history_t = react_loop(restock_policy, box, task, max_steps=8)
            assert restock_success(box, task, answer_t), (task_seed, answer_t, box.orders)
            assert len(box.calls) <= 4 and len(history_t) == len(box.calls) + 1, "at most four tool calls"
            solved += 1
            needed_order += bool(box.orders)
        assert solved == 40 and 5 <= needed_order <= 35, "the task set needs orders and non-orders"
        ### END HIDDEN TESTS
        """,
    ),
]

TREE = [
    markdown(
        "tree-intro",
        r"""
        ## 5. Tree of thoughts: breadth-first search with a beam (3 + 2 points)

        Tree of thoughts lets an agent keep several partial plans ("thoughts") open instead of committing to
        one. In its breadth-first form: start from the empty plan; at each of `depth` levels, **expand**
        every plan in the frontier into its children, **score** every child with a value function, and keep
        the `beam` best children *of the whole level* (not the best of each parent) as the next frontier.
        With `beam = 1` this is greedy; with a beam as large as the tree it is exhaustive search.

        Write `bfs_tree_search(root, expand, value, beam, depth)`: `expand(state)` returns a list of
        children, `value(state)` a number. Sort each level's children by value, highest first, keeping the
        order in which they were generated among ties (Python's sort is stable). Call `value` exactly once per
        child. Return `(best_state, best_value, evaluations)`: the best child of the last level, its value,
        and the number of `value` calls.

        Then use it to plan prices: `price_plan_search(sandbox, beam)` fixes the products' prices one at a
        time, in the order of `sandbox.skus`, choosing among the three `price_options`. A state is the tuple
        of prices chosen so far; its value is the `profit_estimate` of those prices (the products not yet
        priced keep their current price). Use the tools through `sandbox.call` only. Return
        `(prices, profit, evaluations)` with `prices` a dictionary `{sku: price}`.
        """,
    ),
    solution(
        "bfs_tree_search",
        """
        def bfs_tree_search(root, expand, value, beam, depth):
            \"\"\"Breadth-first beam search; returns (best state of the last level, its value, value calls).\"\"\"
            ### BEGIN SOLUTION
            frontier, evaluations, scored = [root], 0, []
            for _ in range(depth):
                scored = []
                for state in frontier:
                    for child in expand(state):
                        scored.append((float(value(child)), child))
                        evaluations += 1
                scored.sort(key=lambda item: -item[0])
                frontier = [state for _, state in scored[:beam]]
            best_value, best_state = scored[0]
            return best_state, best_value, evaluations
            ### END SOLUTION
        """,
    ),
    tests(
        "test_bfs_tree_search",
        3,
        """
        line_values = {"": 0.0, "a": 1.0, "b": 2.0, "aa": 5.0, "ab": 0.0, "ba": 3.0, "bb": 1.0}


        def line_expand(state):
            return [state + "a", state + "b"]


        best, best_val, n_eval = bfs_tree_search("", line_expand, line_values.__getitem__, beam=2, depth=2)
        assert best == "aa" and best_val == 5.0 and n_eval == 6
        ### BEGIN HIDDEN TESTS
        scores = {"A": 5, "B": 4, "C": 1, "A1": 1, "A2": 2, "A3": 0, "B1": 9, "B2": 3, "B3": 0, "C1": 10, "C2": 0}
        scores.update({"C3": 0, "A21": 20, "B11": 1, "B21": 4, "A11": 0, "B31": 0, "C11": 2, "C21": 0, "C31": 0})
        scores.update({"A31": 0, "B12": 30, "B22": 0, "A12": 0, "A22": 0, "A32": 0, "C12": 0, "C22": 0, "C32": 0})
        calls = []


        def tree_value(state):
            calls.append(state)
            return scores.get(state, 0)


        def tree_expand(state):
            if state == "":
                return ["A", "B", "C"]
            return [state + s for s in ("1", "2", "3")] if len(state) == 1 else [state + s for s in ("1", "2")]


        expected = {
            (1, 2): ("A2", 2.0, 6),
            (2, 2): ("B1", 9.0, 9),
            (3, 2): ("C1", 10.0, 12),
            (1, 3): ("A21", 20.0, 8),
            (2, 3): ("B12", 30.0, 13),
            (3, 3): ("B12", 30.0, 18),
        }
        for (beam_t, depth_t), (state_t, value_t, evals_t) in expected.items():
            calls.clear()
            got_state, got_value, got_evals = bfs_tree_search("", tree_expand, tree_value, beam_t, depth_t)
            assert got_state == state_t and float(got_value) == value_t, (beam_t, depth_t, got_state)
            assert int(got_evals) == evals_t == len(calls), (beam_t, depth_t, got_evals)
        tie_values = {"x": 1.0, "y": 1.0, "z": 0.0, "xy": 2.0, "yx": 2.0}
        tie_state, _, _ = bfs_tree_search(
            "", lambda s: [s + c for c in "xyz"] if len(s) < 1 else [s + ("y" if s == "x" else "x")],
            lambda s: tie_values.get(s, 0.0), beam=2, depth=2,
        )
        assert tie_state == "xy", "ties keep the order of generation"
        ### END HIDDEN TESTS
        """,
    ),
    solution(
        "price_plan_search",
        """
        def price_plan_search(sandbox, beam):
            \"\"\"Plan one price per product by bfs_tree_search over the tools; returns (prices, profit, evaluations).\"\"\"
            ### BEGIN SOLUTION
            skus = sandbox.skus

            def expand(state):
                if len(state) == len(skus):
                    return []
                options = sandbox.call("price_options", {"sku": skus[len(state)]})["prices"]
                return [state + (price,) for price in options]

            def value(state):
                return sandbox.call("profit_estimate", {"prices": dict(zip(skus, state))})["profit"]

            state, profit, evaluations = bfs_tree_search((), expand, value, beam, len(skus))
            return dict(zip(skus, state)), profit, evaluations
            ### END SOLUTION
        """,
    ),
    tests(
        "test_price_plan_search",
        2,
        """
        plan, plan_profit, plan_evals = price_plan_search(StoreSandbox(SEED), beam=3)
        print("prices", plan, "weekly profit", plan_profit, "after", plan_evals, "profit estimates")
        assert set(plan) == set(store.skus)
        ### BEGIN HIDDEN TESTS
        greedy_worse = 0
        for shop_seed in (11, 12, 13, 14, 15, 16):
            shop = StoreSandbox(shop_seed)
            grid = [shop.call("price_options", {"sku": s})["prices"] for s in shop.skus]
            best_profit = max(shop.weekly_profit(dict(zip(shop.skus, combo))) for combo in itertools.product(*grid))
            shop.calls.clear()
            prices_all, profit_all, evals_all = price_plan_search(shop, beam=81)
            assert int(evals_all) == 3 + 9 + 27 + 81
            assert abs(float(profit_all) - best_profit) < 1e-9, "a full beam is exhaustive search"
            assert abs(shop.weekly_profit({k: float(v) for k, v in dict(prices_all).items()}) - best_profit) < 1e-9
            assert sum(name == "profit_estimate" for name, _ in shop.calls) == 120, "values come from the tool"
            chosen = {}
            for s, options in zip(shop.skus, grid):
                chosen[s] = max(options, key=lambda p: shop.weekly_profit({**chosen, s: p}))
            prices_1, profit_1, evals_1 = price_plan_search(StoreSandbox(shop_seed), beam=1)
            assert dict(prices_1) == chosen and int(evals_1) == 12, "beam 1 is greedy"
            assert abs(float(profit_1) - shop.weekly_profit(chosen)) < 1e-9
            greedy_worse += float(profit_1) < best_profit - 1e-9
            prices_3, profit_3, evals_3 = price_plan_search(StoreSandbox(shop_seed), beam=3)
            assert float(profit_1) - 1e-9 <= float(profit_3) <= best_profit + 1e-9 and int(evals_3) == 3 + 9 + 9 + 9
        print(greedy_worse, "of 6 shops where greedy pricing misses the best plan")
        ### END HIDDEN TESTS
        """,
    ),
]
