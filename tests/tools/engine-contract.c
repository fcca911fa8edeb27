/* SPDX-License-Identifier: Apache-2.0 */
/* engine-contract: what every back end of engine.h must do, in the
 * order a stage does it; run by tests/lib/contract.bash against each
 * engine.  usage: engine-contract ENGINE IMAGE DIR TAG
 * DIR is bind-mounted read-only at /mnt/in; TAG names the commit.  One
 * line "ok: STEP" a step on stdout; the first failure exits 1 with the
 * engine's message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/msg.h"
#include "engine/engine.h"
#include "engine/janitor.h"

/* The engine's last failure, as the stages report one; exit 1. */
static _Noreturn void die_engine(const struct engine *eng)
{
	struct pbrx_error err = {0};

	engine_error_to(eng, &err);
	error_exit(&err);
}

static struct engine *e;

#define STEP(name, ok) do { if (!(ok)) die_engine(e); printf("ok: %s\n", name); } while (0)

static void capture(int stream, const char *data, size_t len, void *arg)
{
	struct buf *b = arg;

	buf_addf(b, "%d:%.*s", stream, (int)len, data);
}

/* Is container id in the engine's list?  By ID or by name: buildah's
 * create answers with the name. */
static int listed(const char *id)
{
	json_t *list = engine_container_list(e), *c;
	size_t i;
	int found = 0;

	if (!list)
		die_engine(e);
	json_array_foreach(list, i, c)
		found |= !strcmp(json_string_value(json_object_get(c, "id")), id) ||
		         !strcmp(json_string_value(json_object_get(c, "name")), id);
	json_decref(list);
	return found;
}

int main(int argc, char **argv)
{
	char *keep[] = ENGINE_KEEP_ALIVE;
	char *echo[] = {"/bin/sh", "-c", "cat /mnt/in/hello; echo err >&2; "
	                "echo scratch >/tmp/s; exit 3", NULL};
	char *changes[] = {"ENV CONTRACT=1", "LABEL \"pbrx.contract\"=\"yes\"",
	                   "CMD [\"/bin/true\"]", NULL};
	struct pbrx_error err = {0};
	struct buf out = {0};
	json_t *img;
	char *id, *iid, *tag2;
	int code = -1;

	msg_init("engine-contract");
	if (argc != 5) {
		fputs("usage: engine-contract ENGINE IMAGE DIR TAG\n", stderr);
		return EXIT_USAGE;
	}
	if (!(e = engine_connect(argv[1], &err)))
		error_exit(&err);
	printf("ok: open %s\n", engine_name(e));
	img = engine_image_inspect(e, argv[2]);
	STEP("image inspect", img && json_is_string(json_object_get(img, "Id")));
	json_decref(img);
	STEP("missing image", !engine_image_inspect(e, "pbrx-test/no-such:never") &&
	                      engine_missing(e));

	struct engine_mount m = {.source = argv[3], .target = "/mnt/in", .read_only = true};
	struct engine_container_spec spec = {.name = "contract", .image = argv[2], .cmd = keep,
	                                     .network_mode = "none", .mounts = &m, .nmounts = 1,
	                                     .tmpfs_tmp = true};
	id = engine_container_create(e, &spec);
	STEP("container create", id);
	STEP("container start", engine_container_start(e, id) == 0);
	struct engine_run_spec run = {.argv = echo, .output = capture, .arg = &out};
	STEP("run", engine_run(e, id, &run, &code) == 0);
	STEP("exit code", code == 3);
	/* buildah interleaves both streams on one: the text, not the
	 * stream numbers, is the contract. */
	STEP("output", out.p && strstr(out.p, "hello from the host") && strstr(out.p, "err"));
	janitor_sweep(e);
	STEP("sweep leaves a live container", listed(id));
	iid = engine_commit(e, id, argv[4], changes);
	STEP("commit", iid && !strncmp(iid, "sha256:", 7));
	img = engine_image_inspect(e, argv[4]);
	STEP("commit changes", img &&
	     !strcmp(json_string_value(json_object_get(json_object_get(json_object_get(img,
	             "Config"), "Labels"), "pbrx.contract")) ?: "", "yes"));
	json_decref(img);
	tag2 = malloc(strlen(argv[4]) + 8);
	sprintf(tag2, "%s-tagged", argv[4]);
	STEP("tag", engine_image_tag(e, iid, tag2) == 0);
	img = engine_image_inspect(e, tag2);
	STEP("tagged image is the commit", img &&
	     !strcmp(json_string_value(json_object_get(img, "Id")) ?: "", iid));
	json_decref(img);
	STEP("container remove", engine_container_remove(e, id) == 0);
	STEP("container gone", !listed(id));
	STEP("image remove", engine_image_remove(e, tag2, false) == 0 &&
	                     engine_image_remove(e, argv[4], true) == 0);
	free(tag2);
	free(iid);
	free(id);
	buf_free(&out);
	engine_free(e);
	return EXIT_OK;
}
