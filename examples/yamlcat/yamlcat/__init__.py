# SPDX-License-Identifier: Apache-2.0
"""yamlcat: the event stream of a YAML document, through libyaml."""
__version__ = "1.0"
