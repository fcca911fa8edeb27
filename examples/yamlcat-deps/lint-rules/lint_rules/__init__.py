# SPDX-License-Identifier: Apache-2.0
"""Lint rules over a YAML event stream (yamlcat._cyaml.events)."""


def duplicate_keys(events):
    """[(line, column, message)] for every key repeated in one mapping."""
    problems = []
    stack = []  # per open collection: (is_map, keys seen, expecting a key)
    for kind, value, line, column in events:
        top = stack[-1] if stack else None
        is_key = top is not None and top[0] and top[2]
        if top is not None and top[0]:
            top[2] = not top[2]
        if kind in ("+MAP", "+SEQ"):
            stack.append([kind == "+MAP", set(), True])
        elif kind in ("-MAP", "-SEQ"):
            stack.pop()
        elif kind == "=VAL" and is_key:
            if value in top[1]:
                problems.append((line, column, "duplicate key '%s'" % value))
            top[1].add(value)
    return problems
