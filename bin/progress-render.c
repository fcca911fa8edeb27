/* SPDX-License-Identifier: Apache-2.0 */
/* progress-render: the one renderer of a run's progress.  Reads, on
 * stdin, what every stage of a pbrx-build-images run writes on stderr
 * with PBRX_PROGRESS=events: progress events as JSON text sequences
 * (RFC 7464: RS, a JSON object, LF) among lines of plain text, and shows
 * them on stderr as a terminal's live view, plain prefixed lines, or
 * only errors and the summary.  See progress-render(1) and
 * pbrx-progress(7); the rendering is base/render.h. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/msg.h"
#include "base/progress.h"
#include "base/render.h"
#include "base/stage.h"
#include "doc/doc.h"

/* How often a terminal's running times are redrawn. */
#define TICK_MS 200

static void usage(FILE *f)
{
	fputs("usage: progress-render [-hqv] [--version] [--progress MODE] [--width COLUMNS]\n", f);
}

/* The summary an event asks for ("summary": the run's, "plan": the
 * plan's): of the document at its path, or of none.  A run's summary
 * event may name an "output" too: the document is written there whole
 * with the summary's facts as its "summary" section, for the driver to
 * print; not written when the document can't be read or that fails, so
 * the driver prints nothing half-made. */
static void summary(struct render *r, const json_t *ev, bool plan)
{
	const char *path = json_string_value(json_object_get(ev, "document"));
	const char *output = json_string_value(json_object_get(ev, "output"));
	json_t *doc = NULL, *facts;

	if (path) {
		json_error_t je;

		doc = json_load_file(path, 0, &je);
		if (!doc)
			msg_warn("%s:%d:%d: %s", path, je.line, je.column, je.text);
	}
	if (plan) {
		render_plan(r, doc);
		json_decref(doc);
		return;
	}
	facts = render_summary(r, doc);
	if (output && json_is_object(doc)) {
		size_t len;
		char *text;

		doc_set(doc, "summary", facts);
		facts = NULL;
		text = doc_dump(doc, &len);
		text[len] = '\n';
		if (fs_write_whole(output, text, len + 1) < 0)
			msg_warn("%s: %s", output, strerror(errno));
		free(text);
	}
	json_decref(facts);
	json_decref(doc);
}

/* The "close" event came: the run is over. */
static bool closed;

/* One line of input (without its LF): text, then events, each starting
 * with RS (two writers' lines may have met on the pipe). */
static void line(struct render *r, const char *p, size_t len)
{
	const char *rs = memchr(p, 0x1e, len);
	size_t text = rs ? (size_t)(rs - p) : len;

	if (text)
		render_text(r, p, text);
	while (rs) {
		const char *start = rs + 1, *end = p + len;
		json_error_t je;
		json_t *ev;

		rs = memchr(start, 0x1e, (size_t)(end - start));
		ev = json_loadb(start, (size_t)((rs ? rs : end) - start), 0, &je);
		if (!json_is_object(ev)) {
			/* Not an event after all: shown as it came. */
			render_text(r, start, (size_t)((rs ? rs : end) - start));
		} else if (!strcmp(json_string_value(json_object_get(ev, "e")) ?: "", "summary")) {
			summary(r, ev, false);
		} else if (!strcmp(json_string_value(json_object_get(ev, "e")) ?: "", "plan")) {
			summary(r, ev, true);
		} else if (!strcmp(json_string_value(json_object_get(ev, "e")) ?: "", "close")) {
			closed = true;
		} else {
			render_event(r, ev);
		}
		json_decref(ev);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"progress", required_argument, NULL, 'G'},
		{"width", required_argument, NULL, 'W'},
		STAGE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct render_opts o = {.fd = STDERR_FILENO};
	const char *mode = getenv("PBRX_PROGRESS");
	struct buf in = {0};
	struct render *r;
	int ch;

	stage_init("progress-render", argv);
	while ((ch = getopt_long(argc, argv, STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		if (ch == 'G') {
			mode = optarg;
		} else if (ch == 'W') {
			o.width = atoi(optarg);
			if (o.width < 20) {
				msg_warn("--width %s: expected 20 columns or more", optarg);
				stage_usage_error(usage);
			}
		} else if (!stage_option(ch, usage)) {
			stage_usage_error(usage);
		}
	}
	if (optind < argc)
		stage_usage_error(usage);
	if (!mode || !*mode || !strcmp(mode, "events"))
		mode = "auto";
	if (render_mode_parse(mode, STDERR_FILENO, &o.mode) < 0) {
		msg_warn("unknown progress mode '%s' (auto, tty, plain or quiet)", mode);
		stage_usage_error(usage);
	}
	/* -q is quiet, whatever the mode: errors and the summary. */
	if (msg_verbosity() < 0)
		o.mode = RENDER_QUIET;
	o.color = render_color_wanted(STDERR_FILENO);
	o.verbosity = msg_verbosity();
	/* Its messages are its own, not events of a run. */
	msg_set_sink(NULL);
	/* ^C goes to the whole process group: the stages' last words (what
	 * they removed, the failure) still come through here, until they
	 * close the pipe. */
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	r = render_new(&o);

	for (;;) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		char chunk[65536];
		ssize_t n;
		char *nl;

		if (o.mode == RENDER_TTY) {
			int rc = poll(&p, 1, TICK_MS);

			if (rc < 0 && errno != EINTR)
				break;
			if (rc <= 0) {
				render_tick(r, progress_now());
				continue;
			}
		}
		n = read(STDIN_FILENO, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&in, chunk, (size_t)n);
		while (!closed && in.len && (nl = memchr(in.p, '\n', in.len))) {
			size_t len = (size_t)(nl - in.p);

			line(r, in.p, len);
			memmove(in.p, nl + 1, in.len - len - 1);
			in.len -= len + 1;
		}
		if (closed)
			break;
		if (o.mode == RENDER_TTY)
			render_tick(r, progress_now());
	}
	if (in.len && !closed)
		line(r, in.p, in.len);
	buf_free(&in);
	render_free(r);
	return EXIT_OK;
}
