# SPDX-License-Identifier: Apache-2.0
# setup.cfg has everything but the C extension, which it can't declare.
from setuptools import Extension, setup
setup(ext_modules=[Extension("yamlcat._cyaml", ["yamlcat/_cyaml.c"], libraries=["yaml"])])
