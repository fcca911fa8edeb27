/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of doc/plan: the one rule for the mounts of .plan, and that
 * what the planner writes is what the stages accept.  Prints each failed
 * case; exits 1 when any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/error.h"
#include "doc/plan.h"

#define P ".plan.builder.mounts[0]"

static int failed;

/* Mount text json is accepted as source/target/read_only. */
static void good(const char *json, const char *source, const char *target, bool ro)
{
	json_t *o = json_loads(json, 0, NULL);
	struct plan_mount m = {0};
	struct pbrx_error e = {0};

	if (plan_mount_check(o, P, &m, &e) != 0)
		printf("%s: rejected: %s\n", json, e.msg), failed = 1;
	else if ((source ? !m.source || strcmp(m.source, source) : m.source != NULL) ||
		 strcmp(m.target, target) || m.read_only != ro)
		printf("%s: read as source %s, target %s, read_only %d\n", json,
		       m.source ? m.source : "(none)", m.target, m.read_only), failed = 1;
	error_free(&e);
	json_decref(o);
}

/* Mount text json is rejected with message want ("PATH: what"). */
static void bad(const char *json, const char *want)
{
	json_t *o = json_loads(json, JSON_DECODE_ANY, NULL);
	struct plan_mount m = {0};
	struct pbrx_error e = {0};

	if (!o)
		printf("%s: the test's JSON does not parse\n", json), failed = 1;
	else if (plan_mount_check(o, P, &m, &e) != -1 || !e.msg)
		printf("%s: accepted\n", json), failed = 1;
	else if (strcmp(e.msg, want) != 0 || e.status != 2)
		printf("%s: '%s' (status %d), expected '%s'\n", json, e.msg, e.status, want),
			failed = 1;
	error_free(&e);
	json_decref(o);
}

/* plan_mount_json(m) writes want, and plan_mount_check reads it back. */
static void written(struct plan_mount m, const char *want)
{
	json_t *o = plan_mount_json(&m);
	char *got = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	struct plan_mount back = {0};
	struct pbrx_error e = {0};

	if (strcmp(got, want) != 0)
		printf("plan_mount_json: %s, expected %s\n", got, want), failed = 1;
	if (plan_mount_check(o, P, &back, &e) != 0)
		printf("plan_mount_json: %s is rejected: %s\n", got, e.msg), failed = 1;
	error_free(&e);
	free(got);
	json_decref(o);
}

int main(void)
{
	good("{\"source\":\"/src\",\"target\":\"/tmp/pbrx/src\",\"read_only\":true}",
	     "/src", "/tmp/pbrx/src", true);
	good("{\"volume\":\"wheelhouse\",\"target\":\"/tmp/pbrx/wheels\",\"read_only\":false}",
	     NULL, "/tmp/pbrx/wheels", false);
	good("{\"volume\":\"wheelhouse\",\"target\":\"/w\",\"read_only\":true}", NULL, "/w", true);

	bad("[]", P ": expected an object");
	bad("\"x\"", P ": expected an object");
	bad("{\"source\":\"/s\",\"read_only\":true}", P ".target: missing (expected a string)");
	bad("{\"target\":7,\"source\":\"/s\",\"read_only\":true}", P ".target: expected a string");
	bad("{\"target\":\"/t\",\"source\":[],\"read_only\":true}", P ".source: expected a string");
	bad("{\"target\":\"/t\",\"volume\":null,\"read_only\":true}", P ".volume: expected a string");
	bad("{\"target\":\"/t\",\"source\":\"/s\"}", P ": read_only: expected true or false");
	bad("{\"target\":\"/t\",\"source\":\"/s\",\"read_only\":1}",
	    P ": read_only: expected true or false");
	bad("{\"target\":\"t\",\"source\":\"/s\",\"read_only\":true}",
	    P ": target 't' is not an absolute path");
	bad("{\"target\":\"/t\",\"read_only\":true}", P ": expected either source or volume");
	bad("{\"target\":\"/t\",\"source\":\"/s\",\"volume\":\"wheelhouse\",\"read_only\":true}",
	    P ": expected either source or volume");
	bad("{\"target\":\"/t\",\"volume\":\"cache\",\"read_only\":true}",
	    P ": unknown volume 'cache' (the one volume is 'wheelhouse')");
	/* the read_only rule: the user's tree is never written */
	bad("{\"target\":\"/t\",\"source\":\"/home/me/proj\",\"read_only\":false}",
	    P ": the host directory /home/me/proj must be mounted read-only");

	written((struct plan_mount){"/p", "/tmp/pbrx/src", false},
		"{\"source\":\"/p\",\"target\":\"/tmp/pbrx/src\",\"read_only\":true}");
	written((struct plan_mount){NULL, "/tmp/pbrx/wheels", false},
		"{\"volume\":\"wheelhouse\",\"target\":\"/tmp/pbrx/wheels\",\"read_only\":false}");
	written((struct plan_mount){NULL, "/tmp/pbrx/wheels", true},
		"{\"volume\":\"wheelhouse\",\"target\":\"/tmp/pbrx/wheels\",\"read_only\":true}");
	return failed;
}
