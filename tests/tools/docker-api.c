/* SPDX-License-Identifier: Apache-2.0 */
/* docker-api: drive the Docker API client (engine/docker.h) from tests (built by
 * make test-programs, not installed).
 *
 *   docker-api demux            frames on stdin -> payloads on stdout/stderr
 *   docker-api progress         JSON progress lines on stdin -> text, then
 *                               "error: ..." / "aux: ..." lines
 *   docker-api run IMAGE DIR    container life cycle against the engine:
 *                               one "key: value" line per result on stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/docker.h"
#include "base/msg.h"
#include "base/xalloc.h"

static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 0, n = 0, got;
	char *buf = NULL;

	do {
		xgrow((void **)&buf, &cap, n + 4096, 1);
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void to_fd(int stream, const char *data, size_t len, void *arg)
{
	(void)arg;
	fwrite(data, 1, len, stream == 2 ? stderr : stdout);
}

static int demux(void)
{
	struct docker_demux m = {0};
	size_t len;
	char *in = slurp(stdin, &len);
	/* Fed in 3-byte pieces: headers and payloads split anywhere, as
	 * curl's write callback may split them. */
	for (size_t i = 0; i < len; i += 3) {
		if (docker_demux_feed(&m, in + i, len - i < 3 ? len - i : 3, to_fd, NULL) < 0) {
			free(in);
			fprintf(stderr, "malformed\n");
			return 1;
		}
	}
	free(in);
	if (!docker_demux_complete(&m)) {
		fprintf(stderr, "incomplete\n");
		return 3;
	}
	return 0;
}

static int progress(void)
{
	struct docker_progress p = {0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int bad = 0;

	while ((n = getline(&line, &cap, stdin)) > 0)
		if (docker_progress_line(line, (size_t)n, stdout, &p) < 0)
			bad++;
	if (p.error)
		printf("error: %s\n", p.error);
	if (p.aux_id)
		printf("aux: %s\n", p.aux_id);
	printf("bad: %d\n", bad);
	free(p.error);
	free(p.aux_id);
	free(line);
	return 0;
}

struct capture {
	char out[256], err[256];
};

/* Each stream on its own: the daemon keeps no order between them. */
static void capture(int stream, const char *data, size_t len, void *arg)
{
	struct capture *c = arg;
	char *text = stream == 2 ? c->err : c->out;
	size_t have = strlen(text);

	snprintf(text + have, sizeof c->out - have, "%.*s", (int)len, data);
}

/* Die (EXIT_FAIL) with "docker: " and the message of the last failure. */
static void docker_die(const struct docker *d)
{
	msg_die(EXIT_FAIL, "docker: %s", docker_error(d));
}

#define CHECK(x) do { if (!(x)) docker_die(d); } while (0)

/* The life cycle wheel-build and image-assemble use. */
static int run(const char *image, const char *dir)
{
	struct docker *d = docker_new();
	static char *const sleep_cmd[] = {"sleep", "infinity", NULL};
	static char *const env[] = {"PBRX_TEST=yes", NULL};
	static char *const sh[] = {"sh", "-c", "echo out; echo err >&2; echo $PBRX_TEST; "
	                                       "test -d /tmp/ro && exit 3", NULL};
	static char *const write_ro[] = {"touch", "/tmp/ro/x", NULL};
	static char *const mkfile[] = {"sh", "-c", "echo hello >/etc/pbrx-test && "
	                                           "ln -s pbrx-test /etc/pbrx-link", NULL};
	static char *const changes[] = {"CMD [\"cat\", \"/etc/pbrx-test\"]", "LABEL pbrx.test=yes",
	                                "ENV PBRX_COMMITTED=1", NULL};
	struct docker_mount mounts[] = {{dir, "/tmp/ro", true}};
	struct docker_container_spec spec = {
		.name = "pbrx-api-test", .image = image, .cmd = sleep_cmd, .env = env,
		.workdir = "/tmp", .network_mode = "none", .mounts = mounts, .nmounts = 1,
		.tmpfs_tmp = true,
	};
	struct capture c = {0};
	struct engine_run_spec ex = {.argv = sh, .output = capture, .arg = &c};
	char *id, *img, *data, *built;
	size_t len;
	int code;
	long status;

	CHECK(docker_ping(d) == 0);
	printf("api: %s\n", docker_api_version(d));
	CHECK((id = docker_container_create(d, &spec)));
	CHECK(docker_container_start(d, id) == 0);
	CHECK(docker_exec(d, id, &ex, &code) == 0);
	printf("exec: %d\nexec-out: %sexec-err: %s", code, c.out, c.err);
	ex = (struct engine_run_spec){.argv = write_ro};
	CHECK(docker_exec(d, id, &ex, &code) == 0);
	printf("write-ro: %d\n", code);
	ex = (struct engine_run_spec){.argv = mkfile};
	CHECK(docker_exec(d, id, &ex, &code) == 0);
	CHECK(docker_container_read_file(d, id, "/etc/pbrx-link", &data, &len) == 0);
	printf("read: %zu %s", len, data);
	free(data);
	if (docker_container_read_file(d, id, "/nonexistent", &data, &len) < 0)
		printf("read-missing: %ld %s\n", docker_status(d), docker_error(d));
	CHECK((img = docker_commit(d, id, "pbrx-test/committed:one", changes)));
	printf("commit: %.7s\n", img);
	CHECK(docker_image_tag(d, img, "pbrx-test/committed:two") == 0);
	CHECK(docker_image_read_file(d, "pbrx-test/committed:two", "/etc/pbrx-test", NULL, &data,
	                             &len) == 0);
	printf("image-read: %s", data);
	free(data);
	CHECK(docker_container_remove(d, id) == 0);
	free(id);

	/* A container that runs its own command to the end. */
	spec = (struct docker_container_spec){.image = "pbrx-test/committed:one", .network_mode = "none"};
	CHECK((id = docker_container_create(d, &spec)));
	CHECK(docker_container_start(d, id) == 0);
	CHECK(docker_container_wait(d, id, &status) == 0);
	printf("wait: %ld\n", status);
	CHECK(docker_container_remove(d, id) == 0);
	free(id);

	CHECK((built = docker_build(d, dir, "Dockerfile", "pbrx-test/built:latest", "host", true)));
	printf("build: %s\n", strncmp(built, "sha256:", 7) ? "bad id" : "ok");
	free(built);
	if (!docker_build(d, dir, "Dockerfile.fail", "pbrx-test/fail:latest", NULL, true))
		printf("build-fail: %s\n", docker_error(d));
	if (!docker_container_create(d, &(struct docker_container_spec){
	            .name = "pbrx-missing", .image = "pbrx-test/no-such-image:1"}))
		printf("create-missing: %s\n", docker_error(d));

	CHECK(docker_image_remove(d, "pbrx-test/committed:two", false) == 0);
	CHECK(docker_image_remove(d, img, true) == 0);
	CHECK(docker_image_remove(d, "pbrx-test/built:latest", false) == 0);
	if (docker_image_remove(d, "pbrx-test/committed:one", false) < 0)
		printf("removed: %ld\n", docker_status(d));
	free(img);
	docker_free(d);
	return 0;
}

int main(int argc, char **argv)
{
	msg_init("docker-api");
	if (argc == 2 && !strcmp(argv[1], "demux"))
		return demux();
	if (argc == 2 && !strcmp(argv[1], "progress"))
		return progress();
	if (argc == 4 && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3]);
	fputs("usage: docker-api demux | progress | run IMAGE DIR\n", stderr);
	return 2;
}
