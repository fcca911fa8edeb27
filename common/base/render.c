/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/quote.h"
#include "base/render.h"
#include "base/xalloc.h"

/* Output lines shown under a running step on a terminal. */
#define LIVE_TAIL 3

/* The last lines of a command's output, for its failure. */
struct ring {
	char *line[RENDER_TAIL];
	size_t start, n;
	size_t dropped;  /* lines before those kept */
};

/* The package managers whose chatter a log leaves out (chatter()). */
enum pkgtool { PKG_NONE, PKG_APT, PKG_APK };

/* A step of an image running (a run of commands with one step name). */
struct group {
	char *stage, *image, *step, *cmd;
	enum pkgtool pkg;  /* its current command's package manager */
	double t0;       /* the step's first command started */
	double tcmd;     /* its current command started */
	struct ring tail;
};

/* A finished step, for the critical path. */
struct done_step {
	char *stage, *image, *step;
	double secs;
};

/* A layer an event named: built in this run, or found cached. */
struct layer {
	char *image, *name;
	bool built, cached;
};

/* A stage of the driver. */
struct stage {
	char *name;
	double t0, t1;
	double exited;   /* the stage's own last word; 0: none */
	bool ended;
	int status;
};

/* An image's first and last event, for its time when the document has
 * none. */
struct image_time {
	char *image;
	double t0, t1;
};

struct render {
	struct render_opts o;
	struct buf out;          /* what the current call writes */
	int live;                /* lines of the live area on the screen */
	int erase;               /* those the current call writes over */
	double now;              /* the latest time an event or tick gave */
	double first;            /* the first event's time; 0: none yet */
	bool failed;
	struct group **groups;
	size_t ngroups, cgroups;
	struct done_step *done;
	size_t ndone, cdone;
	struct layer *layers;
	size_t nlayers, clayers;
	struct stage *stages;
	size_t nstages, cstages;
	struct image_time *times;
	size_t ntimes, ctimes;
	int wimage, wstep;       /* column widths seen so far */
};

/* ---- small helpers ---------------------------------------------------- */

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 8;
	return xrealloc(p, *cap * size);
}

static const char *str(const json_t *ev, const char *key)
{
	const char *s = json_string_value(json_object_get(ev, key));
	return s ? s : "";
}

static double num(const json_t *ev, const char *key)
{
	return json_number_value(json_object_get(ev, key));
}

/* "12.3 s"; minutes past a minute: "2 m 05 s". */
static void add_secs(struct buf *b, double s)
{
	if (s < 0)
		s = 0;
	if (s >= 60)
		buf_addf(b, "%d m %02d s", (int)s / 60, (int)s % 60);
	else
		buf_addf(b, "%.1f s", floor(s * 10) / 10);
}

static void sgr(struct render *r, const char *code)
{
	if (r->o.color)
		buf_addf(&r->out, "\033[%sm", code);
}

/* Text from a program, safe to show: escape sequences dropped, other
 * control characters (a lone \r's progress bars) made spaces. */
static char *clean(const char *s, size_t len)
{
	struct buf b = {0};

	buf_adds(&b, "");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 033) {
			/* CSI: ESC [ params final (0x40-0x7e); else ESC X. */
			if (i + 1 < len && s[i + 1] == '[') {
				for (i += 2; i < len && !((unsigned char)s[i] >= 0x40 &&
				                          (unsigned char)s[i] <= 0x7e); i++)
					;
			} else {
				i++;
			}
			continue;
		}
		buf_addc(&b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	return buf_take(&b);
}

/* Columns of UTF-8 text (one a code point, wide ones not told apart). */
static int columns(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* s cut to at most cols columns, "..." ending what was cut. */
static void add_cut(struct buf *b, const char *s, int cols)
{
	int n = 0;
	const char *p = s;

	if (cols <= 0)
		return;
	if (columns(s) <= cols) {
		buf_adds(b, s);
		return;
	}
	for (; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && ++n > cols - 3)
			break;
	}
	buf_add(b, s, (size_t)(p - s));
	buf_adds(b, cols >= 3 ? "..." : "");
}

/* s, then spaces to w columns. */
static void add_pad(struct buf *b, const char *s, int w)
{
	buf_adds(b, s);
	for (int n = columns(s); n < w; n++)
		buf_addc(b, ' ');
}

