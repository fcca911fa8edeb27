# SPDX-License-Identifier: Apache-2.0
# A project declared only in setup.py: no setup.cfg, no pyproject.toml.
# The extra "SPDemo" is the script "spdemo"'s once normalised (setuptools
# writes it "spdemo" in the wheel); "Setup_Py.Demo_base" is the base's.
from setuptools import setup

setup(
    name="Setup_Py.Demo",
    version="0.3",
    packages=["setup_py_demo"],
    entry_points={"console_scripts": ["spdemo = setup_py_demo.cli:main"]},
    extras_require={
        "Setup_Py.Demo_base": ["tinyansi"],
        "SPDemo": ["lint-rules"],
    },
)
