/* SPDX-License-Identifier: Apache-2.0 */
/* render: progress events shown to people, the one place that decides
 * how.  The events are what base/progress.h writes (pbrx-progress(7)):
 * a stage's steps starting, their output lines, their ends, cached
 * layers, messages, and the driver's stages.  progress-render(1) feeds
 * it every stage's events; a stage run alone feeds it its own.
 *
 *   tty    one live line per running step, a few dimmed lines of its
 *          output under it, folded to one line with its time when done
 *   plain  every output line prefixed "[IMAGE STEP] ", each step's start
 *          and end with its time, each stage's
 *   quiet  nothing but errors, warnings and the summary
 *
 * In every mode a failing step is shown with its argv and the last
 * RENDER_TAIL lines of its output.  Output is written to one descriptor,
 * one write(2) per call, so a redraw never tears. */
#ifndef PBRX_RENDER_H
#define PBRX_RENDER_H

#include <jansson.h>
#include <stdbool.h>

/* The lines of a failing step's output that are shown. */
#define RENDER_TAIL 100

enum render_mode { RENDER_TTY, RENDER_PLAIN, RENDER_QUIET };

struct render_opts {
	enum render_mode mode;
	int fd;          /* where it all goes (stderr) */
	bool color;      /* SGR attributes (dim, bold, red) */
	int verbosity;   /* -1 quiet, 0, 1 -v: the stages' info lines
	                  * are shown but in quiet mode, their notes
	                  * only with -v; with -v a terminal shows every
	                  * output line too */
	int width;       /* tty columns; 0: asked of fd, else 80 */
};

struct render;

/* A renderer; free with render_free(). */
struct render *render_new(const struct render_opts *o);
/* One event (borrowed), as pbrx-progress(7) defines them; an event of
 * an unknown kind is ignored, so old renderers read new stages. */
void render_event(struct render *r, const json_t *ev);
/* A line of text that is not an event (what a stage or a program it ran
 * wrote on stderr): shown as it is, in every mode. */
void render_text(struct render *r, const char *line, size_t len);
/* tty: redraw the running steps' times for now (seconds since the
 * epoch).  Nothing in the other modes. */
void render_tick(struct render *r, double now);
/* The summary of the run: doc's "images" (borrowed; NULL: none, then
 * only the time) with what the events said of their layers, the cache
 * hits, the total time and the critical path.  Not in machine output
 * (the caller's choice).  Returns those facts, the document's "summary"
 * section (pbrx-document(5)): new reference. */
json_t *render_summary(struct render *r, const json_t *doc);
/* The plan of doc (borrowed), for people: the project, the builder and
 * each image with its packages and extras, and what is known only once
 * the wheel is built.  Nothing without a plan. */
void render_plan(struct render *r, const json_t *doc);
/* Did a step or a stage fail? */
bool render_failed(const struct render *r);
/* Fold what is still running (the run ended) and free r; NULL is fine. */
void render_free(struct render *r);

/* "auto", "tty", "plain" or "quiet" into *m (auto: tty when isatty(fd),
 * else plain): 0, or -1 for another word. */
int render_mode_parse(const char *s, int fd, enum render_mode *m);
/* Colour: only on a terminal, and only when NO_COLOR is unset or empty
 * (no-color.org). */
bool render_color_wanted(int fd);

#endif
