# SPDX-License-Identifier: Apache-2.0
"""The console script of the setup.py example."""
import importlib.util


def main():
    print("spdemo", *(n if importlib.util.find_spec(n) else "-" for n in ("tinyansi", "lint_rules")))
