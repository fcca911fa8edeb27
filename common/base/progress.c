/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/msg.h"
#include "base/quote.h"
#include "base/progress.h"
#include "base/render.h"
#include "base/xalloc.h"

/* An event must reach the renderer whole, though every stage of a run
 * writes to the one pipe: a write(2) of at most PIPE_BUF (4096 bytes on
 * Linux, 512 by POSIX) is never interleaved with another's.  An output
 * line is cut to this many bytes, a message too. */
#define LINE_MAX_BYTES 2048
/* An event's JSON, the RS and LF left out, within PIPE_BUF. */
#define EVENT_MAX_BYTES 4000

/* What a stage says of one image, for its document. */
struct tally {
	char *image;
	unsigned built, cached;
	double t0, t1;
	bool ended;      /* progress_image() said it is built */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool started;
static bool events;             /* to a driver's renderer, on stderr */
static const char *mode_word;   /* --progress, else PBRX_PROGRESS */
static struct render *own;      /* the stage renders its own events */
static struct tally *tallies;
static size_t ntallies, ctallies;

struct progress_step {
	char *image, *step;
	struct buf partial;  /* a line not ended yet */
};

double progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Text JSON can carry: valid UTF-8 kept, any other byte made '?', cut to
 * LINE_MAX_BYTES on a character's boundary.  Malloc'd. */
static char *utf8(const char *s, size_t len)
{
	struct buf b = {0};
	size_t i = 0;

	buf_adds(&b, "");
	while (i < len && b.len < LINE_MAX_BYTES) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = n && i + n <= len && c != 0;

		for (size_t k = 1; ok && k < n; k++)
			ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
		/* Overlong forms and surrogates: jansson rejects them too. */
		if (ok && n == 2 && c < 0xc2)
			ok = false;
		if (ok && n == 3 && ((c == 0xe0 && (unsigned char)s[i + 1] < 0xa0) ||
		                     (c == 0xed && (unsigned char)s[i + 1] >= 0xa0)))
			ok = false;
		if (ok && n == 4 && ((c == 0xf0 && (unsigned char)s[i + 1] < 0x90) || c > 0xf4 ||
		                     (c == 0xf4 && (unsigned char)s[i + 1] >= 0x90)))
			ok = false;
		if (!ok) {
			buf_addc(&b, '?');
			i++;
			continue;
		}
		buf_add(&b, s + i, n);
		i += n;
	}
	return buf_take(&b);
}

/* Cut ev's "line", "text" or "shown" to half its length, on a character's
 * boundary: 1, or 0 when it has none left to cut. */
