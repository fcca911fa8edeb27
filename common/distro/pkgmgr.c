/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "distro/pkgmgr.h"

/* The platform pkgmgr_for looks at. */
struct pf {
	const char *id, *version;
	const json_t *atoms;
};

static const char *const known[] = {"apk", "apt-get", "dnf", "microdnf", "yum", "zypper",
				    "pacman", "emerge", NULL};

bool pkgmgr_known(const char *name)
{
	for (size_t i = 0; known[i]; i++)
		if (strcmp(known[i], name) == 0)
			return true;
	return false;
}

const char *pkgmgr_dumb_init(const char *pm)
{
	return strcmp(pm, "emerge") == 0 ? "sys-process/dumb-init" : "dumb-init";
}

json_t *pkgmgr_argv(const char *first, ...)
{
	json_t *a = json_array();
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		json_array_append_new(a, json_string(s));
	va_end(ap);
	return a;
}

/* Append the elements of more to arr; steals more. */
static void extend_new(json_t *arr, json_t *more)
{
	json_array_extend(arr, more);
	json_decref(more);
}

/* Append {"name": name, "argv": argv} to steps; steals argv. */
static void step(json_t *steps, const char *name, json_t *argv)
{
	json_t *s = json_object();

	json_object_set_new(s, "name", json_string(name));
	json_object_set_new(s, "argv", argv);
	json_array_append_new(steps, s);
}

static bool has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static bool has_atom(const struct pf *pl, const char *name)
{
	char *atom = xasprintf("platform:%s", name);
	bool r = has_string(pl->atoms, atom) || (pl->id && strcmp(pl->id, name) == 0);
	free(atom);
	return r;
}

/* Major version of distro id: from the version, else from an atom
 * "platform:ID-N".  -1 when unknown. */
static long major_version(const struct pf *pl, const char *id)
{
	size_t i, n = strlen(id);
	json_t *v;

	if (pl->id && strcmp(pl->id, id) == 0 && pl->version && isdigit((unsigned char)pl->version[0]))
		return strtol(pl->version, NULL, 10);
	json_array_foreach(pl->atoms, i, v) {
		const char *a = json_string_value(v);
		if (strncmp(a, "platform:", 9) == 0 && strncmp(a + 9, id, n) == 0 &&
		    a[9 + n] == '-' && isdigit((unsigned char)a[10 + n]))
			return strtol(a + 10 + n, NULL, 10);
	}
	return -1;
}

/* Enterprise Linux 7 and Amazon Linux 1 and 2 have yum; Fedora 22+,
 * EL 8+ and Amazon Linux 2023 dnf. */
const char *pkgmgr_for(const char *id, const char *version, const json_t *atoms)
{
	const struct pf platform = {id, version, atoms}, *pl = &platform;
	static const char *const el[] = {"rhel", "centos", "oracle", "ol", "rocky", "almalinux",
					 "scientific", "redhatenterpriseserver",
					 "redhatenterpriseworkstation", NULL};

	if (has_atom(pl, "apk") || has_atom(pl, "alpine"))
		return "apk";
	if (has_atom(pl, "dpkg") || has_atom(pl, "debian") || has_atom(pl, "ubuntu"))
		return "apt-get";
	if (has_atom(pl, "pacman") || has_atom(pl, "arch"))
		return "pacman";
	if (has_atom(pl, "emerge") || has_atom(pl, "gentoo"))
		return "emerge";
	if (has_atom(pl, "suse") || has_atom(pl, "opensuse") || has_atom(pl, "sles"))
		return "zypper";
	if (has_atom(pl, "fedora")) {
		long v = major_version(pl, "fedora");
		return v >= 0 && v < 22 ? "yum" : "dnf";
	}
	if (has_atom(pl, "amzn")) {
		/* Amazon Linux 1 versions are dates (2016.03), 2 is "2". */
		long v = major_version(pl, "amzn");
		return v >= 0 && v < 2023 ? "yum" : "dnf";
	}
	for (size_t i = 0; el[i]; i++)
		if (has_atom(pl, el[i])) {
			long v = major_version(pl, el[i]);
			return v >= 0 && v < 8 ? "yum" : "dnf";
		}
	if (has_atom(pl, "rpm") || has_atom(pl, "redhat"))
		return "dnf";
	return NULL;
}

