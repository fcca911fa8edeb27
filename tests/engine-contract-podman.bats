#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The engine contract (tests/lib/contract.bash) against podman.

TEST_ENGINE=podman
load helpers
load lib/contract

@test "engine contract: podman" { contract_test; }
