# SPDX-License-Identifier: Apache-2.0
# A private registry (Debian's docker-registry, distribution 2.8) on
# 127.0.0.1 for one bats file:
#
#   registry_start NAME [--tls] [--htpasswd USER PASSWORD]
#   registry_stop NAME
#
# NAME keys the instance, so a file may run several.  Each gets a port,
# its own storage, config and log in $BATS_FILE_TMPDIR/registry-NAME and
# exports REG_<NAME>=127.0.0.1:PORT (not REGISTRY_*:
# docker-registry reads those as configuration).  --tls serves HTTPS only, with a
# certificate for 127.0.0.1 signed by a CA made here with openssl
# (registry-NAME/ca.pem, and as registry-NAME/certs/ca.crt, a directory
# for buildah --cert-dir; registry-NAME/wrong-certs/ca.crt is another CA,
# which signed nothing of it); --htpasswd requires basic auth for USER
# (bcrypt, as the registry wants it, from htpasswd -B of apache2-utils).
#
# Helpers: registry_curl NAME ARGS... (the instance's scheme, CA and
# credentials), registry_blob_puts NAME (blob uploads finished so far, from
# its log), registry_blob_bytes NAME (bytes of blobs in its storage),
# registry_docker_config (a credentials file), registry_check_pushed
# (what a push of the test project's images must leave in the registry).
#
# The push test files (push*.bats) share more: the test project and its
# two cheap images (registry_project, registry_images_docker,
# registry_images_buildah, registry_tag_project), the first and second
# push's cost (registry_record_first, registry_check_no_resend), the
# partial push (registry_block_manifests, registry_check_partial) and
# registry_stop_all.  A file defines push_tag SRC DST (its engine's tag
# command) for registry_tag_project.

# registry_dir NAME
registry_dir() {
	printf '%s/registry-%s\n' "$BATS_FILE_TMPDIR" "$1"
}

registry_start() {
	local name=$1 tls=0 user="" pass="" dir port tlsconf="" authconf=""
	shift
	while [ "$#" -gt 0 ]; do
		case $1 in
		--tls) tls=1 ;;
		--htpasswd)
			user=$2 pass=$3
			shift 2
			;;
		esac
		shift
	done
	dir=$(registry_dir "$name")
	rm -rf "$dir"
	mkdir -p "$dir/storage"
	port=$(dockerd_free_port) || return 1
	if [ "$tls" -eq 1 ]; then
		(
			set -e
			cd "$dir"
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout ca-key.pem -out ca.pem -days 2 -subj /CN=pbrx-test-registry-ca
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout key.pem -out server.csr -subj /CN=127.0.0.1
			printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext.cnf
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
				-out cert.pem -days 2 -extfile ext.cnf
			mkdir certs wrong-certs
			cp ca.pem certs/ca.crt
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout wrong-certs/ca.key -out wrong-certs/ca.crt -days 2 \
				-subj /CN=pbrx-test-registry-ca
			rm wrong-certs/ca.key
			chmod -R a+rX certs wrong-certs
		) >"$dir/openssl.log" 2>&1 || {
			cat "$dir/openssl.log" >&2
			return 1
		}
		tlsconf="  tls:
    certificate: $dir/cert.pem
    key: $dir/key.pem"
	fi
	if [ -n "$user" ]; then
		htpasswd -bBc "$dir/htpasswd" "$user" "$pass" 2>/dev/null || return 1
		authconf="auth:
  htpasswd:
    realm: pbrx-test
    path: $dir/htpasswd"
	fi
	cat >"$dir/config.yml" <<CONF
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: pbrx-test-$RANDOM$RANDOM
$tlsconf
$authconf
CONF
	# Without REGISTRY_* variables (REGISTRY_AUTH_FILE, for one): the
	# registry takes them as configuration.  fd 3 closed: bats waits for
	# every process holding it.
	local -a unset=()
	local v
	for v in $(compgen -e REGISTRY_); do
		unset+=(-u "$v")
	done
	env "${unset[@]}" docker-registry serve "$dir/config.yml" </dev/null >"$dir/log" 2>&1 3>&- &
	echo "$!" >"$dir/pid"
	printf '%s\n' "$tls" >"$dir/tls"
	if [ -n "$user" ]; then
		printf '%s:%s\n' "$user" "$pass" >"$dir/userpass"
	fi
	printf -v "REG_${name^^}" '127.0.0.1:%s' "$port"
	export "REG_${name^^}"
	if ! await_service docker-registry "$(cat "$dir/pid")" "$dir/log" 10 /v2/ \
		registry_curl "$name" -o /dev/null /v2/; then
		registry_stop "$name"
		return 1
	fi
}

