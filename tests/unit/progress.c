/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of base/progress: a step's output, in whatever pieces the
 * engine gives it, becomes one event per line as a terminal would show
 * it; text JSON cannot carry is made valid; every message is an event.
 * The events go to stderr (PBRX_PROGRESS=events), here a file read
 * back.  Prints each failed case; exits 1 when any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/msg.h"
#include "base/progress.h"

static int failed;

/* The events written since the last call: "KIND:VALUE" lines, VALUE the
 * event's line, text or status. */
static char *events(FILE *f, long *at)
{
	char line[8192];
	static char got[65536];

	got[0] = '\0';
	fflush(stderr);
	fseek(f, *at, SEEK_SET);
	while (fgets(line, sizeof line, f)) {
		json_t *ev = json_loads(line + (line[0] == 0x1e), 0, NULL);
		const char *e = json_string_value(json_object_get(ev, "e"));
		json_t *v = json_object_get(ev, !strcmp(e ? e : "", "out") ? "line"
		                                : !strcmp(e ? e : "", "msg") ? "text" : "status");
		char *s = json_dumps(v, JSON_ENCODE_ANY);

		if (line[0] != 0x1e || !ev)
			snprintf(got + strlen(got), sizeof got - strlen(got), "not an event: %s", line);
		else
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s:%s\n", e, s ? s : "-");
		free(s);
		json_decref(ev);
	}
	*at = ftell(f);
	return got;
}

static void expect(const char *got, const char *want, const char *what)
{
	if (strcmp(got, want) != 0) {
		printf("%s:\n%s\nexpected\n%s\n", what, got, want);
		failed = 1;
	}
}

int main(void)
{
	char path[] = "/tmp/pbrx-unit-progress.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fopen(path, "r");
	char *const argv[] = {"apt-get", "install", NULL};
	struct progress_step *s;
	long at = 0;
	char big[5000];

	if (fd < 0 || !f || dup2(fd, STDERR_FILENO) < 0)
		return 2;
	unlink(path);
	setenv("PBRX_PROGRESS", "events", 1);
	msg_init("unit");
	progress_init();

	s = progress_step_start("img", "packages", argv, NULL);
	progress_output(1, "Reading pack", 12, s);
	progress_output(2, "age lists...\nDone\r\n50%\r100%\nno end", 34, s);
	progress_step_end(s, 0);
	expect(events(f, &at),
	       "step:-\nout:\"Reading package lists...\"\nout:\"Done\"\nout:\"100%\"\n"
	       "out:\"no end\"\nend:0\n",
	       "lines across pieces, \\r\\n, a carriage return's overwritten text, the last "
	       "line without its end");

	s = progress_step_start("img", "packages", argv, NULL);
	progress_output(1, "caf\xc3\xa9 \xff\xfe ok\n", 12, s);
	progress_step_end(s, -1);
	expect(events(f, &at), "step:-\nout:\"caf\xc3\xa9 ?? ok\"\nend:null\n",
	       "invalid UTF-8 made '?'; an engine failure has no status");

	s = progress_step_start("img", "packages", argv, NULL);
	progress_step_end(s, PROGRESS_STOPPED);
	expect(events(f, &at), "step:-\nend:null\n", "a stopped step");

	/* A line of control characters, escaped six bytes each, still one
	 * event of at most PIPE_BUF bytes (step, out, end). */
	memset(big, '\001', sizeof big);
	s = progress_step_start("img", "x", argv, NULL);
	progress_output(1, big, sizeof big, s);
	progress_step_end(s, 3);
	fflush(stderr);
	{
		char line[16384];
		int n = 0, over = 0;

		fseek(f, at, SEEK_SET);
		while (fgets(line, sizeof line, f)) {
			n++;
			over |= strlen(line) > 4096;
		}
		at = ftell(f);
		if (over || n != 3) {
			printf("a line of control characters: %d events, %s\n", n,
			       over ? "one over 4096 bytes" : "each within 4096 bytes");
			failed = 1;
		}
	}

	/* An argv too long for one event is sent as its shown text, cut. */
	{
		char arg[3000], line[16384];
		char *const longv[] = {"python3", "-c", arg, NULL};
		json_t *ev;

		memset(arg, 'x', sizeof arg - 1);
		arg[sizeof arg - 1] = '\0';
		s = progress_step_start("img", "bytecode", longv, NULL);
		progress_step_end(s, 0);
		fflush(stderr);
		fseek(f, at, SEEK_SET);
		if (!fgets(line, sizeof line, f) || !(ev = json_loads(line + 1, 0, NULL))) {
			printf("a long argv: no event\n");
			failed = 1;
		} else {
			const char *shown = json_string_value(json_object_get(ev, "shown"));

			if (json_object_get(ev, "argv") || !shown || strncmp(shown, "python3 -c xxx", 14) ||
			    strlen(line) > 4096) {
				printf("a long argv: %.80s\n", line);
				failed = 1;
			}
			json_decref(ev);
		}
		while (fgets(line, sizeof line, f))
			;
		at = ftell(f);
	}

	msg_warn("careful");
	msg_info("info %d", 1);
	expect(events(f, &at), "msg:\"unit: warning: careful\"\nmsg:\"unit: info 1\"\n",
	       "messages are events");
	return failed;
}
