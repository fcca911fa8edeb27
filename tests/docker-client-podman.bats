#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The Docker client (engine/docker.h) against Podman's Docker-compatible
# service (tests/lib/contract.bash; docker-client.bats: dockerd).

TEST_ENGINE=podman
load helpers
load lib/contract

setup_file() { client_setup_file; }

@test "podman: create, exec, read, commit, tag, wait, build, remove" { client_test_lifecycle; }
