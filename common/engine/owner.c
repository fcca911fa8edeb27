/* SPDX-License-Identifier: Apache-2.0 */
/* owner: container names that say which process made them (owner.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/owner.h"
#include "base/xalloc.h"

#define MARK ".pbrx-"
#define BOOT_DIGITS 16

struct token {
	char boot[BOOT_DIGITS + 1];  /* lower-case hex */
	unsigned long long ns, start;
	long pid;
};

/* A small file (of /proc) into buf, NUL-terminated; -1 when it can't be
 * read. */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t have = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (have < size - 1 && (n = read(fd, buf + have, size - 1 - have)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		have += (size_t)n;
	}
	close(fd);
	buf[have] = '\0';
	return 0;
}

/* Fields 1 and 22 of a /proc/PID/stat line (proc(5)): the pid and the
 * start time.  Field 2, the command name in parentheses, may hold spaces
 * and parentheses itself: the fields after it are counted from the last
 * ')'. */
static bool parse_stat(const char *s, long *pid, unsigned long long *start)
{
	const char *p = strrchr(s, ')');
	char *end;

	errno = 0;
	*pid = strtol(s, &end, 10);
	if (end == s || *end != ' ' || errno || !p)
		return false;
	p++;
	for (int field = 3; field < 22; field++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
		if (!*p)
			return false;
	}
	p += strspn(p, " ");
	if (!isdigit((unsigned char)*p))
		return false;
	errno = 0;
	*start = strtoull(p, &end, 10);
	return !errno && (*end == ' ' || *end == '\n' || !*end);
}

/* This process's token; false when /proc can't tell it. */
static bool own_token(struct token *t)
{
	char buf[4096];
	struct stat st;
	size_t n = 0;

	if (read_small("/proc/sys/kernel/random/boot_id", buf, sizeof buf) < 0)
		return false;
	/* "xxxxxxxx-xxxx-xxxx-...": the first 16 digits, dashes skipped. */
	for (const char *p = buf; *p && n < BOOT_DIGITS; p++) {
		if (isxdigit((unsigned char)*p))
			t->boot[n++] = (char)tolower((unsigned char)*p);
		else if (*p != '-')
			return false;
	}
	if (n < BOOT_DIGITS)
		return false;
	t->boot[n] = '\0';
	if (stat("/proc/self/ns/pid", &st) < 0)
		return false;
	t->ns = (unsigned long long)st.st_ino;
	/* A /proc of another pid namespace (mounted from the host into a
	 * container) names other processes: then no token at all. */
	if (read_small("/proc/self/stat", buf, sizeof buf) < 0 ||
	    !parse_stat(buf, &t->pid, &t->start) || t->pid != (long)getpid())
		return false;
	return true;
}

bool owner_known(void)
{
	struct token t;
	return own_token(&t);
}

char *owner_name(const char *prefix)
{
	struct token t;

	if (!own_token(&t))
		return xstrdup(prefix);
	return xasprintf("%s" MARK "%s-%llu-%ld-%llu", prefix, t.boot, t.ns, t.pid, t.start);
}

/* A decimal number at *s, of digits only, followed by stop; *s moves
 * past stop. */
static bool number(const char **s, char stop, unsigned long long *v)
{
	char *end;

	if (!isdigit((unsigned char)**s))
		return false;
	errno = 0;
	*v = strtoull(*s, &end, 10);
	if (errno || *end != stop)
		return false;
	*s = stop ? end + 1 : end;
	return true;
}

/* The token at the end of name, after its last mark (a prefix may hold
 * one of its own); false unless all of it parses. */
static bool parse_token(const char *name, struct token *t)
{
	const char *p = NULL;
	unsigned long long pid;

	for (const char *q = strstr(name, MARK); q; q = strstr(q + 1, MARK))
		p = q;
	if (!p)
		return false;
	p += strlen(MARK);
	for (size_t i = 0; i < BOOT_DIGITS; i++) {
		if (!isxdigit((unsigned char)p[i]) || isupper((unsigned char)p[i]))
			return false;
		t->boot[i] = p[i];
	}
	t->boot[BOOT_DIGITS] = '\0';
	p += BOOT_DIGITS;
	if (*p++ != '-')
		return false;
	if (!number(&p, '-', &t->ns) || !number(&p, '-', &pid) || !number(&p, '\0', &t->start))
		return false;
	if (pid == 0 || pid > INT_MAX)
		return false;
	t->pid = (long)pid;
	return true;
}

bool owner_stale(const char *name, long *pid)
{
	struct token mine, theirs;
	char path[64], buf[4096];
	unsigned long long start;
	long spid;
	bool gone;

	if (!parse_token(name, &theirs) || !own_token(&mine))
		return false;
	if (strcmp(mine.boot, theirs.boot) || mine.ns != theirs.ns)
		return false;
	snprintf(path, sizeof path, "/proc/%ld/stat", theirs.pid);
	if (read_small(path, buf, sizeof buf) == 0) {
		if (!parse_stat(buf, &spid, &start) || spid != theirs.pid)
			return false;
		gone = start != theirs.start;
	} else {
		/* No entry, or one hidden from us (hidepid=): kill(2) with
		 * no signal tells, EPERM for a process of another user. */
		gone = kill((pid_t)theirs.pid, 0) < 0 && errno == ESRCH;
	}
	if (gone && pid)
		*pid = theirs.pid;
	return gone;
}
