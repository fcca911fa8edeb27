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
pbr's extra "test" comes from the sdist's test-requirements.txt, kept
beside a corpus file NAME.cfg as NAME.test-requirements.txt (beside a
file named setup.cfg: test-requirements.txt, else tools/test-requires)."""
import configparser
import json
import os
import re
import sys
from urllib.parse import urlparse


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


def egg_fragment(match):                         # pbr packaging.egg_fragment
    return re.sub(
        r'(?P<PackageName>[\w.-]+)-'
        r'(?P<GlobalVersion>'
        r'(?P<VersionTripple>'
        r'(?P<Major>0|[1-9][0-9]*)\.'
        r'(?P<Minor>0|[1-9][0-9]*)\.'
        r'(?P<Patch>0|[1-9][0-9]*)){1}'
        r'(?P<Tags>(?:\-'
        r'(?P<Prerelease>(?:(?=[0]{1}[0-9A-Za-z-]{0})(?:[0]{1})|'
        r'(?=[1-9]{1}[0-9]*[A-Za-z]{0})(?:[0-9]+)|'
        r'(?=[0-9]*[A-Za-z-]+[0-9A-Za-z-]*)(?:[0-9A-Za-z-]+)){1}'
        r'(?:\.(?=[0]{1}[0-9A-Za-z-]{0})(?:[0]{1})|'
        r'\.(?=[1-9]{1}[0-9]*[A-Za-z]{0})(?:[0-9]+)|'
        r'\.(?=[0-9]*[A-Za-z-]+[0-9A-Za-z-]*)'
        r'(?:[0-9A-Za-z-]+))*){1}){0,1}(?:\+'
        r'(?P<Meta>(?:[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))){0,1}))',
        r'\g<PackageName>>=\g<GlobalVersion>',
        match.groups()[-1],
    )


def parse_requirements(files, top):              # pbr packaging.parse_requirements
    existing = [f for f in files if os.path.exists(f)]
    lines = []
    for f in existing:
        with open(f) as fil:
            lines = fil.read().split('\n')
        break
    reqs = []
    for line in lines:
        if (not line.strip()) or line.startswith('#'):
            continue
        if re.match(r'^\s*(-i|--index-url|--extra-index-url|--find-links).*', line):
            continue
        if line.startswith('-r'):
            reqs += parse_requirements([os.path.join(top, line.partition(' ')[2])], top)
            continue
        if re.match(r'\s*-e\s+', line):
            line = re.match(r'\s*-e\s+(.*)$', line).group(1)
        egg = urlparse(line)
        if egg.scheme:
            line = re.sub(r'egg=([^&]+).*$', egg_fragment, egg.fragment)
        elif re.match(r'\s*-f\s+', line):
            line = None
        if line is not None:
            reqs.append(re.sub('#.*$', '', line))
    return reqs


def test_requirements(path):
    """The files pbr reads for the extra "test", for this file."""
    top = os.path.dirname(path)
    if os.path.basename(path) == 'setup.cfg':
        return [os.path.join(top, 'test-requirements.txt'),
                os.path.join(top, 'tools', 'test-requires')], top
    return [path[:-len('.cfg')] + '.test-requirements.txt'], top


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
            ex['test'] = '\n'.join(parse_requirements(*test_requirements(path))).replace(';', ':')
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
