# SPDX-License-Identifier: Apache-2.0
"""Console scripts of the pyproject.toml example."""
import importlib.util


def _has(name):
    return importlib.util.find_spec(name) is not None


def hello():
    print("hello from Py.Project-Tool", "tinyansi" if _has("tinyansi") else "-",
          "lint_rules" if _has("lint_rules") else "-")


def plain():
    print("plain", "tinyansi" if _has("tinyansi") else "-",
          "lint_rules" if _has("lint_rules") else "-")
