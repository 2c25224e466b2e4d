"""Code that runs *inside* the sandbox: the warm zygote, the notebook runner and the test runner.

These modules import nothing from ``graders`` (they are sent into the sandbox as source text and
loaded as the package ``grader_harness``); they use relative imports between themselves only.
"""

MODULES = ("wire", "guard", "cells", "shared", "proxy", "tester", "runner", "scrub", "zygote")
