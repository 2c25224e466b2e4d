"""Homework 12 mutants: plausible wrong submissions and the grade ids each must lose.

Each mutant replaces the body of one solution region; everything else is the reference solution. All of
them pass the visible tests, so only the hidden tests can tell them apart from a correct answer.
"""

from nbbuild import Mutant

ALWAYS_EQUAL = """
class AlwaysEqual:
    \"\"\"Compares equal (and less, and greater) to anything: a way to game '==' checks.\"\"\"

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__
    __hash__ = None

    def __repr__(self):
        return "36"


return AlwaysEqual()
"""

MUTANTS = [
    Mutant(
        name="bool_counts_as_integer",
        description="Type checks with isinstance alone, so True passes as an integer (bool is a subclass of int).",
        fills={
            "validate_call": """
            by_name = {tool["name"]: tool for tool in tools}
            name = call.get("name")
            if name not in by_name:
                return [f"unknown tool {name!r}"]
            args = call.get("args")
            if not isinstance(args, dict):
                return ["args must be an object"]
            schema = by_name[name]["parameters"]
            properties = schema.get("properties", {})
            errors = [f"missing required argument {key!r}" for key in schema.get("required", []) if key not in args]
            types = {"string": (str,), "integer": (int,), "number": (int, float), "object": (dict,)}
            for key, value in args.items():
                if key not in properties:
                    errors.append(f"unexpected argument {key!r}")
                    continue
                spec = properties[key]
                if not isinstance(value, types[spec["type"]]):
                    errors.append(f"{key} must be of type {spec['type']}")
                    continue
                if "enum" in spec and value not in spec["enum"]:
                    errors.append(f"{key} must be one of {spec['enum']}")
                if "minimum" in spec and value < spec["minimum"]:
                    errors.append(f"{key} must be at least {spec['minimum']}")
                if "maximum" in spec and value > spec["maximum"]:
                    errors.append(f"{key} must be at most {spec['maximum']}")
            return errors
            """
        },
        fails=["test_validate_call"],
    ),
    Mutant(
        name="last_action_wins",
        description="Parses the last Action line of a turn, so a hallucinated continuation replaces the real action.",
        fills={
            "parse_action": """
            decided = None
            for raw in text.splitlines():
                line = raw.strip()
                if line.startswith("Final Answer:") or line.startswith("Action:"):
                    decided = line
            if decided is None:
                raise ValueError("no Action or Final Answer line")
            if decided.startswith("Final Answer:"):
                return {"type": "final", "answer": decided[len("Final Answer:") :].strip()}
            name, _, arg_text = decided[len("Action:") :].strip().partition(" ")
            if not name:
                raise ValueError("the action has no tool name")
            args = json.loads(arg_text.strip() or "null")
            if not isinstance(args, dict):
                raise ValueError("the arguments must be a JSON object")
            return {"type": "tool", "name": name, "args": args}
            """
        },
        fails=["test_parse_action"],
    ),
    Mutant(
        name="executes_invalid_calls",
        description="Reports validation errors but runs the tool anyway, so an invalid order reaches the store.",
        fills={
            "react_loop": """
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
                try:
                    observation = sandbox.call(action["name"], action["args"])
                except Exception as err:
                    observation = {"error": str(err)}
                if errors:
                    observation = {"error": "; ".join(errors)}
                history.append({"text": text, "action": action, "observation": observation})
            return None, history
            """
        },
        fails=["test_react_loop"],
    ),
    Mutant(
        name="reorder_always_equal",
        description="reorder_quantity returns an object whose == is always true instead of a number of units.",
        fills={"reorder_quantity": ALWAYS_EQUAL},
        fails=["test_reorder_quantity", "test_restock_policy"],
    ),
    Mutant(
        name="flat_forecast",
        description="The restocking policy asks for the flat forecast, ignoring the weekly pattern of demand.",
        fills={
            "restock_policy": """
            sku, horizon = task["sku"], task["horizon"]
            seen = {}
            for step in history:
                action, observation = step["action"], step["observation"]
                if action and action["type"] == "tool" and observation and "error" not in observation:
                    seen[action["name"]] = observation
            if "check_stock" not in seen:
                return f"Thought: how many units of {sku} are on hand?\\nAction: check_stock {json.dumps({'sku': sku})}"
            if "demand_forecast" not in seen:
                args = json.dumps({"sku": sku, "days": horizon, "method": "flat"})
                return f"Thought: what will sell in {horizon} days?\\nAction: demand_forecast {args}"
            if "supplier_info" not in seen:
                return f"Thought: what is the pack size?\\nAction: supplier_info {json.dumps({'sku': sku})}"
            qty = reorder_quantity(
                seen["check_stock"]["on_hand"], seen["demand_forecast"]["units"], seen["supplier_info"]["pack_size"]
            )
            if qty > 0 and "place_order" not in seen:
                return f"Thought: order {qty} units.\\nAction: place_order {json.dumps({'sku': sku, 'qty': qty})}"
            return f"Thought: the stock now covers the forecast.\\nFinal Answer: {qty}"
            """
        },
        fails=["test_restock_policy"],
    ),
    Mutant(
        name="beam_per_parent",
        description="Keeps the best `beam` children of each parent instead of the best `beam` of the whole level.",
        fills={
            "bfs_tree_search": """
            frontier, evaluations, scored = [root], 0, []
            for _ in range(depth):
                kept = []
                for state in frontier:
                    children = [(float(value(child)), child) for child in expand(state)]
                    evaluations += len(children)
                    children.sort(key=lambda item: -item[0])
                    kept.extend(children[:beam])
                scored = sorted(kept, key=lambda item: -item[0])
                frontier = [state for _, state in kept]
            best_value, best_state = scored[0]
            return best_state, best_value, evaluations
            """
        },
        fails=["test_bfs_tree_search", "test_price_plan_search"],
    ),
    Mutant(
        name="reverse_sort_ties",
        description="Sorts (value, state) pairs with reverse=True, which also reverses the order of tied children.",
        fills={
            "bfs_tree_search": """
            frontier, evaluations, scored = [root], 0, []
            for _ in range(depth):
                scored = []
                for state in frontier:
                    for child in expand(state):
                        scored.append((float(value(child)), child))
                        evaluations += 1
                scored.sort(reverse=True)
                frontier = [state for _, state in scored[:beam]]
            best_value, best_state = scored[0]
            return best_state, best_value, evaluations
            """
        },
        fails=["test_bfs_tree_search"],
    ),
]
