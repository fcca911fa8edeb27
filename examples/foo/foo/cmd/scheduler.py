# SPDX-License-Identifier: Apache-2.0
"""foo-scheduler: the long-running service."""
import sys


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    print("foo-scheduler", *args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
