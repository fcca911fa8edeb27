#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The end-to-end suite (lib/e2e.bash), one file for every engine: each
# tests/pbrx-build-images[-ENGINE].bats is a link to this file, and its
# name says the engine (none: docker).  bats finds @test blocks only in
# the file it runs, so the links, not copies, give each engine the list.

TEST_ENGINE=${BATS_TEST_FILENAME##*/}
TEST_ENGINE=${TEST_ENGINE%.bats}
TEST_ENGINE=${TEST_ENGINE#pbrx-build-images}
TEST_ENGINE=${TEST_ENGINE#-}
TEST_ENGINE=${TEST_ENGINE:-docker}
load helpers
load lib/e2e

@test "build: three images named after project and scripts; stdout is the document" { e2e_test_build; }
@test "run: each script image runs its script, with the C extension and libyaml" { e2e_test_run; }
@test "final images: runtime library, but no compiler, -dev package, cache, wheel or source" { e2e_test_final_images; }
@test "extras: yamlcat_base in every image, yamlcat_lint only in yamlcat-lint" { e2e_test_extras; }
@test "config: dumb-init entrypoint, each script's CMD, OCI labels, the base's ENV" { e2e_test_config; }
@test "layers: a script image without an extra adds no layer over the base; the Python layers named in the document and the history" { e2e_test_layers; }
@test "reproducible: the same commit with the final images' caches dropped (packages installed again) gives the same image IDs" { e2e_test_reproducible; }
@test "--output oci:DIR: one valid OCI layout of the three whole images, their IDs the engine build's, nothing tagged; it runs from an empty storage" { e2e_test_oci_output; }
@test "--output oci-archive:FILE: two builds, the same bytes; a normalised tar of a valid layout; a failed write leaves nothing" { e2e_test_oci_archive; }
@test "--runtime-packages auto: the packages that own the libraries the extensions need, asked of the builder" { e2e_test_runtime_auto; }
@test "cache: a source change rebuilds only the project's layer, a dependency change its own" { e2e_test_cache; }
@test "builder: the wheels built by nobody, who can write nothing of the builder, committed beside them" { e2e_test_builder_user; }
@test "source tree: byte for byte and owner for owner unchanged by the build" { e2e_test_source_tree; }
@test "--keep-documents: every stage's document, the last one the output" { e2e_test_keep_documents; }
@test "second build with --prefix and --tag (docker: over TLS): no dependency wheel built again" { e2e_test_second_build; }
@test "image-assemble: a failing pip step names image, step and command; nothing left; old tags kept" { e2e_test_assemble_failure; }
@test "image-assemble: SIGTERM during a step removes containers and temporary images" { e2e_test_assemble_sigterm; }
@test "image-assemble: script images side by side: one fails, the other is stopped; one message, nothing left" { e2e_test_assemble_parallel_failure; }
@test "paths with ':' and ' ': the project, the wheelhouse and find-links mounted all the same" { e2e_test_odd_paths; }
@test "pbrx-build-images: a failing pip step stops the run with the stage's status" { e2e_test_build_failure; }
@test "--plan-only: a plan, no build; without an engine, the host's platform" { e2e_test_plan_only; }
@test "Dockerfile.SCRIPT: built by the engine FROM this run's base, even with a prefix" { e2e_test_dockerfile; }
