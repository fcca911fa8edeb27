#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check setup-cfg-expected.json against the wheels the projects put on
PyPI for the same versions: their console scripts (entry_points.txt)
and extras (Provides-Extra), names normalised.  Needs the package
index (pip download); not run by the tests.  A project that declares
scripts or extras in setup.py differs, and says so.

usage: setup-cfg-wheel-check.py   (from the repository's top)"""
import configparser
import email
import glob
import json
import re
import subprocess
import sys
import tempfile
import zipfile


def norm(n):
    return re.sub(r'[-_.]+', '-', n).lower()


def main():
    exp = json.load(open('tests/corpus/setup-cfg-expected.json'))
    same = 0
    with tempfile.TemporaryDirectory() as d:
        for f, e in sorted(exp.items()):
            name, ver = f[:-len('.cfg')].rsplit('-', 1)
            subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps',
                            '--only-binary', ':all:', '%s==%s' % (name, ver), '-d', d],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            whl = [w for w in glob.glob(d + '/*.whl')
                   if norm(w.rsplit('/', 1)[1].split('-')[0]) == norm(name)
                   and w.rsplit('/', 1)[1].split('-')[1] == ver][0]
            z = zipfile.ZipFile(whl)
            md = [n for n in z.namelist() if n.endswith('.dist-info/METADATA')][0]
            extras = sorted(norm(x) for x in
                            email.message_from_bytes(z.read(md)).get_all('Provides-Extra') or [])
            scripts = []
            ep = [n for n in z.namelist() if n.endswith('.dist-info/entry_points.txt')]
            if ep:
                c = configparser.ConfigParser()
                c.optionxform = str
                c.read_string(z.read(ep[0]).decode())
                if c.has_section('console_scripts'):
                    scripts = sorted(c['console_scripts'])
            want = (sorted(e['scripts']), sorted(norm(x) for x in e['extras']))
            if want == (scripts, extras):
                same += 1
                print(f, 'same as its wheel')
            else:
                print(f, 'differs: setup.cfg %s, wheel %s' % (want, (scripts, extras)))
    print('%d of %d as their wheels' % (same, len(exp)))


if __name__ == '__main__':
    main()
