#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The engine contract (tests/lib/contract.bash) against docker.

TEST_ENGINE=docker
load helpers
load lib/contract

@test "engine contract: docker" { contract_test; }