static int width(const struct render *r)
{
	struct winsize ws;

	if (r->o.width > 0)
		return r->o.width;
	if (ioctl(r->o.fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

static void ring_add(struct ring *t, const char *line)
{
	if (t->n == RENDER_TAIL) {
		free(t->line[t->start]);
		t->line[t->start] = xstrdup(line);
		t->start = (t->start + 1) % RENDER_TAIL;
		t->dropped++;
		return;
	}
	t->line[(t->start + t->n++) % RENDER_TAIL] = xstrdup(line);
}

static const char *ring_get(const struct ring *t, size_t i)
{
	return t->line[(t->start + i) % RENDER_TAIL];
}

static void ring_clear(struct ring *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->line[(t->start + i) % RENDER_TAIL]);
	*t = (struct ring){0};
}

/* ---- writing ---------------------------------------------------------- */

/* The live area drawn again below what this call printed, then all of it
 * in one write. */
static void draw_live(struct render *r);

static void begin(struct render *r)
{
	r->out.len = 0;
	buf_adds(&r->out, "");
	/* Up to the live area's first line: what is printed now goes over
	 * it, then the live area again below (flush()). */
	if (r->o.mode == RENDER_TTY && r->live > 0)
		buf_addf(&r->out, "\r\033[%dA", r->live);
	if (r->o.mode == RENDER_TTY) {
		r->erase = r->live;
		r->live = 0;
	}
}

/* A terminal's lines written over the old live area: each line's end
 * cleared, and the old lines left below cleared too.  Line by line,
 * never "erase below": a terminal may keep a screen cleared whole in
 * its scrollback (tmux's scroll-on-clear), and the live area would pile
 * up there. */
static void overwrite(struct render *r)
{
	struct buf b = {0};
	int lines = 0;

	buf_adds(&b, "");
	for (size_t i = 0; i < r->out.len; i++) {
		if (r->out.p[i] == '\n') {
			buf_adds(&b, "\033[K");
			lines++;
		}
		buf_addc(&b, r->out.p[i]);
	}
	if (lines < r->erase) {
		for (int i = lines; i < r->erase; i++)
			buf_adds(&b, "\033[K\n");
		buf_addf(&b, "\033[%dA", r->erase - lines);
	}
	r->erase = 0;
	buf_free(&r->out);
	r->out = b;
}

static void flush(struct render *r)
{
	size_t done = 0;

	if (r->o.mode == RENDER_TTY) {
		draw_live(r);
		overwrite(r);
	}
	while (done < r->out.len) {
		ssize_t w = write(r->o.fd, r->out.p + done, r->out.len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	r->out.len = 0;
}

static void seen(struct render *r, double t)
{
	if (t <= 0)
		return;
	if (!r->first || t < r->first)
		r->first = t;
	if (t > r->now)
		r->now = t;
}

/* "[IMAGE STEP] " for plain lines. */
static void plain_prefix(struct render *r, const char *image, const char *step)
{
	buf_addf(&r->out, "[%s%s%s] ", image, *step ? " " : "", step);
}

/* Is every step and output line shown as it comes?  In a log, and on a
 * terminal with -v. */
static bool all_lines(const struct render *r)
{
	return r->o.mode == RENDER_PLAIN || (r->o.mode == RENDER_TTY && r->o.verbosity > 0);
}

/* ---- groups: the running steps ---------------------------------------- */

static struct group *group_find(struct render *r, const char *image, size_t *at)
{
	for (size_t i = 0; i < r->ngroups; i++)
		if (!strcmp(r->groups[i]->image, image)) {
			if (at)
				*at = i;
			return r->groups[i];
		}
	return NULL;
}

static void group_free(struct group *g)
{
	if (!g)
		return;
	ring_clear(&g->tail);
	free(g->stage);
	free(g->image);
	free(g->step);
	free(g->cmd);
	free(g);
}

/* The step of g ended well at t: kept for the critical path, and on a
 * terminal its one line. */
static void group_fold(struct render *r, size_t at, double t)
{
	struct group *g = r->groups[at];
	double secs = t - g->t0;

	r->done = grow(r->done, &r->cdone, r->ndone, sizeof *r->done);
	r->done[r->ndone++] = (struct done_step){xstrdup(g->stage), xstrdup(g->image),
	                                         xstrdup(g->step), secs};
	if (r->o.mode == RENDER_TTY) {
		struct buf line = {0};

		add_pad(&line, g->image, r->wimage);
		buf_adds(&line, "  ");
		add_pad(&line, g->step, r->wstep);
		buf_adds(&line, "  ");
		add_secs(&line, secs);
		add_cut(&r->out, line.p, width(r) - 1);
		buf_addc(&r->out, '\n');
		buf_free(&line);
	}
	group_free(g);
	memmove(&r->groups[at], &r->groups[at + 1], (r->ngroups - at - 1) * sizeof *r->groups);
	r->ngroups--;
}

/* A command as a live line shows it: without a leading "env VAR=VALUE
 * ...", which says little and takes the room. */
static const char *short_cmd(const char *cmd)
{
	const char *p = cmd;

	if (strncmp(p, "env ", 4) != 0)
		return cmd;
	p += 4;
	for (;;) {
		size_t word = strcspn(p, " ");

		if (!p[word] || !memchr(p, '=', word) || *p == '\'')
			return p;
		p += word + 1;
	}
}

/* The package manager cmd (as short_cmd shows it) runs, if any. */
static enum pkgtool pkgtool_of(const char *cmd)
{
	size_t n = strcspn(cmd, " ");

	if ((n == 7 && !strncmp(cmd, "apt-get", n)) || (n == 3 && !strncmp(cmd, "apt", n)) ||
	    (n == 4 && !strncmp(cmd, "dpkg", n)))
		return PKG_APT;
	if (n == 3 && !strncmp(cmd, "apk", n))
		return PKG_APK;
	return PKG_NONE;
}

/* Is line a package manager's chatter: what it fetched, unpacked and set
 * up, package by package?  A log shows it only with -v; a failing step's
 * end shows it all the same, and every error and warning (apt's "E:",
 * "W:", "Err:", dpkg's, apk's "ERROR:") and what the packages' own
 * scripts say is always shown. */
static bool chatter(enum pkgtool pkg, const char *line)
{
	static const char *const apt[] = {
		"Get:", "Hit:", "Ign:", "Fetched ", "Reading package lists",
		"Building dependency tree", "Reading state information",
		"Selecting previously unselected package ", "(Reading database ",
		"Preparing to unpack ", "Unpacking ", "Setting up ", "Processing triggers for ",
		"The following NEW packages will be installed:",
		"The following additional packages will be installed:", "Suggested packages:",
		"Recommended packages:", "Need to get ", "After this operation, ",
		"debconf: delaying package configuration", "update-alternatives: using ",
		"All packages are up to date.", NULL,
	};
	static const char *const apk[] = {"fetch ", "Executing ", "OK: ", NULL};
	const char *const *known = pkg == PKG_APT ? apt : pkg == PKG_APK ? apk : NULL;
	unsigned long a, b;
	int used = 0;

	if (!known)
		return false;
	for (; *known; known++)
		if (!strncmp(line, *known, strlen(*known)))
			return true;
	if (pkg == PKG_APT) {
		/* "0 upgraded, 12 newly installed, 0 to remove and 0 not
		 * upgraded.", and the package lists under "The following...",
		 * indented by two spaces. */
		if (sscanf(line, "%lu upgraded, %lu newly installed,%n", &a, &b, &used) == 2 && used)
			return true;
		return !strncmp(line, "  ", 2) && line[2] != ' ' && line[2] != '\0';
	}
	/* apk: "(3/12) Installing libyaml (0.2.5-r2)" */
	return sscanf(line, "(%lu/%lu) %n", &a, &b, &used) == 2 && used &&
	       (!strncmp(line + used, "Installing ", 11) || !strncmp(line + used, "Upgrading ", 10));
}

static void draw_live(struct render *r)
{
	int w = width(r) - 1;

	for (size_t i = 0; i < r->ngroups; i++) {
		struct group *g = r->groups[i];
		struct buf line = {0}, t = {0};
		size_t from;

		add_pad(&line, g->image, r->wimage);
		buf_adds(&line, "  ");
		add_pad(&line, g->step, r->wstep);
		buf_adds(&line, "  ");
		add_secs(&t, r->now - g->t0);
		sgr(r, "1");
		add_cut(&r->out, line.p, w);
		sgr(r, "0");
		/* The command, cut to what is left before the time. */
		add_cut(&r->out, g->cmd ? short_cmd(g->cmd) : "", w - columns(line.p) - (int)t.len - 2);
		buf_addf(&r->out, "  %s\n", t.p);
		r->live++;
		from = g->tail.n > LIVE_TAIL ? g->tail.n - LIVE_TAIL : 0;
		for (size_t k = from; k < g->tail.n; k++) {
			sgr(r, "2");
			buf_adds(&r->out, "    ");
			add_cut(&r->out, ring_get(&g->tail, k), w - 4);
			sgr(r, "0");
			buf_addc(&r->out, '\n');
			r->live++;
		}
		buf_free(&line);
		buf_free(&t);
	}
	/* A stage with no step running says it is there. */
	for (size_t i = 0; i < r->nstages; i++) {
		struct stage *s = &r->stages[i];
		bool busy = false;
		struct buf t = {0};

		if (s->ended)
			continue;
		for (size_t k = 0; k < r->ngroups; k++)
			busy |= !strcmp(r->groups[k]->stage, s->name);
		if (busy)
			continue;
		add_secs(&t, r->now - s->t0);
		sgr(r, "2");
		add_cut(&r->out, s->name, w - (int)t.len - 2);
		buf_addf(&r->out, "  %s", t.p);
		sgr(r, "0");
		buf_addc(&r->out, '\n');
		r->live++;
		buf_free(&t);
	}
}

/* The failure of g's command: its argv and the last lines of its
 * output, in every mode. */
static void show_failure(struct render *r, struct group *g, int status, double t)
{
	struct buf secs = {0};

	add_secs(&secs, t - g->tcmd);
	sgr(r, "1;31");
	if (status < 0)
		buf_addf(&r->out, "%s: %s %s: the engine failed after %s\n", g->stage, g->image,
		         g->step, secs.p);
	else
		buf_addf(&r->out, "%s: %s %s failed (exit status %d) after %s\n", g->stage, g->image,
		         g->step, status, secs.p);
	sgr(r, "0");
	buf_addf(&r->out, "  argv: %s\n", g->cmd ? g->cmd : "");
	if (g->tail.n)
		buf_addf(&r->out, "  its output%s, %zu line%s:\n", g->tail.dropped ? " (the end)" : "",
		         g->tail.n, g->tail.n == 1 ? "" : "s");
	else
		buf_adds(&r->out, "  no output\n");
	for (size_t i = 0; i < g->tail.n; i++)
		buf_addf(&r->out, "  | %s\n", ring_get(&g->tail, i));
	buf_free(&secs);
}

/* ---- events ----------------------------------------------------------- */

static void on_step(struct render *r, const json_t *ev, double t)
{
	const char *image = str(ev, "image"), *step = str(ev, "step");
	json_t *argv = json_object_get(ev, "argv");
	struct group *g;
	size_t at;
	char *cmd;
	struct buf b = {0};

	/* The argv as a person would type it: quoted where needed; or
	 * what the stage says it is. */
	char **v = xcalloc(json_array_size(argv) + 1, sizeof *v);
	char *q;

	for (size_t i = 0, k = 0; i < json_array_size(argv); i++)
		if (json_is_string(json_array_get(argv, i)))
			v[k++] = (char *)json_string_value(json_array_get(argv, i));
	q = json_is_string(json_object_get(ev, "shown")) ? xstrdup(str(ev, "shown")) : quote_argv(v);
	free(v);
	buf_adds(&b, q);
	free(q);
	cmd = clean(b.p, b.len);
	buf_free(&b);
	if (columns(image) > r->wimage)
		r->wimage = columns(image) < 24 ? columns(image) : 24;
	if (columns(step) > r->wstep)
		r->wstep = columns(step) < 14 ? columns(step) : 14;

	g = group_find(r, image, &at);
	if (g && strcmp(g->step, step) != 0) {
		group_fold(r, at, t);
		g = NULL;
	}
	if (!g) {
		g = xcalloc(1, sizeof *g);
		g->stage = xstrdup(str(ev, "stage"));
		g->image = xstrdup(image);
		g->step = xstrdup(step);
		g->t0 = t;
		r->groups = grow(r->groups, &r->cgroups, r->ngroups, sizeof *r->groups);
		r->groups[r->ngroups++] = g;
	}
	free(g->cmd);
	g->cmd = cmd;
	g->pkg = pkgtool_of(short_cmd(cmd));
	g->tcmd = t;
	ring_clear(&g->tail);
	if (all_lines(r)) {
		plain_prefix(r, image, step);
		buf_addf(&r->out, "run: %s\n", cmd);
	}
}

static void on_out(struct render *r, const json_t *ev)
{
	const char *image = str(ev, "image"), *line = str(ev, "line");
	struct group *g = group_find(r, image, NULL);
	char *c = clean(line, strlen(line));

	if (g)
		ring_add(&g->tail, c);
	/* Kept for a failure, shown in a log but a package manager's
	 * chatter (-v: all of it). */
	if (all_lines(r) && (r->o.verbosity > 0 || !g || !chatter(g->pkg, c))) {
		plain_prefix(r, image, g ? g->step : str(ev, "step"));
		buf_addf(&r->out, "%s\n", c);
	}
	free(c);
}

static void on_end(struct render *r, const json_t *ev, double t)
{
	const char *image = str(ev, "image");
	json_t *st = json_object_get(ev, "status");
	int status = json_is_integer(st) ? (int)json_integer_value(st) : -1;
	size_t at;
	struct group *g = group_find(r, image, &at);

	if (!g)
		return;
	if (json_is_true(json_object_get(ev, "stopped"))) {
		/* Stopped by a signal, another's failure: not its own. */
		if (all_lines(r)) {
			plain_prefix(r, image, g->step);
			buf_adds(&r->out, "stopped after ");
			add_secs(&r->out, t - g->tcmd);
			buf_addc(&r->out, '\n');
		}
		group_free(g);
		memmove(&r->groups[at], &r->groups[at + 1], (r->ngroups - at - 1) * sizeof *r->groups);
		r->ngroups--;
		return;
	}
	if (status != 0) {
		r->failed = true;
		show_failure(r, g, status, t);
		/* Not folded as done: the failure said it all. */
		group_free(g);
		memmove(&r->groups[at], &r->groups[at + 1], (r->ngroups - at - 1) * sizeof *r->groups);
		r->ngroups--;
		return;
	}
	if (r->o.mode == RENDER_PLAIN) {
		plain_prefix(r, image, g->step);
		buf_adds(&r->out, "done in ");
		add_secs(&r->out, t - g->tcmd);
		buf_addc(&r->out, '\n');
	}
}

static struct layer *layer_find(struct render *r, const char *image, const char *name)
{
	for (size_t i = 0; i < r->nlayers; i++)
		if (!strcmp(r->layers[i].image, image) && !strcmp(r->layers[i].name, name))
			return &r->layers[i];
	r->layers = grow(r->layers, &r->clayers, r->nlayers, sizeof *r->layers);
	r->layers[r->nlayers] = (struct layer){xstrdup(image), xstrdup(name), false, false};
	return &r->layers[r->nlayers++];
}

/* A layer committed (cached false) or found in the cache. */
static void on_layer(struct render *r, const json_t *ev, double t)
{
	const char *image = str(ev, "image"), *name = str(ev, "step"), *ref = str(ev, "ref");
	bool cached = json_is_true(json_object_get(ev, "cached"));
	bool written = json_is_true(json_object_get(ev, "written"));
	struct layer *l = layer_find(r, image, *name ? name : ref);
	size_t at;
	struct group *g = group_find(r, image, &at);

	if (cached) {
		/* Built a moment ago by a stage beside this one, or found by
		 * it: said then. */
		bool again = l->built || l->cached;

		l->cached = true;
		if (again)
			return;
		if (r->o.mode == RENDER_TTY) {
			struct buf line = {0};

			add_pad(&line, image, r->wimage);
			buf_adds(&line, "  ");
			add_pad(&line, name, r->wstep);
			buf_adds(&line, "  cached");
			sgr(r, "2");
			add_cut(&r->out, line.p, width(r) - 1);
			sgr(r, "0");
			buf_addc(&r->out, '\n');
			buf_free(&line);
		} else if (r->o.mode == RENDER_PLAIN) {
			plain_prefix(r, image, name);
			buf_addf(&r->out, "cached %s\n", ref);
		}
		return;
	}
	l->built = true;
	if (r->o.mode == RENDER_PLAIN) {
		plain_prefix(r, image, name);
		buf_addf(&r->out, "%s %s\n", written ? "wrote" : "committed", ref);
	}
	if (g) {
		group_fold(r, at, t);
	} else if (written && r->o.mode == RENDER_TTY) {
		/* pbrx wrote it: no step ran, and this is its one line. */
		struct buf line = {0};

		add_pad(&line, image, r->wimage);
		buf_adds(&line, "  ");
		add_pad(&line, name, r->wstep);
		buf_adds(&line, "  written");
		add_cut(&r->out, line.p, width(r) - 1);
		buf_addc(&r->out, '\n');
		buf_free(&line);
	}
}

static void on_msg(struct render *r, const json_t *ev)
{
	const char *level = str(ev, "level"), *text = str(ev, "text");
	bool info = !strcmp(level, "info"), note = !strcmp(level, "note");

	if (note && r->o.verbosity < 1)
		return;
	if (info && r->o.mode == RENDER_QUIET && r->o.verbosity < 1)
		return;
	if (!strcmp(level, "error")) {
		sgr(r, "1;31");
		buf_adds(&r->out, text);
		sgr(r, "0");
		buf_addc(&r->out, '\n');
		r->failed = true;
		return;
	}
	if (!strcmp(level, "warn")) {
		sgr(r, "33");
		buf_adds(&r->out, text);
		sgr(r, "0");
		buf_addc(&r->out, '\n');
		return;
	}
	buf_addf(&r->out, "%s\n", text);
}

static struct stage *stage_find(struct render *r, const char *name)
{
	for (size_t i = r->nstages; i-- > 0;)
		if (!strcmp(r->stages[i].name, name))
			return &r->stages[i];
	return NULL;
}

/* A terminal's lines are columns: the image column made as wide as the
 * longest name of the plan in the document at path (a stage's input)
 * before any line is written, so that a line written early (a layer the
 * builder found cached) lines up with those of the images after it.  A
 * document without a plan (or none) says nothing. */
static void widen_for_plan(struct render *r, const char *path)
{
	json_t *doc = *path ? json_load_file(path, 0, NULL) : NULL;
	const json_t *images = json_object_get(json_object_get(doc, "plan"), "images"), *v;
	size_t i;

	json_array_foreach(images, i, v) {
		int w = columns(str(v, "name"));

		if (w > r->wimage)
			r->wimage = w < 24 ? w : 24;
	}
	json_decref(doc);
}

static void on_stage(struct render *r, const json_t *ev, double t)
{
	const char *name = str(ev, "stage"), *state = str(ev, "state");
	struct stage *s = stage_find(r, name);
	json_t *st = json_object_get(ev, "status");
	bool stopped;

	if (!strcmp(state, "start")) {
		if (r->o.mode == RENDER_TTY)
			widen_for_plan(r, str(ev, "document"));
		r->stages = grow(r->stages, &r->cstages, r->nstages, sizeof *r->stages);
		r->stages[r->nstages++] = (struct stage){.name = xstrdup(name), .t0 = t, .t1 = t};
		if (r->o.mode == RENDER_PLAIN)
			buf_addf(&r->out, "[%s] start\n", name);
		return;
	}
	if (!s || s->ended)
		return;
	s->ended = true;
	/* A driver that waits for two stages in turn hears of the second's
	 * end late: the stage's own exit event says when it was. */
	s->t1 = s->exited > s->t0 && s->exited < t ? s->exited : t;
	s->status = json_is_integer(st) ? (int)json_integer_value(st) : 0;
	stopped = json_is_true(json_object_get(ev, "stopped"));
	/* Whatever of the stage still runs ended with it. */
	for (size_t i = r->ngroups; i-- > 0;)
		if (!strcmp(r->groups[i]->stage, name))
			group_fold(r, i, t);
	if (s->status != 0 && stopped) {
		/* The driver stopped it: another stage failed. */
		if (r->o.mode != RENDER_PLAIN)
			return;
		buf_addf(&r->out, "[%s] stopped after ", name);
	} else if (s->status != 0) {
		r->failed = true;
		if (r->o.mode != RENDER_PLAIN)
			return;
		buf_addf(&r->out, "[%s] failed (exit status %d) after ", name, s->status);
	} else if (r->o.mode == RENDER_PLAIN) {
		buf_addf(&r->out, "[%s] done in ", name);
	} else {
		return;
	}
	add_secs(&r->out, s->t1 - s->t0);
	buf_addc(&r->out, '\n');
}

/* A stage's process ends. */
static void on_exit_event(struct render *r, const json_t *ev, double t)
{
	struct stage *s = stage_find(r, str(ev, "stage"));

	if (s && !s->ended)
		s->exited = t;
}

/* Note when each image was busy. */
static void image_seen(struct render *r, const char *image, double t)
{
	if (!*image)
		return;
	for (size_t i = 0; i < r->ntimes; i++)
		if (!strcmp(r->times[i].image, image)) {
			r->times[i].t1 = t;
			return;
		}
	r->times = grow(r->times, &r->ctimes, r->ntimes, sizeof *r->times);
	r->times[r->ntimes++] = (struct image_time){xstrdup(image), t, t};
}

void render_event(struct render *r, const json_t *ev)
{
	const char *e = str(ev, "e");
	double t = num(ev, "t");

	if (t <= 0)
		t = r->now;
	seen(r, t);
	begin(r);
	if (!strcmp(e, "step"))
		on_step(r, ev, t);
	else if (!strcmp(e, "out"))
		on_out(r, ev);
	else if (!strcmp(e, "end"))
		on_end(r, ev, t);
	else if (!strcmp(e, "layer"))
		on_layer(r, ev, t);
	else if (!strcmp(e, "msg"))
		on_msg(r, ev);
	else if (!strcmp(e, "stage"))
		on_stage(r, ev, t);
	else if (!strcmp(e, "exit"))
		on_exit_event(r, ev, t);
	if (!strcmp(e, "step") || !strcmp(e, "end") || !strcmp(e, "layer"))
		image_seen(r, str(ev, "image"), t);
	flush(r);
}

void render_text(struct render *r, const char *line, size_t len)
{
	begin(r);
	buf_add(&r->out, line, len);
	buf_addc(&r->out, '\n');
	flush(r);
}

void render_tick(struct render *r, double now)
{
	if (r->o.mode != RENDER_TTY || (!r->ngroups && !r->nstages))
		return;
	if (now > r->now)
		r->now = now;
	begin(r);
	flush(r);
}

bool render_failed(const struct render *r)
{
	return r->failed;
}

/* ---- the summary ------------------------------------------------------ */

/* The stages the run waited on: from the one that ended last, back
 * through the one that ended last before each started (of two side by
 * side, the slower).  Marks them in on. */
static void critical_path(const struct render *r, bool *on)
{
	const struct stage *cur = NULL;

	for (size_t i = 0; i < r->nstages; i++)
		if (r->stages[i].ended && (!cur || r->stages[i].t1 >= cur->t1))
			cur = &r->stages[i];
	while (cur) {
		const struct stage *prev = NULL;

		on[cur - r->stages] = true;
		for (size_t i = 0; i < r->nstages; i++) {
			const struct stage *s = &r->stages[i];

			if (s->ended && !on[i] && s->t1 <= cur->t0 + 0.05 &&
			    (!prev || s->t1 > prev->t1))
				prev = s;
		}
		cur = prev;
	}
}

/* One line of a summary, cut to a terminal's width; line is emptied. */
static void summary_line(struct render *r, struct buf *line)
{
	add_cut(&r->out, line->p ? line->p : "", r->o.mode == RENDER_TTY ? width(r) - 1
	                                                                  : (int)line->len);
	buf_addc(&r->out, '\n');
	line->len = 0;
}

/* Seconds as the summary shows them: to a tenth, down, as add_secs. */
static double tenths(double s)
{
	return s < 0 ? 0 : floor(s * 10) / 10;
}

/* The facts the summary shows, as the document's "summary" section
 * (pbrx-document(5)), once what still ran is folded (the caller's). */
static json_t *summary_facts(const struct render *r, const json_t *doc)
{
	const json_t *images = json_object_get(doc, "images");
	json_t *facts = json_object(), *rows = json_array(), *hits = json_array();
	json_t *path = json_array(), *cache, *v;
	bool *on = xcalloc(r->nstages + 1, sizeof *on);
	const struct done_step *longest = NULL;
	size_t i;

	json_object_set_new(facts, "seconds", json_real(tenths(r->first ? r->now - r->first : 0)));
	json_array_foreach(images, i, v) {
		const char *name = str(v, "name");
		json_t *secs = json_object_get(v, "seconds");
		unsigned built = 0, reused = 0;
		double t = 0;

		/* What the events said: a layer --prepare built is new,
		 * though image-assemble found it in the cache. */
		for (size_t k = 0; k < r->nlayers; k++) {
			if (strcmp(r->layers[k].image, name))
				continue;
			built += r->layers[k].built;
			reused += !r->layers[k].built && r->layers[k].cached;
		}
		if (json_is_number(secs)) {
			t = json_number_value(secs);
		} else {
			for (size_t k = 0; k < r->ntimes; k++)
				if (!strcmp(r->times[k].image, name))
					t = r->times[k].t1 - r->times[k].t0;
		}
		json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:f}", "ref", str(v, "ref"),
		                                      "new", (json_int_t)built, "reused",
		                                      (json_int_t)reused, "seconds", tenths(t)));
	}
	json_object_set_new(facts, "images", rows);
	for (i = 0; i < r->nlayers; i++)
		if (r->layers[i].cached && !r->layers[i].built)
			json_array_append_new(hits, json_pack("{s:s, s:s}", "image", r->layers[i].image,
			                                      "layer", r->layers[i].name));
	cache = json_pack("{s:I, s:I, s:o}", "layers", (json_int_t)r->nlayers, "reused",
	                  (json_int_t)json_array_size(hits), "hits", hits);
	json_object_set_new(facts, "cache", cache);
	critical_path(r, on);
	for (i = 0; i < r->nstages; i++)
		if (on[i])
			json_array_append_new(path, json_pack("{s:s, s:f}", "stage", r->stages[i].name,
			                                      "seconds",
			                                      tenths(r->stages[i].t1 - r->stages[i].t0)));
	json_object_set_new(facts, "critical_path", path);
	for (i = 0; i < r->ndone; i++) {
		bool on_path = !r->nstages;

		for (size_t k = 0; k < r->nstages; k++)
			on_path |= on[k] && !strcmp(r->stages[k].name, r->done[i].stage);
		if (on_path && (!longest || r->done[i].secs > longest->secs))
			longest = &r->done[i];
	}
	json_object_set_new(facts, "waited_longest_on",
	                    longest ? json_pack("{s:s, s:s, s:s, s:f}", "stage", longest->stage,
	                                        "image", longest->image, "step", longest->step,
	                                        "seconds", tenths(longest->secs))
	                            : json_null());
	free(on);
	return facts;
}

json_t *render_summary(struct render *r, const json_t *doc)
{
	const json_t *images = json_object_get(doc, "images");
	json_t *facts, *rows, *cache, *path, *longest, *v;
	struct buf line = {0};
	int wref = 5;
	size_t i;

	begin(r);
	/* What still ran is done now. */
	while (r->ngroups)
		group_fold(r, r->ngroups - 1, r->now);
	facts = summary_facts(r, doc);
	rows = json_object_get(facts, "images");
	if (json_array_size(images)) {
		json_array_foreach(images, i, v)
			if (columns(str(v, "ref")) > wref)
				wref = columns(str(v, "ref"));
		buf_addc(&r->out, '\n');
		sgr(r, "1");
		add_pad(&line, "image", wref);
		buf_adds(&line, "  id                size  new/reused  time");
		summary_line(r, &line);
		sgr(r, "0");
	}
	json_array_foreach(images, i, v) {
		const json_t *row = json_array_get(rows, i);
		const char *id = str(v, "id");
		struct buf cell = {0};

		if (!strncmp(id, "sha256:", 7))
			id += 7;
		add_pad(&line, str(v, "ref"), wref);
		buf_addf(&line, "  %-12.12s  %6.1f MB  ", id,
		         (double)json_integer_value(json_object_get(v, "size")) / 1e6);
		buf_addf(&cell, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
		         json_integer_value(json_object_get(row, "new")),
		         json_integer_value(json_object_get(row, "reused")));
		add_pad(&line, cell.p, 10);
		buf_adds(&line, "  ");
		add_secs(&line, num(row, "seconds"));
		summary_line(r, &line);
		buf_free(&cell);
	}
	cache = json_object_get(facts, "cache");
	if (json_integer_value(json_object_get(cache, "layers"))) {
		buf_addf(&line, "cache: %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
		         " layers reused",
		         json_integer_value(json_object_get(cache, "reused")),
		         json_integer_value(json_object_get(cache, "layers")));
		json_array_foreach(json_object_get(cache, "hits"), i, v)
			buf_addf(&line, "%s%s %s", i ? ", " : ": ", str(v, "image"), str(v, "layer"));
		summary_line(r, &line);
	}
	/* The stages that took next to no time say nothing: under half a
	 * second, or a twentieth of the run; on a terminal, more are left
	 * out until the line fits. */
	path = json_object_get(facts, "critical_path");
	for (double share = 20; share >= 1; share /= 2) {
		double total_s = num(facts, "seconds"), least = total_s / share;
		bool any = false;

		line.len = 0;
		buf_adds(&line, "total ");
		add_secs(&line, total_s);
		if (!r->nstages)
			break;
		if (least < 0.5)
			least = 0.5;
		buf_adds(&line, "; critical path:");
		json_array_foreach(path, i, v) {
			if (num(v, "seconds") < least)
				continue;
			buf_addf(&line, "%s %s ", any ? " >" : "", str(v, "stage"));
			add_secs(&line, num(v, "seconds"));
			any = true;
		}
		if (!any)
			buf_adds(&line, " none");
		if (r->o.mode != RENDER_TTY || columns(line.p) < width(r))
			break;
	}
	summary_line(r, &line);
	longest = json_object_get(facts, "waited_longest_on");
	if (json_is_object(longest)) {
		buf_addf(&line, "waited longest on: %s %s ", str(longest, "image"),
		         str(longest, "step"));
		add_secs(&line, num(longest, "seconds"));
		buf_addf(&line, " (%s)", str(longest, "stage"));
		summary_line(r, &line);
	}
	buf_free(&line);
	flush(r);
	return facts;
}

/* The strings of arr joined with sep into b; none when empty. */
static void add_list(struct buf *b, const json_t *arr, const char *sep, const char *none)
{
	size_t i;
	json_t *v;

	if (!json_array_size(arr))
		buf_adds(b, none);
	json_array_foreach(arr, i, v)
		buf_addf(b, "%s%s", i ? sep : "", json_string_value(v) ? json_string_value(v) : "");
}


void render_plan(struct render *r, const json_t *doc)
{
	const json_t *plan = json_object_get(doc, "plan"), *pending;
	const json_t *builder = json_object_get(plan, "builder"), *images, *v;
	const char *version = str(json_object_get(doc, "project"), "version");
	struct buf line = {0};
	int w = 7;
	size_t i;

	if (!plan)
		return;
	begin(r);
	images = json_object_get(plan, "images");
	json_array_foreach(images, i, v)
		if (columns(str(v, "name")) > w)
			w = columns(str(v, "name"));
	buf_addf(&line, "plan: %s%s%s (names from %s), from %s, packages by %s",
	         json_string_value(json_object_get(plan, "project")) ?: "a project named by its wheel",
	         *version ? " " : "", version, str(plan, "source"), str(plan, "base_image"),
	         str(plan, "package_manager"));
	summary_line(r, &line);
	buf_adds(&line, "  ");
	add_pad(&line, "builder", w);
	buf_adds(&line, "  ");
	add_pad(&line, "", 6);
	buf_adds(&line, "  packages: ");
	add_list(&line, json_object_get(builder, "packages"), " ", "none");
	buf_adds(&line, "; extras: ");
	add_list(&line, json_object_get(builder, "extras"), ", ", "none");
	summary_line(r, &line);
	json_array_foreach(images, i, v) {
		buf_adds(&line, "  ");
		add_pad(&line, str(v, "name"), w);
		buf_adds(&line, "  ");
		add_pad(&line, str(v, "kind"), 6);
		if (!strcmp(str(v, "kind"), "dockerfile")) {
			buf_addf(&line, "  %s", str(v, "dockerfile"));
			summary_line(r, &line);
			continue;
		}
		buf_adds(&line, "  packages: ");
		add_list(&line, json_object_get(v, "packages"), " ", "none");
		buf_adds(&line, "; extras: ");
		add_list(&line, json_object_get(v, "extras"), ", ", "none");
		summary_line(r, &line);
	}
	pending = json_object_get(plan, "pending");
	if (json_array_size(pending)) {
		buf_adds(&line, "known once the wheel is built: ");
		add_list(&line, pending, ", ", "");
		if (!json_array_size(images))
			buf_adds(&line, " (and so the images)");
		summary_line(r, &line);
	}
	buf_free(&line);
	flush(r);
}

/* ---- life ------------------------------------------------------------- */

struct render *render_new(const struct render_opts *o)
{
	struct render *r = xcalloc(1, sizeof *r);

	r->o = *o;
	/* Wide enough for most, so that the lines stay aligned. */
	r->wimage = 12;
	r->wstep = 12;
	return r;
}

void render_free(struct render *r)
{
	if (!r)
		return;
	begin(r);
	while (r->ngroups)
		group_fold(r, r->ngroups - 1, r->now);
	for (size_t i = 0; i < r->nstages; i++)
		r->stages[i].ended = true;
	flush(r);
	for (size_t i = 0; i < r->ndone; i++) {
		free(r->done[i].stage);
		free(r->done[i].image);
		free(r->done[i].step);
	}
	for (size_t i = 0; i < r->nlayers; i++) {
		free(r->layers[i].image);
		free(r->layers[i].name);
	}
	for (size_t i = 0; i < r->nstages; i++)
		free(r->stages[i].name);
	for (size_t i = 0; i < r->ntimes; i++)
		free(r->times[i].image);
	free(r->groups);
	free(r->done);
	free(r->layers);
	free(r->stages);
	free(r->times);
	buf_free(&r->out);
	free(r);
}

int render_mode_parse(const char *s, int fd, enum render_mode *m)
{
	if (!strcmp(s, "auto"))
		*m = isatty(fd) ? RENDER_TTY : RENDER_PLAIN;
	else if (!strcmp(s, "tty"))
		*m = RENDER_TTY;
	else if (!strcmp(s, "plain"))
		*m = RENDER_PLAIN;
	else if (!strcmp(s, "quiet"))
		*m = RENDER_QUIET;
	else
		return -1;
	return 0;
}

bool render_color_wanted(int fd)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(fd) && !(nc && *nc);
}
