# SPDX-License-Identifier: Apache-2.0
"""pg-ping [--version] [DSN]: connect to a PostgreSQL server.

Prints the libpq version psycopg2 was built with and the one it loaded,
then tries DSN (default: libpq's own defaults, from PG* variables):
"pg-ping: connected" (exit 0), or "pg-ping: cannot connect: REASON"
(exit 1), libpq's own words.
"""
import sys

import psycopg2
import psycopg2.extensions


def _version(n):
    return "%d.%d" % (n // 10000, n % 10000)


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    print("pg-ping: psycopg2 %s, built with libpq %s, running libpq %s"
          % (psycopg2.__version__.split()[0], _version(psycopg2.__libpq_version__),
             _version(psycopg2.extensions.libpq_version())))
    if args[:1] == ["--version"]:
        return 0
    try:
        psycopg2.connect(args[0] if args else "", connect_timeout=5).close()
    except psycopg2.OperationalError as e:
        print("pg-ping: cannot connect: %s" % str(e).strip().splitlines()[0])
        return 1
    print("pg-ping: connected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
