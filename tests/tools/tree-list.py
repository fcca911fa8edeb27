#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""tree-list: entries of a root file system, one line each
"PATH<TAB>TYPE<TAB>MODE<TAB>CONTENT" (CONTENT: a file's sha256, a
symlink's target, "-" for a directory), sorted: what tests/wheel-install.bats
compares between pip's install and pbrx's layer.

usage: tree-list.py [--installer NAME] [--exclude PATH]... --base BASE ROOT
       tree-list.py [--installer NAME] --paths FILE ROOT

--base: the entries of ROOT that BASE lacks or has otherwise (type, mode,
link target, content; a file with BASE's size and mtime counts as
unchanged: the roots are copies made with their mtimes, and a file written
since has its own).  --paths: the entries FILE lists (`tar -t`).
--installer NAME: the one difference pbrx-wheel-install(7) allows.  Each
*.dist-info/INSTALLER must hold "NAME\\n"; it is listed as "installer",
and RECORD's row for it, which must hold NAME's hash and size, as
"installer" too.  Anything else stays as it is, and shows."""
import argparse
import base64
import hashlib
import os
import stat
import sys


def record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return "sha256=" + digest.decode().rstrip("=")


def content(path, rel, installer):
    with open(path, "rb") as f:
        data = f.read()
    parent, name = os.path.split(rel)
    if installer is not None and parent.endswith(".dist-info"):
        want = (installer + "\n").encode()
        if name == "INSTALLER" and data == want:
            return "installer"
        if name == "RECORD":
            row = "%s/INSTALLER,%s,%d\r\n" % (os.path.basename(parent), record_hash(want), len(want))
            mark = "%s/INSTALLER,installer\r\n" % os.path.basename(parent)
            data = data.replace(row.encode(), mark.encode())
    return hashlib.sha256(data).hexdigest()


def entry(root, rel, installer):
    path = os.path.join(root, rel)
    st = os.lstat(path)
    mode = "%04o" % stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return "%s\tl\t%s\t%s" % (rel, mode, os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return "%s\td\t%s\t-" % (rel, mode)
    if stat.S_ISREG(st.st_mode):
        return "%s\tf\t%s\t%s" % (rel, mode, content(path, rel, installer))
    return "%s\t?\t%s\t-" % (rel, mode)


def same(base, root, rel):
    a, b = os.path.join(base, rel), os.path.join(root, rel)
    try:
        sa = os.lstat(a)
    except FileNotFoundError:
        return False
    sb = os.lstat(b)
    if stat.S_IFMT(sa.st_mode) != stat.S_IFMT(sb.st_mode) or sa.st_mode != sb.st_mode:
        return False
    if stat.S_ISLNK(sb.st_mode):
        return os.readlink(a) == os.readlink(b)
    if stat.S_ISREG(sb.st_mode):
        return sa.st_size == sb.st_size and sa.st_mtime_ns == sb.st_mtime_ns
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--installer")
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("--base")
    ap.add_argument("--paths")
    ap.add_argument("root")
    args = ap.parse_args()
    rels = []
    if args.paths:
        with open(args.paths) as f:
            rels = [line.rstrip("\n").rstrip("/") for line in f if line.strip()]
        rels = [r[2:] if r.startswith("./") else r for r in rels]
    else:
        for top, dirs, files in os.walk(args.root):
            reltop = os.path.relpath(top, args.root)
            for name in sorted(dirs + files):
                rel = os.path.normpath(os.path.join(reltop, name))
                if rel in args.exclude or rel in ("proc", "sys", "dev"):
                    if name in dirs:
                        dirs.remove(name)
                    continue
                if not same(args.base, args.root, rel):
                    rels.append(rel)
    out = sorted(entry(args.root, rel, args.installer) for rel in rels)
    sys.stdout.write("".join(line + "\n" for line in out))


main()
