#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The Docker client (engine/docker.h) against a private dockerd over TCP
# with TLS, and its stream parsers on their own (tests/lib/contract.bash;
# docker-client-podman.bats runs the same against Podman's service).

TEST_ENGINE=docker
load helpers
load lib/contract

setup_file() { client_setup_file; }

@test "docker client: frame demultiplexer" { client_test_demux; }
@test "docker client: JSON progress lines, errors inside a 200 answer" { client_test_progress; }
@test "docker client: create, exec, read, commit, tag, wait, build, remove" { client_test_lifecycle; }
