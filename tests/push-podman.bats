#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pbrx-push-images with the docker engine through Podman's
# Docker-compatible API service (podman system service, DOCKER_HOST at
# its socket): the push suite of tests/lib/push.bash, plain HTTP and
# basic auth.

TEST_ENGINE=podman
load helpers
load lib/push

@test "podman, plain HTTP: base and script image pushed (tlsVerify=false on loopback), the document says what" { push_test_first; }
@test "podman, plain HTTP: a second push sends no blob again" { push_test_second; }
@test "podman, plain HTTP: removed here, pulled back through the service, the script image runs" { push_test_pull_back; }
@test "podman, basic auth: the credentials of DOCKER_CONFIG push; never printed, not in the service's log" { push_test_basic_auth; }
@test "podman, credential helpers: credsStore's credentials go in the header; a failing helper: one line" { push_test_creds_store; }
@test "podman, basic auth: a wrong password fails with exit 1 and one line, no secret in it" { push_test_wrong_password; }
@test "podman: a push failing partway leaves no tag for that image" { push_test_partial; }