/* Append the steps that install pkgs (sorted array of names, borrowed) and leave
 * no cache or package lists behind, each an argv; steals nothing. */
void pkgmgr_install_steps(json_t *steps, const char *pm, const json_t *pkgs)
{
	json_t *argv;

#define INSTALL(...) do { argv = pkgmgr_argv(__VA_ARGS__, NULL); json_array_extend(argv, (json_t *)pkgs); \
			  step(steps, "packages", argv); } while (0)
#define RUN(...) step(steps, "packages", pkgmgr_argv(__VA_ARGS__, NULL))
	if (strcmp(pm, "apk") == 0) {
		INSTALL("apk", "add", "--no-cache");
	} else if (strcmp(pm, "apt-get") == 0) {
		/* apt-get update exits 0 after failed downloads unless told.
		 * No translated descriptions: 40% of the lists' bytes, read by
		 * nothing an install does (0.6 s of each update here). */
		RUN("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update", "--error-on=any",
		    "-o", "Acquire::Languages=none");
		/* No dpkg-preconfigure: it opens debconf's databases read-write
		 * even when it has nothing to do (always, without apt-utils),
		 * which copies all of them, some 800 kB, into the layer.  With
		 * the noninteractive frontend it only moves questions the
		 * packages' own scripts ask anyway.  apt clears a list only in
		 * a file, written here by sed (steps are never a shell) from
		 * os-release's first line, to /tmp: the container's own, never
		 * committed.
		 * apt's and dpkg's logs and dpkg's backup of its status, a
		 * tenth of the rest, are records of this build, with its
		 * timestamps, that no container reads.  dpkg does not sync
		 * each file it unpacks (--force-unsafe-io, as Docker's own
		 * Debian images set it): a container that dies is thrown
		 * away, never resumed, so the syncs buy nothing. */
		RUN("sed", "-n", "1s/.*/#clear DPkg::Pre-Install-Pkgs;/w /tmp/pbrx-apt.conf",
		    "/etc/os-release");
		INSTALL("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-c", "/tmp/pbrx-apt.conf",
			"install", "-y", "--no-install-recommends", "-o", "Dir::Log::History=/dev/null",
			"-o", "Dir::Log::Terminal=/dev/null", "-o", "Dir::Log::Planner=/dev/null",
			"-o", "DPkg::Options::=--log=/dev/null",
			"-o", "DPkg::Options::=--force-unsafe-io");
		RUN("apt-get", "clean");
		RUN("find", "/var/lib/apt/lists", "-mindepth", "1", "-delete");
		RUN("rm", "-f", "/var/lib/dpkg/status-old");
	} else if (strcmp(pm, "dnf") == 0) {
		INSTALL("dnf", "install", "-y", "--setopt=install_weak_deps=False", "--nodocs");
		RUN("dnf", "clean", "all");
		RUN("rm", "-rf", "/var/cache/dnf");
	} else if (strcmp(pm, "microdnf") == 0) {
		INSTALL("microdnf", "install", "-y", "--setopt=install_weak_deps=0", "--nodocs");
		RUN("microdnf", "clean", "all");
	} else if (strcmp(pm, "yum") == 0) {
		INSTALL("yum", "install", "-y", "--setopt=tsflags=nodocs");
		RUN("yum", "clean", "all");
		RUN("rm", "-rf", "/var/cache/yum");
	} else if (strcmp(pm, "zypper") == 0) {
		INSTALL("zypper", "--non-interactive", "install", "--no-recommends");
		RUN("zypper", "--non-interactive", "clean", "--all");
	} else if (strcmp(pm, "pacman") == 0) {
		INSTALL("pacman", "-Syu", "--noconfirm", "--needed");
		RUN("pacman", "-Scc", "--noconfirm");
		RUN("find", "/var/lib/pacman/sync", "-mindepth", "1", "-delete");
	} else if (strcmp(pm, "emerge") == 0) {
		INSTALL("emerge", "--quiet-build=y", "--noreplace");
		RUN("rm", "-rf", "/var/cache/distfiles");
	}
#undef INSTALL
#undef RUN
}

