# SPDX-License-Identifier: Apache-2.0
"""foo-manage: administrative commands."""
import sys


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    print("foo-manage", *args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
