/* SPDX-License-Identifier: Apache-2.0 */
/* progress: what a stage says of its work while it runs, as events:
 * a step starting (its image, its name, its argv), each line of its
 * output, its end with its exit status, a layer committed or found in
 * the cache, and every message of base/msg.h.  A stage never decides
 * how they are shown (base/render.h does):
 *
 * - run by a driver, which sets PBRX_PROGRESS=events, the events go to
 *   stderr as JSON text sequences (RFC 7464: RS, a JSON object, LF),
 *   one write(2) each, to the driver's one renderer, progress-render(1);
 * - run alone, the stage renders its own events on stderr, in the mode
 *   --progress or PBRX_PROGRESS names (auto, tty, plain, quiet).
 *
 * pbrx-progress(7) defines the events.  Every function is safe to call
 * from several threads at once (image-assemble's workers) and does
 * nothing before progress_init(). */
#ifndef PBRX_PROGRESS_H
#define PBRX_PROGRESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Start: the mode from PBRX_PROGRESS (auto when unset), messages sent
 * through the events from here on.  stage_init() calls it. */
void progress_init(void);
/* --progress WORD ("auto", "tty", "plain", "quiet", "events"): 0, or -1
 * for another word.  Before the first event. */
int progress_set_mode(const char *word);

/* A step running. */
struct progress_step;

/* Step step (a plan step's name) of image (who it is for: an image's
 * name, "builder") starts argv, shown to people as shown (NULL: argv
 * quoted; a program's text as an argument says nothing).  Never NULL. */
struct progress_step *progress_step_start(const char *image, const char *step,
                                          char *const *argv, const char *shown);
/* An engine_run_spec output callback (engine/run.h), arg a step: its
 * output, cut into lines. */
void progress_output(int stream, const char *data, size_t len, void *arg);
/* The step ended with exit status status (-1: it has none, the engine
 * failed; PROGRESS_STOPPED: a signal stopped the stage, the step did not
 * fail of its own); frees s.  A failure is shown with the step's argv
 * and the end of its output, wherever the events go. */
#define PROGRESS_STOPPED (-2)
void progress_step_end(struct progress_step *s, int status);

/* A layer of image (its layer name, or NULL for an image's last commit)
 * committed as ref, or found cached as ref. */
void progress_layer(const char *image, const char *layer, const char *ref, bool cached);
/* A layer of image named layer that pbrx wrote itself (no container
 * ran): diff_id, reused from the cache or new. */
void progress_written(const char *image, const char *layer, const char *diff_id, bool reused);
/* image's build starts (done false) or ends (done true) now: its time
 * for progress_tally(), from the start to the end, rather than from its
 * first event to its last. */
void progress_image(const char *image, bool done);
/* What the events said of image in this process: the layers committed
 * and found cached, and the seconds from its first step or layer to its
 * last.  For the document's "images" section. */
void progress_tally(const char *image, unsigned *built, unsigned *cached, double *seconds);

/* The summary of doc (borrowed) when the stage renders its own events;
 * nothing when a driver renders them (it shows its own at the end). */
void progress_summary(const json_t *doc);
/* What still runs is shown as ended; at exit, and in a child process
 * before _exit(). */
void progress_flush(void);

/* Seconds since the epoch, as the events carry them. */
double progress_now(void);

#endif
