/* SPDX-License-Identifier: Apache-2.0 */
#include "base/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/msg.h"

extern char **environ;

/* The program's name for messages: argv[0] without its directory. */
static const char *prog(const struct spawn_spec *s)
{
	const char *slash = strrchr(s->argv[0], '/');
	return slash ? slash + 1 : s->argv[0];
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Where stream fd (1 or 2) of the child goes: a file action, and the
 * pipe whose write end it gets (pipe[1]), made here. */
static int plan_out(posix_spawn_file_actions_t *fa, enum spawn_out how, int fd, int pipe[2])
{
	switch (how) {
	case SPAWN_NULL:
		return posix_spawn_file_actions_addopen(fa, fd, "/dev/null", O_WRONLY, 0);
	case SPAWN_INHERIT:
		return 0;
	case SPAWN_MERGE:
		return posix_spawn_file_actions_adddup2(fa, 1, 2);
	case SPAWN_CAPTURE:
	case SPAWN_STREAM:
		if (pipe2(pipe, O_CLOEXEC) < 0)
			return errno;
		return posix_spawn_file_actions_adddup2(fa, pipe[1], fd);
	}
	return EINVAL;
}

/* Take n bytes read from the child's stream (1 or 2). */
static void take(const struct spawn_spec *s, struct spawn_result *r, int stream,
                 const char *data, size_t n)
{
	enum spawn_out how = stream == 1 ? s->out : s->err;
	struct buf *b = stream == 1 ? &r->out : &r->err;

	if (how == SPAWN_STREAM) {
		s->output(stream, data, n, s->arg);
		return;
	}
	if (stream == 1 && s->out_max) {
		if (b->len >= s->out_max)
			return;
		if (n > s->out_max - b->len)
			n = s->out_max - b->len;
	}
	buf_add(b, data, n);
}

static int spawn_child(const struct spawn_spec *s, pid_t *pid, int out[2], int err[2],
                       int in[2])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (s->in) {
		if (pipe2(in, O_CLOEXEC) < 0) {
			rc = errno;
			goto out;
		}
		rc = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	} else {
		rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	}
	/* stdout first: a merged stderr dups the child's fd 1. */
	if (!rc)
		rc = plan_out(&fa, s->out, 1, out);
	if (!rc)
		rc = plan_out(&fa, s->err, 2, err);
	if (!rc && s->cwd)
		rc = posix_spawn_file_actions_addchdir_np(&fa, s->cwd);
	if (rc)
		goto out;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                         (s->own_group ? POSIX_SPAWN_SETPGROUP : 0));
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawnp(pid, s->argv[0], &fa, &at, s->argv, s->env ? s->env : environ);
out:
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	return rc;
}

int spawn_run(const struct spawn_spec *s, struct spawn_result *r, struct pbrx_error *e)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1}, status, rc;
	struct pollfd pf[3];
	size_t written = 0;
	bool cancelled = false;
	char chunk[16384];
	pid_t pid;

	r->signal = 0;
	r->cancelled = false;
	rc = spawn_child(s, &pid, out, err, in);
	if (rc) {
		for (int i = 0; i < 2; i++) {
			close_fd(&out[i]);
			close_fd(&err[i]);
			close_fd(&in[i]);
		}
		if (rc == ENOENT)
			return error_set(e, EXIT_FAIL, "%s: not found on PATH", prog(s));
		return error_set(e, EXIT_FAIL, "%s: %s", prog(s), strerror(rc));
	}
	if (in[1] >= 0 && !s->in_len)
		close_fd(&in[1]);
	if (in[1] >= 0)
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	pf[0] = (struct pollfd){.fd = out[0], .events = POLLIN};
	pf[1] = (struct pollfd){.fd = err[0], .events = POLLIN};
	pf[2] = (struct pollfd){.fd = in[1], .events = POLLOUT};
	while (pf[0].fd >= 0 || pf[1].fd >= 0 || pf[2].fd >= 0) {
		int ready = poll(pf, 3, 250);

		if (ready < 0 && errno != EINTR)
			break;  /* can't happen with valid fds: waitpid still reaps */
		/* A child told to stop may end its own work (a build's RUN)
		 * before it exits. */
		if (s->cancel && atomic_load(s->cancel) && !cancelled) {
			kill(s->own_group ? -pid : pid, SIGTERM);
			cancelled = true;
		}
		if (ready <= 0)
			continue;
		if (pf[2].fd >= 0 && pf[2].revents) {
			ssize_t n = write(pf[2].fd, s->in + written, s->in_len - written);
			/* A short write is fine: the child may not read it all,
			 * or at all (EPIPE); its exit status tells. */
			if (n > 0)
				written += (size_t)n;
			if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == s->in_len) {
				close(pf[2].fd);
				pf[2].fd = -1;
			}
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			n = read(pf[i].fd, chunk, sizeof chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				continue;
			}
			take(s, r, i + 1, chunk, (size_t)n);
		}
	}
	explicit_bzero(chunk, sizeof chunk);
	for (int i = 0; i < 3; i++)
		close_fd(&pf[i].fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(e, EXIT_FAIL, "%s: waitpid: %s", prog(s), strerror(errno));
	if (cancelled) {
		r->cancelled = true;
		return error_set(e, EXIT_FAIL, "cancelled");
	}
	if (WIFSIGNALED(status)) {
		r->signal = WTERMSIG(status);
		return error_set(e, EXIT_FAIL, "%s: died of %s", prog(s), strsignal(r->signal));
	}
	return WEXITSTATUS(status);
}

void spawn_result_free(struct spawn_result *r)
{
	buf_free(&r->out);
	buf_free(&r->err);
	*r = (struct spawn_result){0};
}
