# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# OCI image layouts (--output oci:DIR, oci-archive:FILE) checked the way
# a reader of the spec (image-layout.md, manifest.md) would, and proved
# complete by running an image from one in an empty storage.
#
#   load lib/oci
#   oci_layout_check DIR      # "REF CONFIG-DIGEST" per image, or fails
#   oci_layout_run DIR REF ARG...   # ARG... run in REF, from DIR alone

# oci_blob_check DIR DIGEST SIZE: the blob is there, its bytes hash to
# its name and number SIZE.
oci_blob_check() {
	local f=$1/blobs/sha256/${2#sha256:}
	if [ "${2%%:*}" != sha256 ] || [ ! -f "$f" ]; then
		echo "oci: $2: no such blob" >&2
		return 1
	fi
	if [ "sha256:$(sha256sum <"$f" | cut -d' ' -f1)" != "$2" ]; then
		echo "oci: $2: the blob's bytes have another digest" >&2
		return 1
	fi
	if [ "$(stat -c %s "$f")" != "$3" ]; then
		echo "oci: $2: $(stat -c %s "$f") bytes, the descriptor says $3" >&2
		return 1
	fi
}

# oci_layout_check DIR: oci-layout, then every manifest of index.json:
# its blob, its config's and its layers' (digest and size as their
# descriptors say), and each layer's diff ID (the SHA-256 of the tar,
# uncompressed) the config's rootfs.diff_ids in order.  Every blob is
# named by its digest.  Prints "REF CONFIG-DIGEST" per image.
oci_layout_check() {
	local dir=$1 m digest size ref manifest config cfg i n mt layer diff want f
	[ "$(jq -c . "$dir/oci-layout")" = '{"imageLayoutVersion":"1.0.0"}' ] ||
		{ echo "oci: $dir/oci-layout: not version 1.0.0" >&2; return 1; }
	[ "$(jq -r .schemaVersion "$dir/index.json")" = 2 ] ||
		{ echo "oci: index.json: schemaVersion is not 2" >&2; return 1; }
	for f in "$dir"/blobs/sha256/*; do
		[ "sha256:$(sha256sum <"$f" | cut -d' ' -f1)" = "sha256:${f##*/}" ] ||
			{ echo "oci: $f: not its digest" >&2; return 1; }
	done
	n=$(jq '.manifests | length' "$dir/index.json")
	[ "$n" -gt 0 ] || { echo "oci: index.json: no manifests" >&2; return 1; }
	for ((m = 0; m < n; m++)); do
		read -r mt digest size ref < <(jq -r --argjson m "$m" \
			'.manifests[$m] | "\(.mediaType) \(.digest) \(.size) \(.annotations["org.opencontainers.image.ref.name"] // "")"' \
			"$dir/index.json")
		if [ "$mt" != application/vnd.oci.image.manifest.v1+json ] || [ -z "$ref" ]; then
			echo "oci: manifest $m: $mt, ref name '$ref'" >&2
			return 1
		fi
		oci_blob_check "$dir" "$digest" "$size" || return 1
		manifest=$dir/blobs/sha256/${digest#sha256:}
		read -r mt config size < <(jq -r '.config | "\(.mediaType) \(.digest) \(.size)"' "$manifest")
		[ "$mt" = application/vnd.oci.image.config.v1+json ] ||
			{ echo "oci: $ref: config media type $mt" >&2; return 1; }
		oci_blob_check "$dir" "$config" "$size" || return 1
		cfg=$dir/blobs/sha256/${config#sha256:}
		[ "$(jq '.layers | length' "$manifest")" = "$(jq '.rootfs.diff_ids | length' "$cfg")" ] ||
			{ echo "oci: $ref: as many layers as diff IDs: no" >&2; return 1; }
		i=0
		while read -r mt layer size; do
			oci_blob_check "$dir" "$layer" "$size" || return 1
			f=$dir/blobs/sha256/${layer#sha256:}
			case $mt in
			application/vnd.oci.image.layer.v1.tar) diff=sha256:$(sha256sum <"$f" | cut -d' ' -f1) ;;
			application/vnd.oci.image.layer.v1.tar+gzip) diff=sha256:$(gzip -dc <"$f" | sha256sum | cut -d' ' -f1) ;;
			*) echo "oci: $ref: layer $i: media type $mt" >&2; return 1 ;;
			esac
			want=$(jq -r --argjson i "$i" '.rootfs.diff_ids[$i]' "$cfg")
			[ "$diff" = "$want" ] ||
				{ echo "oci: $ref: layer $i: diff ID $diff, the config says $want" >&2; return 1; }
			i=$((i + 1))
		done < <(jq -r '.layers[] | "\(.mediaType) \(.digest) \(.size)"' "$manifest")
		echo "$ref $config"
	done
}

# oci_layout_run DIR REF ARG...: copy image REF of layout DIR into an
# empty containers-storage of its own (vfs, under $TMP) and run ARG... in
# it with buildah: what runs came from the layout alone.  Its stdout and
# status are the command's.
oci_layout_run() {
	local dir=$1 ref=$2 st=$TMP/oci-storage c rc=0
	shift 2
	local -a s=(--root "$st/root" --runroot "$st/run" --storage-driver vfs)
	mkdir -p "$st"
	skopeo copy --quiet "oci:$dir:$ref" "containers-storage:[vfs@$st/root+$st/run]localhost/oci-check:latest" >&2 ||
		return 1
	c=$(env -u CONTAINERS_STORAGE_CONF buildah "${s[@]}" from --quiet --pull=never localhost/oci-check:latest) ||
		return 1
	env -u CONTAINERS_STORAGE_CONF buildah "${s[@]}" run --isolation chroot --no-hosts "$c" -- "$@" || rc=$?
	env -u CONTAINERS_STORAGE_CONF buildah "${s[@]}" rm "$c" >/dev/null
	env -u CONTAINERS_STORAGE_CONF buildah "${s[@]}" rmi --all --force >/dev/null 2>&1 || :
	return "$rc"
}