static int shorten(json_t *ev)
{
	const char *keys[] = {"line", "text", "shown"};

	for (size_t k = 0; k < 3; k++) {
		const char *v = json_string_value(json_object_get(ev, keys[k]));
		size_t n;

		if (!v || !*v)
			continue;
		n = strlen(v) / 2;
		while (n && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
		json_object_set_new(ev, keys[k], json_stringn(v, n));
		return 1;
	}
	return 0;
}

/* The stage that says it: the driver's name for it, else the program's. */
static const char *stage_name(void)
{
	const char *s = getenv("PBRX_PROGRESS_STAGE");

	return s && *s ? s : msg_progname();
}

static struct render *renderer(void)
{
	enum render_mode m;

	if (!own) {
		if (render_mode_parse(mode_word ? mode_word : "auto", STDERR_FILENO, &m) < 0)
			m = RENDER_PLAIN;
		/* -q is quiet, whatever the mode: errors and the summary. */
		if (msg_verbosity() < 0)
			m = RENDER_QUIET;
		own = render_new(&(struct render_opts){
			.mode = m, .fd = STDERR_FILENO, .color = render_color_wanted(STDERR_FILENO),
			.verbosity = msg_verbosity(),
		});
	}
	return own;
}

/* Send ev (stolen), with its time and stage, where events go; the lock
 * held. */
static void emit(json_t *ev)
{
	json_object_set_new(ev, "t", json_real(progress_now()));
	json_object_set_new(ev, "stage", json_string(stage_name()));
	if (events) {
		char *s = json_dumps(ev, JSON_COMPACT);
		char *line;

		/* Control characters are escaped six bytes each: a line of
		 * them is cut until the event fits in one atomic write. */
		while (s && strlen(s) > EVENT_MAX_BYTES && shorten(ev)) {
			free(s);
			s = json_dumps(ev, JSON_COMPACT);
		}
		if (s) {
			line = xasprintf("\x1e%s\n", s);
			msg_write(line, strlen(line));
			free(line);
			free(s);
		}
	} else {
		render_event(renderer(), ev);
	}
	json_decref(ev);
}

static struct tally *tally_of(const char *image, double t)
{
	for (size_t i = 0; i < ntallies; i++)
		if (!strcmp(tallies[i].image, image)) {
			/* Its end, once said, is its end. */
			if (!tallies[i].ended)
				tallies[i].t1 = t;
			return &tallies[i];
		}
	xgrow((void **)&tallies, &ctallies, ntallies + 1, sizeof *tallies);
	tallies[ntallies] = (struct tally){xstrdup(image), 0, 0, t, t, false};
	return &tallies[ntallies++];
}

/* base/msg.h's sink: every message an event. */
static void msg_event(const char *level, const char *line, size_t len)
{
	char *text = utf8(line, len);

	pthread_mutex_lock(&lock);
	emit(json_pack("{s:s, s:s, s:s}", "e", "msg", "level", level, "text", text));
	pthread_mutex_unlock(&lock);
	free(text);
}

/* The stage's last event: when it ended, for the critical path (a
 * driver waiting for two stages hears of the second's end late). */
static void at_exit(void)
{
	if (events && pthread_mutex_trylock(&lock) == 0) {
		emit(json_pack("{s:s}", "e", "exit"));
		pthread_mutex_unlock(&lock);
	}
	progress_flush();
}

void progress_init(void)
{
	const char *env = getenv("PBRX_PROGRESS");

	if (started)
		return;
	started = true;
	if (env && *env && !mode_word)
		progress_set_mode(env);
	msg_set_sink(msg_event);
	atexit(at_exit);
}

int progress_set_mode(const char *word)
{
	enum render_mode m;

	if (!strcmp(word, "events")) {
		events = true;
	} else if (render_mode_parse(word, STDERR_FILENO, &m) == 0) {
		events = false;
	} else {
		return -1;
	}
	mode_word = word;
	return 0;
}

struct progress_step *progress_step_start(const char *image, const char *step,
                                          char *const *argv, const char *shown)
{
	struct progress_step *s = xcalloc(1, sizeof *s);
	json_t *ev;
	char *q = NULL, *u;
	size_t total = 0;

	s->image = xstrdup(image);
	s->step = xstrdup(step);
	if (!started)
		return s;
	for (size_t i = 0; argv && argv[i]; i++)
		total += strlen(argv[i]) + 1;
	ev = json_pack("{s:s, s:s, s:s}", "e", "step", "image", image, "step", step);
	/* A long argv is sent as its shown text, cut: the event must fit
	 * one atomic write. */
	if (!shown && total > LINE_MAX_BYTES)
		shown = q = quote_argv(argv);
	if (shown) {
		u = utf8(shown, strlen(shown));
		json_object_set_new(ev, "shown", json_string(u));
		free(u);
	} else {
		json_t *a = json_array();

		for (size_t i = 0; argv && argv[i]; i++) {
			u = utf8(argv[i], strlen(argv[i]));
			json_array_append_new(a, json_string(u));
			free(u);
		}
		json_object_set_new(ev, "argv", a);
	}
	free(q);
	pthread_mutex_lock(&lock);
	tally_of(image, progress_now());
	emit(ev);
	pthread_mutex_unlock(&lock);
	return s;
}

/* One line of s's output (len bytes, no line end), as a terminal would
 * show it: what follows a carriage return overwrote what was before. */
static void out_line(struct progress_step *s, const char *p, size_t len)
{
	char *u;

	while (len && p[len - 1] == '\r')
		len--;
	for (size_t i = len; i-- > 0;)
		if (p[i] == '\r') {
			p += i + 1;
			len -= i + 1;
			break;
		}
	if (!started)
		return;
	u = utf8(p, len);
	pthread_mutex_lock(&lock);
	emit(json_pack("{s:s, s:s, s:s, s:s}", "e", "out", "image", s->image, "step", s->step,
	               "line", u));
	pthread_mutex_unlock(&lock);
	free(u);
}

void progress_output(int stream, const char *data, size_t len, void *arg)
{
	struct progress_step *s = arg;
	const char *nl;

	(void)stream;
	buf_add(&s->partial, data, len);
	while (s->partial.len && (nl = memchr(s->partial.p, '\n', s->partial.len))) {
		size_t n = (size_t)(nl - s->partial.p);

		out_line(s, s->partial.p, n);
		memmove(s->partial.p, nl + 1, s->partial.len - n - 1);
		s->partial.len -= n + 1;
	}
	/* A line that never ends is still a line. */
	if (s->partial.len > LINE_MAX_BYTES) {
		out_line(s, s->partial.p, s->partial.len);
		s->partial.len = 0;
	}
}

void progress_step_end(struct progress_step *s, int status)
{
	if (s->partial.len)
		out_line(s, s->partial.p, s->partial.len);
	if (started) {
		pthread_mutex_lock(&lock);
		tally_of(s->image, progress_now());
		json_t *ev = json_pack("{s:s, s:s, s:s, s:o}", "e", "end", "image", s->image, "step",
		                       s->step, "status",
		                       status < 0 ? json_null() : json_integer(status));

		if (status == PROGRESS_STOPPED)
			json_object_set_new(ev, "stopped", json_true());
		emit(ev);
		pthread_mutex_unlock(&lock);
	}
	buf_free(&s->partial);
	free(s->image);
	free(s->step);
	free(s);
}

/* The "layer" event of both kinds, counted in image's tally: a cached
 * layer (ref: its tag) or one pbrx wrote (written; ref: its diff ID). */
static void layer_event(const char *image, const char *layer, const char *ref, bool cached,
                        bool written)
{
	struct tally *t;
	json_t *ev;

	if (!started)
		return;
	pthread_mutex_lock(&lock);
	t = tally_of(image, progress_now());
	if (cached)
		t->cached++;
	else
		t->built++;
	ev = json_pack("{s:s, s:s, s:s?, s:s, s:b}", "e", "layer", "image", image, "step", layer,
	               "ref", ref, "cached", cached);
	if (written)
		json_object_set_new(ev, "written", json_true());
	emit(ev);
	pthread_mutex_unlock(&lock);
}

void progress_layer(const char *image, const char *layer, const char *ref, bool cached)
{
	layer_event(image, layer, ref, cached, false);
}

void progress_written(const char *image, const char *layer, const char *diff_id, bool reused)
{
	layer_event(image, layer, diff_id, reused, true);
}

void progress_image(const char *image, bool done)
{
	double now = progress_now();
	struct tally *t;

	if (!started)
		return;
	pthread_mutex_lock(&lock);
	t = tally_of(image, now);
	if (!done)
		t->t0 = now;
	t->ended = done;
	pthread_mutex_unlock(&lock);
}

void progress_tally(const char *image, unsigned *built, unsigned *cached, double *seconds)
{
	*built = *cached = 0;
	*seconds = 0;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ntallies; i++)
		if (!strcmp(tallies[i].image, image)) {
			*built = tallies[i].built;
			*cached = tallies[i].cached;
			*seconds = tallies[i].t1 - tallies[i].t0;
		}
	pthread_mutex_unlock(&lock);
}

void progress_summary(const json_t *doc)
{
	if (!started || events)
		return;
	pthread_mutex_lock(&lock);
	/* A stage run alone shows the facts; its document is its own. */
	json_decref(render_summary(renderer(), doc));
	pthread_mutex_unlock(&lock);
}

void progress_flush(void)
{
	/* At exit a worker thread may hold the lock for good (it is the
	 * one exiting): then there is nothing to fold safely. */
	if (!own || pthread_mutex_trylock(&lock) != 0)
		return;
	render_free(own);
	own = NULL;
	pthread_mutex_unlock(&lock);
}