# registry_stop NAME: stop it by its pid (its storage goes with
# BATS_FILE_TMPDIR).
registry_stop() {
	local dir pid i
	dir=$(registry_dir "$1")
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || :
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || :
	fi
	rm -f "$dir/pid"
}

# registry_curl NAME [CURL ARGS...] PATH: curl -fsS of the registry's PATH
# (e.g. /v2/_catalog), with its scheme, CA and credentials.
registry_curl() {
	local name=$1 dir var addr scheme=http
	local -a args=(-fsS --max-time 20)
	shift
	dir=$(registry_dir "$name")
	var=REG_${name^^}
	addr=${!var}
	if [ "$(cat "$dir/tls")" = 1 ]; then
		scheme=https
		args+=(--cacert "$dir/ca.pem")
	fi
	if [ -f "$dir/userpass" ]; then
		args+=(-u "$(cat "$dir/userpass")")
	fi
	local path=${*: -1}
	curl "${args[@]}" "${@:1:$#-1}" "$scheme://$addr$path"
}

# registry_blob_puts NAME: how many blob uploads the registry finished (the
# PUT .../blobs/uploads/...?digest= that completes each one), from its log.
registry_blob_puts() {
	grep -c 'http.request.method=PUT .*http.request.uri="/v2/[^"]*/blobs/uploads/[^"]*digest=.*http.response.status=201' \
		"$(registry_dir "$1")/log" || :
}

# registry_blob_bytes NAME: bytes of the blobs in its storage.
registry_blob_bytes() {
	local dir
	dir=$(registry_dir "$1")/storage/docker/registry/v2/blobs
	if [ -d "$dir" ]; then
		du -sb "$dir" | cut -f1
	else
		echo 0
	fi
}

# registry_docker_config DIR USER PASS REGISTRY: a docker config.json in
# DIR with one entry.
registry_docker_config() {
	mkdir -p "$1"
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$4" "$(printf '%s:%s' "$2" "$3" | base64 -w0)" \
		>"$1/config.json"
}

