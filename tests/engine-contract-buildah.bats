#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The engine contract (tests/lib/contract.bash) against buildah.

TEST_ENGINE=buildah
load helpers
load lib/contract

@test "engine contract: buildah" { contract_test; }
