# SPDX-License-Identifier: Apache-2.0
"""foo: the pbrx documentation's example project."""
