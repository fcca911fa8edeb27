#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The engine contract (tests/lib/contract.bash) against buildah.

load helpers
load lib/contract

setup_file() { contract_setup_file buildah; }
teardown_file() { contract_teardown_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "engine contract: buildah" { contract_test; }
