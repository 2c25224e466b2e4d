"""Homework 12, parts 0-2: the store sandbox and its tool schema, validating tool calls, parsing ReAct text.

The sandbox is the course's deterministic simulated business: a small store with products, a supplier and
a demand model, reached only through tools described by a JSON-schema-like list (as MCP servers describe
theirs). Everything is generated from the seed; nothing is downloaded.
"""

from nbbuild import answer, locked, markdown, solution, tests

INTRO = [
    markdown(
        "intro",
        r"""
        # Homework 12: Agents that call tools

        DOTE 6635 *AI for Business Research*, session 9 (Agentic AI I: ReAct, Tree of Thoughts and MCP).

        A language-model agent is a loop: the model writes text, a controller turns the text into a tool call,
        runs it, and shows the result to the model. Here the "model" is a Python function (a scripted
        policy), so everything is deterministic and checkable, but the controller is the one a real agent
        needs. You will write:

        1. a validator for tool calls against a tool schema (what an MCP server publishes);
        2. a parser for ReAct-style text (`Thought:` / `Action:` / `Final Answer:`);
        3. the ReAct controller loop, and a scripted policy that restocks a product through the tools;
        4. a breadth-first tree-of-thoughts search (beam search) that plans prices through the same tools.

        Fill in every cell that says `YOUR CODE HERE` (delete the `raise NotImplementedError()` line) and the
        written answer. Visible checks follow each function; more checks run when your notebook is graded.
        Use only the standard library and NumPy. Before submitting, restart the kernel and run all cells.
        """,
    ),
    locked(
        "setup",
        """
        import copy
        import itertools
        import json
        import math
        import os

        import numpy as np

        np.set_printoptions(precision=4, suppress=True)
        """,
    ),
    markdown(
        "sandbox-intro",
        r"""
        ## The store sandbox

        `StoreSandbox(seed)` simulates a store with four products. An agent sees it only through **tools**,
        listed in `TOOLS`: each has a `name`, a `description` and a `parameters` schema (an object with
        `properties`, each with a `type` of `string`, `integer`, `number` or `object`, optionally an `enum`,
        a `minimum` and a `maximum`, and a list of `required` names). `sandbox.call(name, args)` runs a tool
        and returns a JSON-able dictionary; every executed call is appended to `sandbox.calls`, every order
        to `sandbox.orders`. The sandbox trusts its caller: checking calls is the controller's job.

        A weekly demand model links the prices: raising one product's price lowers its own demand
        (elasticity $e_i$) and raises the others' (substitution), so
        $d_i(p) = b_i\,(p_i/r_i)^{-e_i}\,\big(\tfrac{1}{n-1}\sum_{j\ne i} p_j/r_j\big)^{\gamma}$ and the weekly
        profit is $\sum_i (p_i - c_i)\,d_i(p)$, with reference prices $r_i$ and unit costs $c_i$.
        """,
    ),
    locked(
        "sandbox",
        """
        SEED = int(os.environ.get("GRADER_SEED", "0"))

        TOOLS = [
            {
                "name": "check_stock",
                "description": "Units of a product on hand now.",
                "parameters": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]},
            },
            {
                "name": "demand_forecast",
                "description": "Forecast units sold over the next `days` days.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "days": {"type": "integer", "minimum": 1, "maximum": 28},
                        "method": {"type": "string", "enum": ["seasonal", "flat"]},
                    },
                    "required": ["sku", "days"],
                },
            },
            {
                "name": "supplier_info",
                "description": "Pack size (units per pack) and unit cost of a product.",
                "parameters": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]},
            },
            {
                "name": "place_order",
                "description": "Order qty units of a product; qty must be a whole number of packs.",
                "parameters": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1, "maximum": 1000}},
                    "required": ["sku", "qty"],
                },
            },
            {
                "name": "price_options",
                "description": "The three prices allowed for a product.",
                "parameters": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]},
            },
            {
                "name": "profit_estimate",
                "description": "Weekly profit if the given prices are set (other products keep their price).",
                "parameters": {
                    "type": "object",
                    "properties": {"prices": {"type": "object"}},
                    "required": ["prices"],
                },
            },
        ]
        WEEKDAY_FACTOR = np.array([0.8, 0.9, 0.9, 1.0, 1.2, 1.4, 0.8])


        class StoreSandbox:
            \"\"\"A deterministic simulated store, reached through tools; the same seed gives the same store.\"\"\"

            def __init__(self, seed, n_products=4):
                rng = np.random.default_rng(seed)
                self.skus = [f"P{100 + 10 * i + int(rng.integers(0, 10))}" for i in range(n_products)]
                self.products = {}
                for sku in self.skus:
                    ref = float(np.round(rng.uniform(8.0, 40.0), 2))
                    self.products[sku] = {
                        "on_hand": int(rng.integers(0, 80)),
                        "rate": float(np.round(rng.uniform(2.0, 14.0), 2)),
                        "pack_size": int(rng.choice([6, 10, 12, 24])),
                        "unit_cost": float(np.round(ref * rng.uniform(0.45, 0.65), 2)),
                        "ref_price": ref,
                        "price": ref,
                        "elasticity": float(np.round(rng.uniform(1.6, 3.2), 2)),
                        "base": float(np.round(rng.uniform(40.0, 120.0), 1)),
                    }
                self.substitution = 1.5
                self.day = int(rng.integers(0, 7))
                self.calls, self.orders = [], []

            def forecast(self, sku, days, method="seasonal"):
                product = self.products[sku]
                weekdays = (self.day + np.arange(days)) % 7
                factor = WEEKDAY_FACTOR[weekdays].sum() if method == "seasonal" else float(days)
                return int(round(product["rate"] * factor))

            def weekly_profit(self, prices):
                p = {sku: float(prices.get(sku, self.products[sku]["price"])) for sku in self.skus}
                rel = {sku: p[sku] / self.products[sku]["ref_price"] for sku in self.skus}
                total = 0.0
                for sku in self.skus:
                    q = self.products[sku]
                    others = np.mean([rel[o] for o in self.skus if o != sku])
                    demand = q["base"] * rel[sku] ** (-q["elasticity"]) * others**self.substitution
                    total += (p[sku] - q["unit_cost"]) * demand
                return round(float(total), 4)

            def call(self, name, args):
                \"\"\"Run tool `name` with the dict `args`; returns a dict (with "error" for an unknown product).\"\"\"
                self.calls.append((name, copy.deepcopy(args)))
                sku = args.get("sku")
                if sku is not None and sku not in self.products:
                    return {"error": f"unknown product {sku}"}
                if name == "check_stock":
                    return {"sku": sku, "on_hand": self.products[sku]["on_hand"]}
                if name == "demand_forecast":
                    units = self.forecast(sku, args["days"], args.get("method", "seasonal"))
                    return {"sku": sku, "days": args["days"], "units": units}
                if name == "supplier_info":
                    q = self.products[sku]
                    return {"sku": sku, "pack_size": q["pack_size"], "unit_cost": q["unit_cost"]}
                if name == "place_order":
                    if args["qty"] % self.products[sku]["pack_size"]:
                        return {"error": "qty must be a whole number of packs"}
                    self.orders.append((sku, args["qty"]))
                    return {"sku": sku, "ordered": args["qty"]}
                if name == "price_options":
                    ref = self.products[sku]["ref_price"]
                    return {"sku": sku, "prices": [round(ref * f, 2) for f in (0.85, 1.0, 1.2)]}
                if name == "profit_estimate":
                    return {"profit": self.weekly_profit(args["prices"])}
                return {"error": f"unknown tool {name}"}


        store = StoreSandbox(SEED)
        stock_levels = np.array([store.products[s]["on_hand"] for s in store.skus])
        weekly_rates = np.array([store.products[s]["rate"] for s in store.skus])
        print(f"seed {SEED}: products {store.skus}, on hand {stock_levels}, daily demand {weekly_rates}")
        print(json.dumps(store.call("demand_forecast", {"sku": store.skus[0], "days": 7})))
        store.calls.clear()
        """,
    ),
]

