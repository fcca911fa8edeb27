#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The Docker client (engine/docker.h) against Podman's Docker-compatible
# service (tests/lib/contract.bash; docker-client.bats: dockerd).

load helpers
load lib/contract

setup_file() { client_setup_file podman; }
teardown_file() { client_teardown_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "podman: create, exec, read, commit, tag, wait, build, remove" { client_test_lifecycle; }
