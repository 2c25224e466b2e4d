"""What crosses between the trusted tester and the notebook process (graders/harness/proxy.py), case by case.

Each case is a locked cell (the instructor's code, bound in both processes), notebook code (the student's) and a
test run by the real tester (``graders.harness.tester.Tester``) against a notebook process serving it; all cases
run in one helper process (``tests/graders/proxy_pair.py``), without a sandbox, in a few seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

TORCH = "import numpy as np\nimport torch\n"
SKLEARN = (
    "import numpy as np\nfrom sklearn.base import BaseEstimator, RegressorMixin, clone\n"
    "from sklearn.linear_model import LinearRegression\n"
)

CASES = {
    # an instructor's estimator class lent to a student function that clones it (hw4's MeanSpy): it crosses by
    # value; before, its bound methods came back as getattr on a handle, without end (RecursionError)
    "locked_estimator_is_cloned": {
        "locked": SKLEARN
        + "class MeanSpy(BaseEstimator, RegressorMixin):\n"
        + "    def fit(self, x, y):\n        self.mean_ = float(np.mean(y))\n        return self\n\n"
        + "    def predict(self, x):\n        return np.full(len(x), self.mean_)\n",
        "notebook": "def oof(learner, x, y):\n    return clone(learner).fit(x, y).predict(x)\n",
        "test": "assert np.allclose(oof(MeanSpy(), np.zeros((4, 1)), np.arange(4.0)), 1.5)\n",
    },
    # other objects of the instructor's classes stay in the tester: what student code does to them is done there
    "locked_object_stays_in_the_tester": {
        "locked": "class Recorder:\n    def __init__(self):\n        self.calls = []\n\n"
        + "    def call(self, name):\n        self.calls.append(name)\n        return len(self.calls)\n",
        "notebook": "def use(tool):\n    return [tool.call('a'), tool.call('b')]\n",
        "test": "rec = Recorder()\nassert use(rec) == [1, 2]\nassert rec.calls == ['a', 'b']\n",
    },
    # a network of the instructor's own class trained by a student function comes back trained (hw5, hw11)
    "locked_network_comes_back_trained": {
        "locked": TORCH
        + "class Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        + "        self.lin = torch.nn.Linear(2, 1)\n\n    def forward(self, x):\n        return self.lin(x)\n",
        "notebook": "def train(net, steps):\n    opt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
        + "    for _ in range(steps):\n        opt.zero_grad()\n"
        + "        loss = (net(torch.ones(4, 2)) - 3).pow(2).mean()\n        loss.backward()\n        opt.step()\n"
        + "    net.eval()\n    return float(loss)\n",
        "test": "torch.manual_seed(0)\nnet = Net()\nbefore = net.lin.weight.detach().clone()\ntrain(net, 30)\n"
        + "assert not torch.equal(before, net.lin.weight.detach())\nassert not net.training\n"
        + "assert float((net(torch.ones(1, 2)) - 3).abs()) < 0.1\n",
    },
    # a loss the student computes from a lent network reaches the network's parameters in the tester (hw8)
    "gradient_reaches_a_lent_network": {
        "locked": TORCH,
        "notebook": "def loss(net, x):\n    return net(x).pow(2).sum()\n",
        "test": "torch.manual_seed(1)\nnet = torch.nn.Linear(3, 1)\nx = torch.ones(2, 3)\n"
        + "want = torch.autograd.grad(net(x).pow(2).sum(), net.weight)[0]\n"
        + "loss(net, x).backward()\n"
        + "assert net.weight.grad is not None and torch.allclose(net.weight.grad, want)\n",
    },
    # a torch generator of the notebook arrives as its state, is lent back and comes back advanced (hw8, hw9)
    "torch_generator_crosses_as_state": {
        "locked": TORCH,
        "notebook": "gen = torch.Generator().manual_seed(3)\n\ndef draw(g):\n    return torch.rand(2, generator=g)\n",
        "test": "ref = torch.Generator().manual_seed(3)\nassert torch.equal(draw(gen), torch.rand(2, generator=ref))\n"
        + "assert torch.equal(gen.get_state(), ref.get_state())\n",
    },
    # a library object that refers to itself is described once and rebuilt with the cycle (EconML's estimators)
    "cyclic_library_object_is_rebuilt": {
        "locked": SKLEARN,
        "notebook": "model = LinearRegression().fit(np.eye(3), np.arange(3.0))\nmodel.self_ref_ = [model]\n",
        "test": "assert isinstance(model, LinearRegression)\nassert model.self_ref_[0] is model\n"
        + "assert np.allclose(model.predict(np.eye(3)), np.arange(3.0))\n",
    },
    # a test starts from the notebook's random state, as a cell of the notebook would
    "test_starts_from_the_notebook_random_state": {
        "locked": "import numpy as np\n",
        "notebook": "np.random.seed(5)\n",
        "test": "r = np.random.rand()\nnp.random.seed(5)\nassert r == np.random.rand()\n",
    },
    # NumPy's legacy normal draws come in pairs: a call that uses the cached second value changes only the
    # cached flag, and the next draw in the test must still be a fresh one, as in a notebook
    "legacy_gaussian_pair_is_shared_across_a_call": {
        "locked": "import numpy as np\n",
        "notebook": "def one_normal():\n    return np.random.standard_normal()\n",
        "test": "np.random.seed(2)\nwant = [np.random.standard_normal() for _ in range(4)]\nnp.random.seed(2)\n"
        + "got = [np.random.standard_normal(), one_normal(), np.random.standard_normal(), one_normal()]\n"
        + "assert got == want, (got, want)\n",
    },
    # a generator the test lends at every call is one object in the notebook, given the test's state each time
    # (hw10's policies get the same rng for thousands of rounds)
    "lent_generator_is_one_object_in_the_notebook": {
        "locked": "import numpy as np\n",
        "notebook": "seen = []\n\ndef draw(rng):\n    seen.append(rng)\n    return rng.random()\n\n"
        + "def same_object():\n    return all(g is seen[0] for g in seen)\n",
        "test": "gen, ref = np.random.default_rng(9), np.random.default_rng(9)\n"
        + "assert [draw(gen) for _ in range(3)] == [ref.random() for _ in range(3)]\n"
        + "assert gen.random() == ref.random()\nassert draw(gen) == ref.random()\nassert same_object()\n",
    },
    # bytes stay bytes (hashable, `type(x) is bytes`), a bytearray stays a bytearray, both ways
    "bytes_stay_bytes": {
        "locked": "",
        "notebook": "DATA = b'xyz'\n\ndef get():\n    return b'xyz'\n\ndef kind(x):\n    return type(x).__name__\n",
        "test": "assert type(DATA) is bytes and type(get()) is bytes\nassert {get(): 1}[b'xyz'] == 1\n"
        + "assert kind(b'a') == 'bytes' and kind(bytearray(b'a')) == 'bytearray'\n"
        + "assert type(get()) is not bytearray\n",
    },
    # one array passed twice is one array in the notebook; a change there comes back to the test's array
    "aliased_array_arguments_stay_aliased": {
        "locked": "import numpy as np\n",
        "notebook": "def bump_first(a, b):\n    a += 1\n    return float(b[0])\n",
        "test": "x = np.zeros(3)\nassert bump_first(x, x) == 1.0\nassert x.tolist() == [1.0, 1.0, 1.0]\n",
    },
}


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    cases_file = tmp_path_factory.mktemp("proxy") / "cases.json"
    cases_file.write_text(json.dumps(list(CASES.values())))
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-m", "tests.graders.proxy_pair", str(cases_file)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(CASES), proc.stdout[-3000:] + proc.stderr[-3000:]
    return dict(zip(CASES, lines, strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_transfer(name: str, records: dict[str, dict]) -> None:
    record = records[name]
    assert record["outcome"] == "passed", record
