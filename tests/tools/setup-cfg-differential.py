#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Differential test of cfg-extras against Python's own configparser
(through setup-cfg-reference.py, pbr's and setuptools' rules on top), on
setup.cfg files generated from a seed: the corners real files rarely
show (indented keys, empty lines and comments inside values, ':' and
'=', [DEFAULT], %(name)s and stray '%', odd section headers, Unicode
white space, CR and CRLF line ends, case and '-' in keys).  Where one
rejects a file the other must too; where both read it they must agree
on name, version, scripts and extras.  cfg-extras may reject more only
for pbrx's own rules (names it will not use, duplicates).

usage: setup-cfg-differential.py CFG_EXTRAS CASES SEED
Prints one summary line; exits 1 on a disagreement (the first few are
shown) or when too few files were read by both (a generator gone
wrong would make the test vacuous)."""
import configparser
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

spec = importlib.util.spec_from_file_location(
    'ref', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'setup-cfg-reference.py'))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
CFG_EXTRAS = sys.argv[1]
WORK = tempfile.mkdtemp()
R = random.Random(int(sys.argv[3]))
SP = [' ', '  ', '\t', '    ', '\u00a0', '\u3000', '\x0c', '']
def ind(): return R.choice(SP) if R.random() < 0.4 else ''
def delim(): return R.choice(['=', ' = ', ':', ' : ', '= ', ' ='])
def ep():
    n = R.choice(['tool', 'tool-a', 'Tool.B', 'x_y', 'z'])
    ex = R.choice(['', '', ' [a]', ' [a, b]'])
    return '%s = mod.sub:main%s' % (n + str(R.randint(0, 5)), ex)
def value_lines():
    out = []
    for _ in range(R.randint(0, 4)):
        r = R.random()
        if r < 0.6: out.append(ind() + R.choice(['    ', '  ', '\t']) + ep())
        elif r < 0.75: out.append('')
        elif r < 0.85: out.append(R.choice(['  # c', '; c', '#c', '   ;x']))
        else: out.append(R.choice(SP) + 'req%d' % R.randint(0, 3))
    return out
def val():
    if R.random() < 0.05: return R.choice(['bad%', '%(nope)s', '%(p)', '%()s'])
    return R.choice(['', 'x', 'a%%b', '%(p)s-x', 'y; python_version>"3"', 'pkg:python_version>"3"', ep(), ep(), 'a,b', 'c;d', 'e # f'])
def gen():
    L = []
    if R.random() < 0.02: L.append('orphan = 1')
    secs = ['metadata', 'entry_points', 'options.entry_points', 'extras', 'options.extras_require', 'DEFAULT', 'flake8', 'files']
    R.shuffle(secs)
    for s in secs[:R.randint(1, 6)]:
        hdr = '[%s]' % s
        if R.random() < 0.02: hdr = R.choice(['[%s]x' % s, '[%s]]' % s, '[]', ' [%s]' % s, '[%s' % s])
        L.append(ind() + hdr)
        if s != 'DEFAULT' and R.random() < 0.8: L.append('p = proj')
        if s == 'metadata':
            L.append(ind() + R.choice(['name', 'Name', 'NAME']) + delim() + R.choice(['proj', '%(p)s', 'p-q']))
            if R.random() < 0.5: L.append(ind() + 'version' + delim() + R.choice(['1.0', 'attr: x.v', '%(p)s']))
        if s == 'DEFAULT':
            L.append(ind() + R.choice(['p', 'p', 'P']) + delim() + R.choice(['proj', 'x%%', '%(q)s', 'z']))
            if R.random() < 0.3: L.append('q' + delim() + '%(p)s')
        used = set()
        for _ in range(R.randint(0, 4)):
            k = R.choice(['console_scripts', 'console-scripts', 'Console_Scripts', 'gui_scripts', 'a', 'b', 'a-b', 'A', 'test', 'exclude'])
            if k.lower() in used and R.random() < 0.9: continue
            used.add(k.lower())
            L.append(ind() + k + delim() + val())
            L.extend(value_lines())
    nl = R.choice(['\n', '\n', '\r\n', '\r'])
    return nl.join(L) + R.choice([nl, ''])
def policy(msg, r):
    """Is msg, cfg-extras' error on a file the reference reads as r, one
    of pbrx's own rules on top of pbr's and setuptools'?"""
    names = r['scripts']
    if 'duplicate console script' in msg:
        return len(set(names)) < len(names)
    if 'duplicate extra' in msg:
        return True     # an extra in both [extras] and [options.extras_require]
    if 'console script' in msg:
        return True     # an entry pbrx cannot parse or will not name a file
    if 'not a valid extra name' in msg:
        import re
        return any(not re.fullmatch(r'[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?', k) for k in r['extras'])
    if 'not a valid project name' in msg or 'empty value' in msg or 'more than one line' in msg:
        return True
    if 'no name in [metadata]' in msg:
        return r['name'] is None
    return False


def run(text):
    d = tempfile.mkdtemp(dir=WORK)
    p = os.path.join(d, 'setup.cfg')
    open(p, 'w', encoding='utf-8', newline='').write(text)
    open(os.path.join(d, 'setup.py'), 'w').close()
    if R.random() < 0.5:
        # pbr's extra "test" (egg=NAME-X.Y.Z is left out: pbr's text for
        # it, NAME>=X.Y.Z, is not what cfg-extras writes)
        lines = [R.choice(['# c', '', '  # indented', 'pkg>=1', "pkg;python_version>'3'",
                           'stestr  # comment', '-e git+https://h/p#egg=eggname',
                           'git+https://h/p#subdirectory=s&egg=other&x=1', 'http://h/nofragment',
                           '-f https://h/links', '--index-url https://h/simple', '-i https://h/s',
                           'foo @ file:///x', '-r more.txt', 'hacking>=3.0,<3.1 # Apache-2.0'])
                 for _ in range(R.randint(0, 4))]
        open(os.path.join(d, 'test-requirements.txt'), 'w').write('\n'.join(lines) + '\n')
        open(os.path.join(d, 'more.txt'), 'w').write(R.choice(['', 'included>=2\n', '# only a comment\n']))
    try:
        r = ref.read(p); r = {k: r[k] for k in ('name', 'version', 'scripts', 'extras')}
    except (configparser.Error, UnicodeDecodeError) as e:
        r = 'error ' + type(e).__name__
    c = subprocess.run([CFG_EXTRAS, d], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if c.returncode == 0:
        j = json.loads(c.stdout)['project']
        g = {'name': j['name'], 'version': j.get('version'), 'scripts': [s['name'] for s in j['scripts']], 'extras': j['extras']}
    else:
        g = 'error ' + c.stderr.strip()
    shutil.rmtree(d)
    return r, g
n = int(sys.argv[2]); bad = 0; both_err = 0; pol = 0
for i in range(n):
    t = gen()
    r, g = run(t)
    if isinstance(r, str) and isinstance(g, str): both_err += 1; continue
    if r == g: continue
    if isinstance(g, str) and not isinstance(r, str) and policy(g, r):
        pol += 1; continue
    bad += 1
    if bad <= 8:
        print('=== MISMATCH'); print(repr(t)); print(' ref', r); print(' got', g)
shutil.rmtree(WORK)
both_read = n - bad - both_err - pol
print('%d files: %d read alike by both, %d rejected by both, %d rejected by pbrx rules only, %d disagreements'
      % (n, both_read, both_err, pol, bad))
sys.exit(1 if bad or both_read < n // 5 else 0)
