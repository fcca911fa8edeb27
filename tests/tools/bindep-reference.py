#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An independent model of bindep's selection rules, written from
bindep's documentation and depends.py (_partition, _evaluate, the
platform/user truth table), used once to derive the corpus fixtures in
tests/fixtures/bindep-filter/corpus/.  It is not run by the tests: they
compare bindep-filter against the fixtures it wrote.

usage: bindep-reference.py BINDEP_FILE ATOMS_FILE PROFILE...
ATOMS_FILE holds the platform atoms, one per line."""
import re
import sys

TERM = re.compile(r"\((?P<group>[^()]*)\)|(?P<single>!?[a-z0-9:.\-]+)")


def parse(text):
    rules = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip(" ")
        if not line.strip():
            continue
        m = re.match(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9.+\-_/]+)"
                     r"(?: +\[(?P<sel>[^\]]*)\])?(?: +(?P<ver>\S+))?$", line)
        if not m:
            raise SystemExit("reference model cannot parse: %r" % line)
        terms = []
        for t in TERM.finditer(m.group("sel") or ""):
            if t.group("group") is not None:
                terms.append([(not p.startswith("!"), p.lstrip("!"))
                              for p in t.group("group").split()])
            else:
                p = t.group("single")
                terms.append((not p.startswith("!"), p.lstrip("!")))
        rules.append((m.group("name"), terms))
    return rules


def evaluate(terms, profiles):
    if not terms:
        return None
    positive = match = group = group_match = False
    for t in terms:
        if isinstance(t, list):
            group = True
            if all((p in profiles) == sense for sense, p in t):
                group_match = True
            continue
        sense, p = t
        if sense:
            positive = True
            match = match or p in profiles
        elif p in profiles:
            return False
    return bool(match or group_match or (not group and not positive))


def active(terms, profiles):
    plat = [t for t in terms if not isinstance(t, list) and t[1].startswith("platform:")]
    user = [t for t in terms if isinstance(t, list) or not t[1].startswith("platform:")]
    return evaluate(plat, profiles) is not False and evaluate(user, profiles) is not False


def main():
    rules = parse(open(sys.argv[1], encoding="utf-8").read())
    atoms = open(sys.argv[2]).read().split()
    profiles = set((sys.argv[3:] or ["default"]) + atoms)
    for name in sorted({n for n, terms in rules if active(terms, profiles)}):
        print(name)


main()