/* Where each package manager keeps its repository list, which files in
 * it name mirrors, and the sed expressions (ERE) that switch them to
 * URL.  URL is checked by mirror_url_ok, so it cannot end the '#'-
 * delimited expression or mean anything to sed's replacement. */
int pkgmgr_mirror_steps(json_t *steps, const char *pm, const char *url, const char *saved,
			struct pbrx_error *e)
{
	const char *dir = NULL;
	const char *names[3] = {NULL};
	char *expr[3] = {NULL};
	json_t *argv;

	if (strcmp(pm, "apk") == 0) {
		/* pbrx: URL replaces http://dl-cdn.alpinelinux.org/alpine */
		dir = "/etc/apk";
		names[0] = "repositories";
		expr[0] = xasprintf("s#^https?://[^/[:space:]]+/alpine/#%s/#", url);
	} else if (strcmp(pm, "apt-get") == 0) {
		/* URL replaces the main archive; security updates stay. */
		dir = "/etc/apt";
		names[0] = "*.list";
		names[1] = "*.sources";
		expr[0] = xasprintf("s#https?://(deb\\.debian\\.org/debian|([a-z0-9-]+\\.)?"
				    "archive\\.ubuntu\\.com/ubuntu)/?([[:space:]]|$)#%s\\3#g", url);
	} else if (!strcmp(pm, "dnf") || !strcmp(pm, "microdnf") || !strcmp(pm, "yum")) {
		dir = "/etc/yum.repos.d";
		names[0] = "*.repo";
		expr[0] = xstrdup("/^(metalink|mirrorlist)=/s/^/#/");
		expr[1] = xstrdup("s/^#baseurl=/baseurl=/");
		expr[2] = xasprintf("s#^baseurl=https?://[^/]+/#baseurl=%s/#", url);
	} else if (strcmp(pm, "zypper") == 0) {
		dir = "/etc/zypp/repos.d";
		names[0] = "*.repo";
		expr[0] = xasprintf("s#^baseurl=https?://[^/]+/#baseurl=%s/#", url);
	} else if (strcmp(pm, "pacman") == 0) {
		dir = "/etc/pacman.d";
		names[0] = "mirrorlist";
		expr[0] = xasprintf("1i Server = %s/$repo/os/$arch", url);
	} else {
		return error_set(e, EXIT_USAGE, "--mirror: not supported for %s", pm);
	}

	char *from = xasprintf("%s/.", dir);
	char *to = xasprintf("%s/", saved);
	step(steps, "mirror", pkgmgr_argv("mkdir", "-p", saved, NULL));
	step(steps, "mirror", pkgmgr_argv("cp", "-a", from, to, NULL));
	argv = pkgmgr_argv("find", dir, "-type", "f", NULL);
	if (names[1])
		json_array_append_new(argv, json_string("("));
	for (size_t i = 0; names[i]; i++) {
		if (i)
			json_array_append_new(argv, json_string("-o"));
		extend_new(argv, pkgmgr_argv("-name", names[i], NULL));
	}
	if (names[1])
		json_array_append_new(argv, json_string(")"));
	extend_new(argv, pkgmgr_argv("-exec", "sed", "-i", "-E", NULL));
	for (size_t i = 0; i < 3 && expr[i]; i++)
		extend_new(argv, pkgmgr_argv("-e", expr[i], NULL));
	/* ';' rather than '+': BusyBox find may lack "-exec {} +". */
	extend_new(argv, pkgmgr_argv("{}", ";", NULL));
	step(steps, "mirror", argv);
	free(from);
	free(to);
	for (size_t i = 0; i < 3; i++)
		free(expr[i]);
	return 0;
}

void pkgmgr_mirror_restore_step(json_t *steps, const char *pm, const char *saved)
{
	const char *dir = !strcmp(pm, "apk") ? "/etc/apk/" : !strcmp(pm, "apt-get") ? "/etc/apt/" :
			  !strcmp(pm, "zypper") ? "/etc/zypp/repos.d/" :
			  !strcmp(pm, "pacman") ? "/etc/pacman.d/" : "/etc/yum.repos.d/";

	char *from = xasprintf("%s/.", saved);

	step(steps, "mirror-restore", pkgmgr_argv("cp", "-a", from, dir, NULL));
	free(from);
}
