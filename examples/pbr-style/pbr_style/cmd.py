# SPDX-License-Identifier: Apache-2.0
"""The console script of the pbr-style example."""
import importlib.util


def run():
    print("pbr-style", *(n if importlib.util.find_spec(n) else "-" for n in ("tinyansi", "lint_rules")))