VALIDATE = [
    markdown(
        "validate-intro",
        r"""
        ## 1. Validating tool calls (3 points)

        A model's tool call is data you did not write: check it before running it. A call is a dictionary
        `{"name": ..., "args": {...}}`. Write `validate_call(call, tools)` that returns a **list of error
        messages** (an empty list when the call is valid), one message per problem:

        - an unknown tool name gives exactly one error and nothing else is checked;
        - `args` that is not a dictionary gives exactly one error and nothing else is checked;
        - each required parameter that is missing: one error;
        - each argument that the schema does not list: one error;
        - each listed argument of the wrong type: one error. `string` is `str`; `integer` is `int`;
          `number` is `int` or `float`; `object` is `dict`. In Python `True` is an `int`: a boolean is
          **never** an integer or a number here;
        - an argument of the right type outside its `enum`, below its `minimum` or above its `maximum`:
          one error for each violated constraint.

        The wording of the messages is yours; their number is checked.
        """,
    ),
    solution(
        "validate_call",
        """
        def validate_call(call, tools):
            \"\"\"Errors in a tool call {"name": str, "args": dict} against the tool list; [] when valid.\"\"\"
            ### BEGIN SOLUTION
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
                if isinstance(value, bool) or not isinstance(value, types[spec["type"]]):
                    errors.append(f"{key} must be of type {spec['type']}")
                    continue
                if "enum" in spec and value not in spec["enum"]:
                    errors.append(f"{key} must be one of {spec['enum']}")
                if "minimum" in spec and value < spec["minimum"]:
                    errors.append(f"{key} must be at least {spec['minimum']}")
                if "maximum" in spec and value > spec["maximum"]:
                    errors.append(f"{key} must be at most {spec['maximum']}")
            return errors
            ### END SOLUTION
        """,
    ),
    tests(
        "test_validate_call",
        3,
        """
        assert validate_call({"name": "check_stock", "args": {"sku": "P101"}}, TOOLS) == []
        assert len(validate_call({"name": "check_stock", "args": {}}, TOOLS)) == 1, "sku is required"
        assert len(validate_call({"name": "delete_database", "args": {}}, TOOLS)) == 1, "unknown tool"
        assert len(validate_call({"name": "place_order", "args": {"sku": "P101", "qty": "12"}}, TOOLS)) == 1
        ### BEGIN HIDDEN TESTS
        def n_errors(name, args):
            return len(list(validate_call({"name": name, "args": args}, TOOLS)))


        assert n_errors("demand_forecast", {"sku": "P1", "days": 7, "method": "flat"}) == 0
        assert n_errors("demand_forecast", {"sku": "P1", "days": 7}) == 0, "method is optional"
        assert n_errors("profit_estimate", {"prices": {"P1": 3.0}}) == 0
        assert n_errors("place_order", {"sku": "P1", "qty": True}) == 1, "a boolean is not an integer"
        assert n_errors("profit_estimate", {"prices": []}) == 1
        assert n_errors("demand_forecast", {"sku": "P1", "days": 7.0}) == 1, "7.0 is a float, not an integer"
        assert n_errors("demand_forecast", {"sku": "P1", "days": 0, "method": "weekly"}) == 2
        assert n_errors("demand_forecast", {"sku": "P1", "days": 29}) == 1
        assert n_errors("demand_forecast", {"sku": "P1", "days": 28}) == 0, "the maximum is inclusive"
        assert n_errors("place_order", {"qty": True, "colour": "red"}) == 3
        assert n_errors("place_order", {"sku": 101, "qty": 5000, "note": None}) == 3
        assert n_errors("place_order", {}) == 2
        assert len(list(validate_call({"name": "place_order", "args": ["P1", 12]}, TOOLS))) == 1
        assert len(list(validate_call({"name": "rm -rf", "args": {"x": 1}}, TOOLS))) == 1
        number_tool = [
            {
                "name": "t",
                "parameters": {"type": "object", "properties": {"x": {"type": "number", "minimum": 0.5}}, "required": []},
            }
        ]
        assert len(list(validate_call({"name": "t", "args": {"x": 2}}, number_tool))) == 0, "an int is a number"
        assert len(list(validate_call({"name": "t", "args": {"x": 0.25}}, number_tool))) == 1
        assert len(list(validate_call({"name": "t", "args": {"x": False}}, number_tool))) == 1
        assert len(list(validate_call({"name": "t", "args": {}}, number_tool))) == 0
        ### END HIDDEN TESTS
        """,
    ),
]

