# SPDX-License-Identifier: Apache-2.0
# What pbr does with setup.cfg's [files], [entry_points] and [extras],
# for plain setuptools (pbr is not installable offline).  setuptools reads
# [metadata] itself.
import configparser

from setuptools import setup

cfg = configparser.ConfigParser()
cfg.read("setup.cfg")
setup(
    packages=cfg["files"]["packages"].split(),
    entry_points={k: v.strip().splitlines() for k, v in cfg["entry_points"].items()},
    extras_require={k: v.strip().splitlines() for k, v in cfg["extras"].items()},
)
