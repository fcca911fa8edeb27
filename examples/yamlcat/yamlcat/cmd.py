# SPDX-License-Identifier: Apache-2.0
"""The console scripts: yamlcat and yamlcat-lint."""
import sys

from yamlcat import __version__, _cyaml


def _read(argv):
    if len(argv) > 1 and argv[1] == "--version":
        print("%s %s (libyaml %s)" % (argv[0].rsplit("/", 1)[-1], __version__,
                                      _cyaml.version()))
        sys.exit(0)
    if len(argv) > 1:
        with open(argv[1], "rb") as f:
            return argv[1], f.read()
    return "<stdin>", sys.stdin.buffer.read()


def _events(name, data):
    try:
        return _cyaml.events(data)
    except ValueError as e:
        sys.exit("%s:%s" % (name, e))


def cat(argv=None):
    """yamlcat [--version] [FILE]: print the events, one a line."""
    import tinyansi  # the yamlcat_base extra: in every image

    name, data = _read(argv or sys.argv)
    for kind, value, _, _ in _events(name, data):
        line = kind if value is None else "%s :%s" % (kind, value)
        print(tinyansi.paint(line, "bold" if kind[0] != "=" else None))


def lint(argv=None):
    """yamlcat-lint [--version] [FILE]: report duplicate mapping keys."""
    import lint_rules  # the yamlcat_lint extra: only in the yamlcat-lint image

    name, data = _read(argv or sys.argv)
    problems = lint_rules.duplicate_keys(_events(name, data))
    for line, column, message in problems:
        print("%s:%d:%d: %s" % (name, line, column, message))
    sys.exit(1 if problems else 0)
