# SPDX-License-Identifier: Apache-2.0
"""ANSI styles, only when standard output is a terminal."""
import sys

_CODES = {"bold": "1"}


def paint(text, style=None):
    if style is None or not sys.stdout.isatty():
        return text
    return "\033[%sm%s\033[0m" % (_CODES[style], text)
