#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# pbrx-push-images and image-push with buildah as root (no daemon, a
# private containers-storage): the push suite of tests/lib/push.bash.

TEST_ENGINE=buildah
load helpers
load lib/push

@test "buildah, plain HTTP: pushed (loopback: --tls-verify=false), progress per image and layer" { push_test_first; }
@test "buildah, plain HTTP: a second push sends no blob again" { push_test_second; }
@test "buildah, plain HTTP: removed here, pulled back, the script image runs" { push_test_pull_back; }
@test "buildah, TLS: pushed over HTTPS (loopback, no certificates given: not verified, as dockerd)" { push_test_tls; }
@test "buildah, TLS: --cert-dir with the registry's CA verifies it; a wrong CA fails cleanly, nothing tagged" { push_test_cert_dir; }
@test "buildah, credential helpers: credsStore's credentials in a private authfile, gone after; a failing helper: one line" { push_test_creds_store; }
@test "buildah, basic auth: DOCKER_CONFIG's credentials (in a private authfile), or REGISTRY_AUTH_FILE; never printed" { push_test_basic_auth; }
@test "buildah, basic auth: a wrong password fails with exit 1 and one line, no secret" { push_test_wrong_password; }
@test "buildah: a missing image, an unreachable registry: exit 1, one line" { push_test_missing; push_test_unreachable; }
@test "buildah: a push failing partway leaves no tag for that image" { push_test_partial; }
