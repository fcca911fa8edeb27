#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The reference for cfg-extras on real setup.cfg files: Python's own
configparser.ConfigParser (BasicInterpolation) plus pbr's rules (pbr 7
setupcfg.py: [entry_points], [extras] with the implicit "test" extra)
and setuptools' (84: [metadata], [options.entry_points],
[options.extras_require]), written from their sources.  Run once to
write tests/corpus/setup-cfg-expected.json; the tests compare cfg-extras
with that file and never run this.

usage: setup-cfg-reference.py FILE...      (JSON on stdout, keyed by file name)
A corpus file has no project tree around it: test-requirements.txt is
taken as absent."""
import configparser
import json
import os
import re
import sys


def split_multiline(value):                      # pbr
    return [e for e in (line.strip() for line in value.split('\n'))
            if e and not e.startswith('#')]


def parse_list(value, sep=','):                  # setuptools ConfigHandler._parse_list
    value = value.splitlines() if '\n' in value else value.split(sep)
    return [c.strip() for c in value if c.strip()]


PBR_REQ = re.compile(r'(?P<package>[^:]*):?(?P<env_marker>[^#]*?)(?:\s*#.*)?$')


def pbr_requirement(req):
    m = PBR_REQ.match(req)
    pkg, marker = m.group('package').strip(), m.group('env_marker')
    return '%s; %s' % (pkg, marker) if marker else pkg


def read(path):
    # Both parsers read the file and interpolate every value
    # (pbr: items() of each section; setuptools: get() of each option).
    pbr = configparser.ConfigParser()
    with open(path, encoding='utf-8') as f:
        pbr.read_file(f)
    st = configparser.ConfigParser()
    st.optionxform = str
    with open(path, encoding='utf-8') as f:
        st.read_file(f)
    cfg = {s: {k.replace('-', '_'): v for k, v in pbr.items(s)} for s in pbr.sections()}
    stv = {s: {o: st.get(s, o) for o in st.options(s)} for s in st.sections()}

    md = {}
    for k, v in stv.get('metadata', {}).items():
        md[k.replace('-', '_').lower()] = v
    name, version = md.get('name'), md.get('version')
    if version and (version.startswith('attr:') or version.startswith('file:')):
        version = None

    scripts = []
    for k, v in cfg.get('entry_points', {}).items():
        if k == 'console_scripts':
            scripts += split_multiline(v)
    for k, v in stv.get('options.entry_points', {}).items():
        if k == 'console_scripts':
            scripts += parse_list(v)
    names = [s.split('=', 1)[0].strip() for s in scripts]

    extras = {}
    if 'extras' in cfg:
        ex = dict(cfg['extras'])
        if 'test' not in ex:
            ex['test'] = ''               # no test-requirements.txt here
        for k, v in ex.items():
            reqs = [pbr_requirement(r) for r in split_multiline(v)]
            if reqs:                       # pbr leaves an empty extra out
                extras[k] = reqs
    for k, v in stv.get('options.extras_require', {}).items():
        if v.startswith('file:'):
            v = ''                         # no files around a corpus file
        extras[k] = [r for r in parse_list(v, ';') if not r.startswith('#')]
    return {'name': name, 'version': version, 'scripts': names, 'extras': extras}


def main():
    out = {}
    for path in sys.argv[1:]:
        try:
            out[os.path.basename(path)] = read(path)
        except (configparser.Error, UnicodeDecodeError) as e:
            out[os.path.basename(path)] = {'error': type(e).__name__}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == '__main__':
    main()
