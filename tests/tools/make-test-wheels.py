#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make-test-wheels: wheels made by hand for tests/wheel-install.bats.

usage: make-test-wheels.py good DIR   the wheels pip and pbrx both install
       make-test-wheels.py bad DIR    wheels pbrx refuses, one a case

The good ones hold what built wheels rarely do: member modes without a
file type, of a FIFO, of a zip made on DOS, a symlink member; RECORD
paths that need quoting, non-ASCII names, a shipped .pyc, a .py that
doesn't compile, a path with "..", a row for a file that isn't there;
setuptools' wrappers in .data/scripts, "#!pythonw" with CRLF, a script
without a newline, .data/purelib, platlib, headers and data (man pages
through the image's /usr/local/man symlink, a .py); pip's and
easy_install's entry points, a name with a space, extras, console and
GUI scripts of one name; Crafted.A requires crafted-b, installed as a
dependency (no REQUESTED)."""
import base64
import hashlib
import os
import stat
import sys
import zipfile

DATE = (2023, 11, 14, 22, 13, 20)
REG, FIFO, LNK = stat.S_IFREG, stat.S_IFIFO, stat.S_IFLNK


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def csv_row(*fields):
    out = []
    for f in fields:
        if any(c in f for c in ',"\r\n'):
            f = '"' + f.replace('"', '""') + '"'
        out.append(f)
    return ",".join(out) + "\n"


def write(path, info_dir, members, extra_rows=(), record=None, skip_rows=()):
    """members: (name, bytes, mode, create_system); RECORD made from them
    unless record is given (False: no RECORD)."""
    rows = ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, mode, system in members:
            zi = zipfile.ZipInfo(name, DATE)
            zi.create_system = system
            zi.external_attr = mode << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
            if name not in skip_rows:
                rows += csv_row(name, record_hash(data), str(len(data)))
        rows += "".join(extra_rows)
        rows += csv_row(info_dir + "/RECORD", "", "")
        if record is False:
            return
        zi = zipfile.ZipInfo(info_dir + "/RECORD", DATE)
        zi.create_system = 3
        zi.external_attr = (REG | 0o644) << 16
        z.writestr(zi, record if record is not None else rows)


def text(s):
    return s.encode()


def dist_info(name, version, info_dir, purelib=True, requires=(), entry_points=None):
    md = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)
    md += "".join("Requires-Dist: %s\n" % r for r in requires)
    wheel = "Wheel-Version: 1.0\nGenerator: make-test-wheels\nRoot-Is-Purelib: %s\nTag: py3-none-any\n" % (
        "true" if purelib else "false")
    m = [(info_dir + "/METADATA", text(md), REG | 0o644, 3),
         (info_dir + "/WHEEL", text(wheel), REG | 0o644, 3)]
    if entry_points is not None:
        m.append((info_dir + "/entry_points.txt", text(entry_points), REG | 0o644, 3))
    return m


CLI = """import sys
def main():
    print('crafted', sys.argv)
def main2():
    return main()
def gui():
    return main()
main.sub = main
"""

ENTRY_POINTS = """# a comment before any section
ignored = before:section
[console_scripts]
crafted-a = crafted_a.cli:main
my tool = crafted_a.cli:main
crafted.plus+x = crafted_a.cli:main.sub
crafted-extras = crafted_a.cli:main [extra1, extra2]
pip = crafted_a.cli:main
pip3.8 = crafted_a.cli:main
easy_install = crafted_a.cli:main
easy_install-3.8 = crafted_a.cli:main
crafted-a = crafted_a.cli:main2

[gui_scripts]
crafted-gui = crafted_a.cli:gui
crafted-a = crafted_a.cli:gui

[other.group]
x = y:z
"""


def good(out):
    info = "Crafted.A-1.0.dist-info"
    data = "Crafted.A-1.0.data"
    pyc = b"\xa7\r\r\n\x03\x00\x00\x00" + b"\x00" * 8 + b"not really code"
    members = dist_info("Crafted.A", "1.0", info, requires=["crafted-b"],
                        entry_points=ENTRY_POINTS) + [
        (info + "/top_level.txt", b"crafted_a\n", REG | 0o644, 3),
        ("crafted_a/__init__.py", b"ROOT = 1\n", REG | 0o644, 3),
        ("crafted_a/cli.py", text(CLI), REG | 0o755, 3),
        ("crafted_a/annotated.py",
         b"from __future__ import annotations\nX = '{'\ndef f(a: dict[str, '}']) -> set[int]:\n    return {1}\n",
         REG | 0o644, 3),
        ("crafted_a/latin.py", "S = ['\u00d8', '\u00e9', '{', '}', '[', ']']\n".encode(), REG | 0o644, 3),
        ("crafted_a/broken.py", b"def (:\n", REG | 0o644, 3),
        ("crafted_a/shipped.py", b"SHIPPED = True\n", REG | 0o644, 3),
        ("crafted_a/__pycache__/shipped.cpython-311.pyc", pyc, REG | 0o644, 3),
        ("crafted_a/typeless.bin", b"typeless x bits\n", 0o755, 3),
        ("crafted_a/fifo.bin", b"fifo x bits\n", FIFO | 0o755, 3),
        ("crafted_a/dosmade.bin", b"made on DOS, Unix bits\n", REG | 0o755, 0),
        ("crafted_a/link", b"target/of/link", LNK | 0o777, 3),
        ('crafted_a/a,b "q".txt', b"quoted\n", REG | 0o644, 3),
        ("crafted_a/donn\u00e9es.txt", "\u00e9t\u00e9\n".encode(), REG | 0o644, 3),
        ("crafted_a/\u00fcber.py", b"U = 1\n", REG | 0o644, 3),
        ("crafted_a/sub/../moved.py", b"MOVED = 1\n", REG | 0o644, 3),
        ("crafted_a/empty.txt", b"", REG | 0o644, 3),
        ("crafted_a/dir/", b"", stat.S_IFDIR | 0o755, 3),
        (data + "/scripts/plain", b"#!python\nimport crafted_a\n", REG | 0o755, 3),
        (data + "/scripts/windowed", b"#!pythonw -u\r\nimport crafted_a\r\n", REG | 0o644, 3),
        (data + "/scripts/nonl.py", b"#!python", REG | 0o755, 3),
        (data + "/scripts/shell.sh", b"#!/bin/sh\necho hi\n", REG | 0o755, 3),
        (data + "/scripts/crafted-a-script.py", b"# setuptools' wrapper\n", REG | 0o755, 3),
        (data + "/scripts/crafted-gui.exe", b"MZ setuptools' launcher\n", REG | 0o755, 3),
        (data + "/scripts/sub/deep", b"#!python3.8\nprint('deep')\n", REG | 0o755, 3),
        (data + "/data/share/crafted/readme.txt", b"readme\n", REG | 0o644, 3),
        (data + "/data/share/crafted/tool.py", b"TOOL = 1\n", REG | 0o644, 3),
        (data + "/data/man/man1/crafted.1", b".TH CRAFTED 1\n", REG | 0o644, 3),
        (data + "/headers/crafted.h", b"#define CRAFTED 1\n", REG | 0o644, 3),
        (data + "/purelib/crafted_a_pure/__init__.py", b"PURE = 1\n", REG | 0o644, 3),
        (data + "/platlib/crafted_a_plat/__init__.py", b"PLAT = 1\n", REG | 0o644, 3),
        (data + "/purelib/crafted_a/__init__.py", b"DATA_WINS = 1\n", REG | 0o644, 3),
    ]
    ghost = csv_row("crafted_a/ghost.txt", record_hash(b"boo\n"), "4")
    write(os.path.join(out, "Crafted.A-1.0-py3-none-any.whl"), info, members,
          extra_rows=[ghost], skip_rows={"crafted_a/dir/"})
    info = "crafted_b-2.0.dist-info"
    members = dist_info("crafted-b", "2.0", info, purelib=False) + [
        ("crafted_b/__init__.py", b"B = 2\n", REG | 0o644, 3),
        ("crafted_b-2.0.data/purelib/crafted_b/pure.py", b"PURE = 2\n", REG | 0o644, 3),
    ]
    write(os.path.join(out, "crafted_b-2.0-py3-none-any.whl"), info, members)


def bad(out):
    def one(case, members, **kw):
        d = os.path.join(out, case)
        os.makedirs(d)
        info = [m[0] for m in members if m[0].endswith(".dist-info/WHEEL")]
        info_dir = info[0].split("/")[0] if info else "bad-1.0.dist-info"
        write(os.path.join(d, "bad-1.0-py3-none-any.whl"), info_dir, members, **kw)

    info = "bad-1.0.dist-info"
    base = dist_info("bad", "1.0", info)
    mod = ("bad/__init__.py", b"X = 1\n", REG | 0o644, 3)
    one("unlisted", base + [mod], skip_rows={mod[0]})
    # the hash of other bytes: rewrite RECORD by hand
    rows = "".join(csv_row(n, record_hash(d), str(len(d))) for n, d, _, _ in base)
    one("mismatch", base + [mod], record=rows + csv_row(mod[0], record_hash(b"Y = 2\n"), "6") +
        csv_row(info + "/RECORD", "", ""))
    one("size", base + [mod], record=rows + csv_row(mod[0], record_hash(mod[1]), "7") +
        csv_row(info + "/RECORD", "", ""))
    one("nohash", base + [mod], record=rows + csv_row(mod[0], "", "") +
        csv_row(info + "/RECORD", "", ""))
    one("md5", base + [mod], record=rows + csv_row(mod[0], "md5=" + base64.urlsafe_b64encode(
        hashlib.md5(mod[1]).digest()).decode().rstrip("="), "6") + csv_row(info + "/RECORD", "", ""))
    one("dotdot", base + [("bad/../../../../etc/evil", b"evil\n", REG | 0o644, 3)])
    one("absolute", base + [("/etc/evil", b"evil\n", REG | 0o644, 3)])
    one("datadotdot", base + [("bad-1.0.data/data/../../../../etc/evil", b"evil\n", REG | 0o644, 3)])
    one("datakey", base + [("bad-1.0.data/bin/tool", b"tool\n", REG | 0o755, 3)])
    one("twoinfo", base + dist_info("other", "1.0", "other-1.0.dist-info"))
    one("noinfo", [mod], record=False)
    one("callable", dist_info("bad", "1.0", info, entry_points="[console_scripts]\nbad = bad\n") + [mod])
    one("epline", dist_info("bad", "1.0", info, entry_points="[console_scripts]\nbad\n") + [mod])
    one("version", [(info + "/METADATA", b"Name: bad\nVersion: 1.0\n", REG | 0o644, 3),
                    (info + "/WHEEL", b"Wheel-Version: 2.0\nRoot-Is-Purelib: true\n", REG | 0o644, 3),
                    mod])
    one("norecord", base + [mod], record=False)
    one("emptyline", base + [mod], record=rows + "\n" + csv_row(mod[0], record_hash(mod[1]), "6"))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("good", "bad"):
        sys.exit("usage: make-test-wheels.py good|bad DIR")
    os.makedirs(sys.argv[2], exist_ok=True)
    (good if sys.argv[1] == "good" else bad)(sys.argv[2])


main()