PARSE = [
    markdown(
        "parse-intro",
        r"""
        ## 2. Parsing ReAct text (2 points)

        In ReAct the model interleaves reasoning and acting. Each turn it writes a `Thought:` line and then
        **either** an `Action:` line, `Action: <tool name> <JSON object of arguments>`, **or** a
        `Final Answer: <text>` line. Write `parse_action(text)`:

        - the **first** line (after stripping its leading and trailing spaces) that starts with `Action:` or
          `Final Answer:` decides, and everything after it is ignored: a model that keeps writing after its
          action is inventing the observation;
        - `Final Answer: 36` gives `{"type": "final", "answer": "36"}` (the text after the colon, stripped);
        - `Action: check_stock {"sku": "P101"}` gives
          `{"type": "tool", "name": "check_stock", "args": {"sku": "P101"}}`: the name is the first word
          after the colon, the arguments the JSON object after it;
        - raise `ValueError` when no line decides, when the action has no name, or when its arguments are
          not a JSON object (`json.JSONDecodeError` is a `ValueError`).
        """,
    ),
    solution(
        "parse_action",
        """
        def parse_action(text):
            \"\"\"The first Action / Final Answer line of a ReAct turn as a dict; ValueError if there is none.\"\"\"
            ### BEGIN SOLUTION
            for raw in text.splitlines():
                line = raw.strip()
                if line.startswith("Final Answer:"):
                    return {"type": "final", "answer": line[len("Final Answer:") :].strip()}
                if line.startswith("Action:"):
                    rest = line[len("Action:") :].strip()
                    name, _, arg_text = rest.partition(" ")
                    if not name:
                        raise ValueError("the action has no tool name")
                    args = json.loads(arg_text.strip() or "null")
                    if not isinstance(args, dict):
                        raise ValueError("the arguments must be a JSON object")
                    return {"type": "tool", "name": name, "args": args}
            raise ValueError("no Action or Final Answer line")
            ### END SOLUTION
        """,
    ),
    tests(
        "test_parse_action",
        2,
        """
        turn = 'Thought: I need the stock level first.\\nAction: check_stock {"sku": "P101"}'
        assert parse_action(turn) == {"type": "tool", "name": "check_stock", "args": {"sku": "P101"}}
        assert parse_action("Thought: done.\\nFinal Answer: 36") == {"type": "final", "answer": "36"}
        ### BEGIN HIDDEN TESTS
        hallucinated = (
            "Thought: check stock\\n"
            'Action: check_stock {"sku": "P2"}\\n'
            'Observation: {"on_hand": 5}\\n'
            'Action: place_order {"sku": "P2", "qty": 12}\\n'
            "Final Answer: 12"
        )
        assert dict(parse_action(hallucinated)) == {"type": "tool", "name": "check_stock", "args": {"sku": "P2"}}
        assert dict(parse_action("  Final Answer:   no order needed  \\nAction: x {}")) == {
            "type": "final",
            "answer": "no order needed",
        }
        got = dict(parse_action('Thought: x\\n   Action: demand_forecast {"sku": "P1", "days": 14}   '))
        assert got == {"type": "tool", "name": "demand_forecast", "args": {"sku": "P1", "days": 14}}
        assert dict(parse_action("Action: supplier_info {}")) == {"type": "tool", "name": "supplier_info", "args": {}}
        for bad in ["Thought: hmm", 'Action: check_stock {"sku": ', "Action: check_stock [1, 2]", "Action:   ", ""]:
            try:
                parse_action(bad)
            except ValueError:
                pass
            else:
                raise AssertionError(f"{bad!r} must raise ValueError")
        ### END HIDDEN TESTS
        """,
    ),
    markdown(
        "answer_validation-question",
        r"""
        **Written answer (2 points).** The sandbox runs whatever it is given. Explain in a few sentences why
        the controller, not the tool, should validate calls, and what goes wrong if `parse_action` took the
        *last* action of a turn instead of the first.
        """,
    ),
    answer(
        "answer_validation",
        2,
        """
        The sandbox trusts its caller, so a call with a string quantity, a boolean or an invented argument
        would either crash the tool or, worse, do something nobody asked for (an order of `True` = 1 unit).
        Validating first turns every such mistake into an observation the model can read and correct on its
        next turn, keeps side effects (orders) behind a checked interface, and gives a log of refused calls.
        Taking the first action and ignoring the rest matters because text after the action is the model's
        guess of the observation, not the tool's answer.
        """,
    ),
]
