/* SPDX-License-Identifier: Apache-2.0 */
/* image-write: the test driver of image/layer, image/oci and
 * engine_image_load(); run by tests/image-write.bats.
 * usage: image-write ENGINE BASE_JSON NAME DIR
 * BASE_JSON is `docker image inspect BASE` (RootFS.Layers, Config,
 * Architecture) or `buildah inspect BASE` (OCIv1).  Writes in DIR a
 * one-file layer (/pbrx-hello.txt, "hello from pbrx") on the base, the
 * image's docker-archive (docker.tar), OCI layout (oci/) and oci-archive
 * (oci.tar), then loads the image into ENGINE as NAME.  Prints
 * "config DIGEST", "loaded ID" and "load_ms N"; a failure exits 1 with
 * its message.  The epoch is SOURCE_DATE_EPOCH, else 1700000000. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "engine/engine.h"
#include "image/layer.h"
#include "image/oci.h"

/* The engine's last failure, as the stages report one; exit 1. */
static _Noreturn void die_engine(const struct engine *eng)
{
	struct pbrx_error err = {0};

	engine_error_to(eng, &err);
	error_exit(&err);
}

static const char *const config_keys[] = {
	"Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels", NULL,
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct pbrx_error err = {0};
	const char *epoch_s = getenv("SOURCE_DATE_EPOCH");
	long long epoch = epoch_s ? atoll(epoch_s) : 1700000000LL;
	struct oci_layer ol = {0};
	struct oci_image_spec spec = {0};
	struct oci_image *img;
	struct layer *l;
	struct engine *e;
	json_t *base, *b, *cfg = json_object(), *bcfg, *ids;
	json_error_t jerr;
	char *tar, *gz, *path, *id;
	double t0;

	msg_init(argv[0]);
	if (argc != 5) {
		fprintf(stderr, "usage: image-write ENGINE BASE_JSON NAME DIR\n");
		return 2;
	}
	if (!(base = json_load_file(argv[2], 0, &jerr)))
		msg_die(EXIT_USAGE, "%s:%d: %s", argv[2], jerr.line, jerr.text);
	b = json_is_array(base) ? json_array_get(base, 0) : base;
	if (json_object_get(b, "OCIv1")) {
		json_t *oci = json_object_get(b, "OCIv1");
		ids = json_object_get(json_object_get(oci, "rootfs"), "diff_ids");
		bcfg = json_object_get(oci, "config");
		spec.architecture = json_string_value(json_object_get(oci, "architecture"));
	} else {
		ids = json_object_get(json_object_get(b, "RootFS"), "Layers");
		bcfg = json_object_get(b, "Config");
		spec.architecture = json_string_value(json_object_get(b, "Architecture"));
	}
	for (size_t i = 0; config_keys[i]; i++) {
		json_t *v = json_object_get(bcfg, config_keys[i]);
		if (v && !json_is_null(v))
			json_object_set(cfg, config_keys[i], v);
	}

	tar = xasprintf("%s/layer.tar", argv[4]);
	gz = xasprintf("%s/layer.tar.gz", argv[4]);
	l = layer_new(epoch);
	layer_add_file(l, "pbrx-hello.txt", 0644, "hello from pbrx\n", 16);
	if (layer_write(l, tar, gz, &ol.res, &err) < 0)
		error_exit(&err);
	layer_free(l);
	ol.tar_path = tar;
	ol.gz_path = gz;

	spec.epoch = epoch;
	spec.config = cfg;
	spec.base_diff_ids = ids;
	spec.created_by = "pbrx image-write test";
	spec.layers = &ol;
	spec.nlayers = 1;
	if (!(img = oci_image_new(&spec, &err)))
		error_exit(&err);
	printf("config %s\n", img->id);

	path = xasprintf("%s/docker.tar", argv[4]);
	if (oci_docker_archive(img, argv[3], path, NULL, &err) < 0)
		error_exit(&err);
	free(path);
	path = xasprintf("%s/oci", argv[4]);
	if (oci_layout_dir(img, "latest", path, &err) < 0)
		error_exit(&err);
	free(path);
	path = xasprintf("%s/oci.tar", argv[4]);
	if (oci_layout_archive(img, "latest", path, NULL, &err) < 0)
		error_exit(&err);
	free(path);

	if (!(e = engine_connect(argv[1], &err)))
		error_exit(&err);
	t0 = now_ms();
	if (!(id = engine_image_load(e, img, argv[3], true)))
		die_engine(e);
	printf("loaded %s\n", id);
	printf("load_ms %.0f\n", now_ms() - t0);
	free(id);
	engine_free(e);
	oci_image_free(img);
	json_decref(cfg);
	json_decref(base);
	free(tar);
	free(gz);
	return fflush(stdout) ? 1 : 0;
}
