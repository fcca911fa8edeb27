#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Images whose layers pbrx writes itself: image/layer's tars
# (tests/tools/layer.c) checked with GNU tar and sha256sum, and images
# made with image/oci loaded into a private dockerd by engine_image_load()
# (tests/tools/image-write.c), their ID the config's digest.

load helpers
load lib/dockerd
load lib/buildah

setup_file() {
	LAYER=$(test_program tools/layer)
	IMAGE_WRITE=$(test_program tools/image-write)
	export LAYER IMAGE_WRITE
	dockerd_start
	dockerd_base_image
}

teardown_file() { dockerd_stop; }
setup() { common_setup; }
teardown() {
	if [ -n "${BUILDAH_RUN:-}" ]; then
		buildah_stop
	fi
	common_teardown
}

@test "unit: image/layer: sorted, 0:0, modes, clamped mtimes, same bytes twice" {
	run "$LAYER" "$TMP"
	echo "$output"
	[ "$status" = 0 ]
	read -r diff_id gz_digest <<<"$output"
	# the diff ID is the sha256 of the tar, the blob's of the gzip
	[ "$diff_id" = "sha256:$(sha256sum <"$TMP/t.tar" | cut -d' ' -f1)" ]
	[ "$gz_digest" = "sha256:$(sha256sum <"$TMP/t.tar.gz" | cut -d' ' -f1)" ]
	gzip -dc "$TMP/t.tar.gz" | cmp - "$TMP/t.tar"
	cmp "$TMP/t.tar" "$TMP/t2.tar"
	cmp "$TMP/t.tar.gz" "$TMP/t2.tar.gz"
	cmp "$TMP/m.tar" "$TMP/m2.tar"
	# GNU tar reads them, owners numeric 0, in byte order
	run tar --numeric-owner -tvf "$TMP/m.tar"
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "drwxr-xr-x 0/0               0 2023-11-14 22:13 etc/
-rw-r----- 0/0               4 2023-11-14 22:13 etc/conf
drwxr-xr-x 0/0               0 2023-11-14 22:13 usr/
drwxr-xr-x 0/0               0 2023-11-14 22:13 usr/bin/
lrwxrwxrwx 0/0               0 2023-11-14 22:13 usr/bin/alias -> tool
-rwxr-xr-x 0/0              10 2023-11-14 22:13 usr/bin/tool" ]
	tar -xOf "$TMP/m.tar" etc/conf | grep -qx new
	# no pax headers where ustar suffices
	refute grep -a -q 'PaxHeader' "$TMP/t.tar" "$TMP/m.tar"
}

# docker image inspect of the base, for the driver.
base_json() {
	"$DOCKER_CLI" image inspect "$PBRX_BASE_IMAGE" >"$TMP/base.json"
}

@test "image-write: docker load of a layer pbrx wrote: ID is the config digest, it runs" {
	base_json
	mkdir "$TMP/w"
	run "$IMAGE_WRITE" docker "$TMP/base.json" pbrx-test/written:1 "$TMP/w"
	echo "$output"
	[ "$status" = 0 ]
	config=$(sed -n 's/^config //p' <<<"$output")
	loaded=$(sed -n 's/^loaded //p' <<<"$output")
	[ -n "$config" ]
	[ "$config" = "$loaded" ]
	[ "$("$DOCKER_CLI" image inspect -f '{{.Id}}' pbrx-test/written:1)" = "$config" ]
	# the archive carries the config and the new layer only
	run tar -tf "$TMP/w/docker.tar"
	echo "$output"
	[ "$(grep -c 'layer.tar$' <<<"$output")" = 1 ]
	run "$DOCKER_CLI" run --rm --network none pbrx-test/written:1 cat /pbrx-hello.txt
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "hello from pbrx" ]
	# the base's layers and command are kept
	[ "$("$DOCKER_CLI" image inspect -f '{{len .RootFS.Layers}}' pbrx-test/written:1)" = \
	  "$(($("$DOCKER_CLI" image inspect -f '{{len .RootFS.Layers}}' "$PBRX_BASE_IMAGE") + 1))" ]
	[ "$("$DOCKER_CLI" image inspect -f '{{json .Config.Cmd}}' pbrx-test/written:1)" = \
	  "$("$DOCKER_CLI" image inspect -f '{{json .Config.Cmd}}' "$PBRX_BASE_IMAGE")" ]
}