# registry_check_pushed NAME ORG [TAG]: through the registry's API, both
# repositories are in the catalog, each has the tag, and its manifest is
# there with the digest the document says ($out, from run_split).
# shellcheck disable=SC2154 # out is set by run_split in the caller
registry_check_pushed() {
	local name=$1 org=$2 tag=${3:-1.0} var repo digest
	var=REG_${name^^}
	registry_curl "$name" /v2/_catalog | jq -e --arg o "$org" \
		'.repositories | index($o + "/proj-base") and index($o + "/proj-script")'
	for repo in "$org/proj-base" "$org/proj-script"; do
		[ "$(registry_curl "$name" "/v2/$repo/tags/list" | jq -c .tags)" = "[\"$tag\"]" ]
		digest=$(registry_curl "$name" -I \
			-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
			-H 'Accept: application/vnd.oci.image.manifest.v1+json' \
			"/v2/$repo/manifests/$tag" | tr -d '\r' |
			sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
		[ -n "$digest" ]
		[ "$(jq -r --arg r "${!var}/$repo:$tag" '.pushed[] | select(.ref == $r) | .digest' <<<"$out")" = "$digest" ]
	done
}

# registry_stop_all: every registry of the file stopped (after lifting the
# partial-push test's immutable directories, had one failed midway).
registry_stop_all() {
	local d
	for d in "$BATS_FILE_TMPDIR"/registry-*; do
		[ -d "$d" ] || continue
		find "$d/storage" -type d -name _manifests -exec chattr -i {} + 2>/dev/null || :
		registry_stop "${d##*/registry-}"
	done
}

# registry_project DIR: the test project, names only (image-plan needs no
# engine with --platform): proj-base and proj-script.
registry_project() {
	mkdir -p "$1"
	cat >"$1/setup.cfg" <<'CFG'
[metadata]
name = proj
version = 1.0

[entry_points]
console_scripts =
    proj-script = proj.cmd:main
CFG
}

# registry_images_docker CLI...: the test project's images made with a
# docker CLI (dockerd, or Podman's service): pbrx-push-test/proj-base:1.0,
# the base image plus a layer of 200 kB of noise, and
# pbrx-push-test/proj-script:1.0, one small layer more, whose CMD prints
# both files.  No network in the containers (Podman's default is a bridge).
registry_images_docker() {
	"$@" rm -f pbrx-push-c1 pbrx-push-c2 >/dev/null 2>&1 || :
	"$@" run --network none --name pbrx-push-c1 "$PBRX_BASE_IMAGE" \
		sh -c 'echo base >/pbrx-base; head -c 200000 /dev/urandom >/pbrx-noise' >/dev/null
	"$@" commit pbrx-push-c1 pbrx-push-test/proj-base:1.0 >/dev/null
	"$@" run --network none --name pbrx-push-c2 pbrx-push-test/proj-base:1.0 \
		sh -c 'echo script >/pbrx-script' >/dev/null
	"$@" commit --change 'CMD ["cat", "/pbrx-base", "/pbrx-script"]' pbrx-push-c2 \
		pbrx-push-test/proj-script:1.0 >/dev/null
	"$@" rm pbrx-push-c1 pbrx-push-c2 >/dev/null
}

# registry_images_buildah: the same images with buildah, as the build user
# (buildah_as of lib/buildah.bash).
registry_images_buildah() {
	local c
	c=$(buildah_as buildah from --pull=never "$PBRX_BASE_IMAGE")
	buildah_as buildah run "$c" -- sh -c 'echo base >/pbrx-base; head -c 200000 /dev/urandom >/pbrx-noise'
	buildah_as buildah commit -q "$c" pbrx-push-test/proj-base:1.0 >/dev/null
	buildah_as buildah rm "$c" >/dev/null
	c=$(buildah_as buildah from --pull=never pbrx-push-test/proj-base:1.0)
	buildah_as buildah run "$c" -- sh -c 'echo script >/pbrx-script'
	buildah_as buildah config --cmd '["cat", "/pbrx-base", "/pbrx-script"]' "$c"
	buildah_as buildah commit -q "$c" pbrx-push-test/proj-script:1.0 >/dev/null
	buildah_as buildah rm "$c" >/dev/null
}

# registry_tag_project REGISTRY ORG: the test images as
# REGISTRY/ORG/proj-*:1.0, with the file's push_tag.
registry_tag_project() {
	push_tag pbrx-push-test/proj-base:1.0 "$1/$2/proj-base:1.0"
	push_tag pbrx-push-test/proj-script:1.0 "$1/$2/proj-script:1.0"
}

# registry_record_first NAME LABEL: after the first push to registry NAME,
# keep its blob uploads and bytes for registry_check_no_resend, and say
# them (LABEL: the bats file) on fd 3.
registry_record_first() {
	registry_blob_bytes "$1" >"$BATS_FILE_TMPDIR/bytes-first-$1"
	registry_blob_puts "$1" >"$BATS_FILE_TMPDIR/puts-first-$1"
	echo "# $2: first push: $(cat "$BATS_FILE_TMPDIR/puts-first-$1") blob uploads, $(cat "$BATS_FILE_TMPDIR/bytes-first-$1") bytes stored" >&3
}

# registry_check_no_resend NAME LABEL: after a second push, no blob upload
# and no byte more than after the first.
registry_check_no_resend() {
	[ -f "$BATS_FILE_TMPDIR/bytes-first-$1" ]
	[ "$(registry_blob_puts "$1")" = "$(cat "$BATS_FILE_TMPDIR/puts-first-$1")" ]
	[ "$(registry_blob_bytes "$1")" = "$(cat "$BATS_FILE_TMPDIR/bytes-first-$1")" ]
	echo "# $2: second push: $(($(registry_blob_puts "$1") - $(cat "$BATS_FILE_TMPDIR/puts-first-$1"))) blob uploads, $(($(registry_blob_bytes "$1") - $(cat "$BATS_FILE_TMPDIR/bytes-first-$1"))) bytes stored" >&3
}

# registry_block_manifests NAME ORG: registry NAME can no longer write
# ORG/proj-script's manifests (chattr +i): its blobs upload, then the
# manifest, sent last and what makes the tag, fails.  Prints the
# directory, for chattr -i after.
registry_block_manifests() {
	local m
	m=$(registry_dir "$1")/storage/docker/registry/v2/repositories/$2/proj-script/_manifests
	mkdir -p "$m"
	chattr +i "$m"
	printf '%s\n' "$m"
}

# registry_check_partial NAME ORG: after a push that failed at
# ORG/proj-script's manifest: the base image is complete, the script
# image's blobs arrived, but it has neither tag nor manifest.
registry_check_partial() {
	local scheme=http
	[ "$(cat "$(registry_dir "$1")/tls")" = 1 ] && scheme=https
	[ "$(registry_curl "$1" "/v2/$2/proj-base/tags/list" | jq -c .tags)" = '["1.0"]' ]
	grep -q "http.request.method=PUT .*uri=\"/v2/$2/proj-script/blobs/uploads/.*digest=" \
		"$(registry_dir "$1")/log"
	refute registry_curl "$1" "/v2/$2/proj-script/tags/list" >/dev/null 2>&1
	[ "$(registry_curl "$1" -s -o /dev/null -w '%{http_code}' "/v2/$2/proj-script/manifests/1.0" || :)" = 404 ]
}

# registry_check_no_secret USER PASS TEXT: neither the password nor the
# base64 of USER:PASS in TEXT.
registry_check_no_secret() {
	local secret64
	secret64=$(printf '%s:%s' "$1" "$2" | base64 -w0)
	refute grep -q -e "$2" -e "$secret64" <<<"$3"
}

# registry_cred_helpers DIR REGISTRY USER PASS: fake docker credential
# helpers in DIR (for PATH): docker-credential-pbrxtest answers "get" for
# REGISTRY with USER and PASS and logs each server it is asked for in
# DIR/helper.log; for any other it has none ("credentials not found", exit
# 1, as the real ones say).  docker-credential-pbrxfail prints PASS on
# stdout and stderr and exits 1: neither may reach the user.
registry_cred_helpers() {
	mkdir -p "$1"
	cat >"$1/docker-credential-pbrxtest" <<HELPER
#!/bin/sh
[ "\$1" = get ] || exit 3
read -r server || :
printf '%s\n' "\$server" >>"$1/helper.log"
if [ "\$server" = "$2" ]; then
	printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "\$server" "$3" "$4"
else
	echo "credentials not found in native keychain"
	exit 1
fi
HELPER
	cat >"$1/docker-credential-pbrxfail" <<HELPER
#!/bin/sh
echo "failing, with $4 on stdout"
echo "failing, with $4 on stderr" >&2
exit 1
HELPER
	chmod 755 "$1/docker-credential-pbrxtest" "$1/docker-credential-pbrxfail"
}