@test "image-write: written twice from scratch, the same bytes and the same image ID" {
	base_json
	mkdir "$TMP/a" "$TMP/b"
	run "$IMAGE_WRITE" docker "$TMP/base.json" pbrx-test/again:1 "$TMP/a"
	echo "$output"
	[ "$status" = 0 ]
	first=$(sed -n 's/^loaded //p' <<<"$output")
	# test 2 may have loaded the same image under another name: all of it
	"$DOCKER_CLI" rmi -f "$first"
	refute "$DOCKER_CLI" image inspect "$first" >/dev/null 2>&1
	run "$IMAGE_WRITE" docker "$TMP/base.json" pbrx-test/again:1 "$TMP/b"
	echo "$output"
	[ "$status" = 0 ]
	second=$(sed -n 's/^loaded //p' <<<"$output")
	[ "$first" = "$second" ]
	cmp "$TMP/a/docker.tar" "$TMP/b/docker.tar"
	cmp "$TMP/a/oci.tar" "$TMP/b/oci.tar"
	cmp "$TMP/a/layer.tar.gz" "$TMP/b/layer.tar.gz"
}

@test "image-write: the OCI layout holds the new blobs only, base layers by diff ID" {
	base_json
	mkdir "$TMP/w"
	run "$IMAGE_WRITE" docker "$TMP/base.json" pbrx-test/layout:1 "$TMP/w"
	[ "$status" = 0 ]
	config=$(sed -n 's/^config //p' <<<"$output")
	oci=$TMP/w/oci
	[ "$(cat "$oci/oci-layout")" = '{"imageLayoutVersion":"1.0.0"}' ]
	manifest=$(jq -r '.manifests[0].digest' "$oci/index.json")
	[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$oci/index.json")" = latest ]
	m=$oci/blobs/sha256/${manifest#sha256:}
	[ "sha256:$(sha256sum <"$m" | cut -d' ' -f1)" = "$manifest" ]
	[ "$(jq -r .config.digest "$m")" = "$config" ]
	# every blob is named by its digest; config, one layer, manifest
	for f in "$oci"/blobs/sha256/*; do
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${f##*/}" ]
	done
	[ "$(find "$oci/blobs/sha256" -type f | wc -l)" = 3 ]
	# base layers: uncompressed, by diff ID; the new one gzip
	[ "$(jq -c '[.layers[:-1][] | .digest]' "$m")" = "$(jq -c '.[0].RootFS.Layers' "$TMP/base.json")" ]
	[ "$(jq -r '.layers[:-1][] | .mediaType' "$m" | sort -u)" = application/vnd.oci.image.layer.v1.tar ]
	[ "$(jq -r '.layers[-1].mediaType' "$m")" = application/vnd.oci.image.layer.v1.tar+gzip ]
	# the config's diff IDs: the base's and the new layer's
	c=$oci/blobs/sha256/${config#sha256:}
	[ "$(jq -c '.rootfs.diff_ids[:-1]' "$c")" = "$(jq -c '.[0].RootFS.Layers' "$TMP/base.json")" ]
	[ "$(jq -r '.rootfs.diff_ids[-1]' "$c")" = "sha256:$(sha256sum <"$TMP/w/layer.tar" | cut -d' ' -f1)" ]
	[ "$(jq -r .created "$c")" = 2023-11-14T22:13:20Z ]
	# the oci-archive is the same files
	mkdir "$TMP/x"
	tar -C "$TMP/x" -xf "$TMP/w/oci.tar"
	diff -r "$oci" "$TMP/x"
}

@test "image-write: buildah: the OCI layout copied into containers-storage, ID the config digest" {
	# buildah suites share /var/lib/containers and the base image's cache
	# (this file's own processes name this test, which says buildah)
	if pgrep -af 'bats.*(buildah|podman|rootless)' | grep -qv 'image-write\.bats'; then
		skip "a buildah, podman or rootless suite is running"
	fi
	PBRX_TEST_BUILDAH_RUN=${PBRX_TEST_RUN:-/run/pbrx-test}-buildah buildah_start
	buildah_base_image
	buildah_as buildah inspect --type image "$PBRX_BASE_IMAGE" >"$TMP/base.json"
	mkdir "$TMP/w"
	run buildah_as "$IMAGE_WRITE" buildah "$TMP/base.json" \
		localhost/pbrx-test/written:1 "$TMP/w"
	echo "$output"
	[ "$status" = 0 ]
	config=$(sed -n 's/^config //p' <<<"$output")
	[ "$config" = "$(sed -n 's/^loaded //p' <<<"$output")" ]
	[ "sha256:$(buildah_as buildah inspect --type image -f '{{.FromImageID}}' localhost/pbrx-test/written:1)" = "$config" ]
	ctr=$(buildah_as buildah from --pull=never localhost/pbrx-test/written:1)
	run buildah_as buildah run --isolation chroot "$ctr" cat /pbrx-hello.txt
	echo "$output"
	[ "$output" = "hello from pbrx" ]
}
