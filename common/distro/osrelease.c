/* SPDX-License-Identifier: Apache-2.0 */
#include "distro/osrelease.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/msg.h"
#include "base/similar.h"
#include "base/xalloc.h"

/* shlex's whitespace in posix mode. */
static bool lex_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Keys are case-insensitive to distro (it lower-cases them) and the last
 * assignment wins, so drop an earlier spelling before appending. */
static void set_field(json_t *fields, const char *token)
{
	const char *eq = strchr(token, '=');
	char *key = xstrndup(token, (size_t)(eq - token));
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(fields, tmp, k, v)
		if (strcasecmp(k, key) == 0)
			json_object_del(fields, k);
	json_object_set_new(fields, key, json_string(eq + 1));
	free(key);
}

/* Tokenise as python's shlex.shlex(text, posix=True) with
 * whitespace_split=True does (distro.py, _parse_os_release_content):
 * '#' starts a comment even inside an unquoted word, quotes may appear
 * inside a word, backslash escapes outside quotes and before '"' or '\'
 * inside double quotes only. */
json_t *osr_parse(const char *text, size_t len, const char *name, struct pbrx_error *e)
{
	json_t *fields = json_object();
	struct buf tok = {0};
	size_t i = 0;
	int line = 1;

	while (i < len) {
		bool started = false;
		int tok_line = line;

		tok.len = 0;
		if (tok.p)
			tok.p[0] = '\0';
		while (i < len) {
			char c = text[i];

			if (lex_space(c)) {
				i++;
				if (c == '\n')
					line++;
				if (started)
					break;
				continue;
			}
			if (c == '#') {
				while (i < len && text[i] != '\n')
					i++;
				if (started)
					break;
				continue;
			}
			if (!started) {
				started = true;
				tok_line = line;
			}
			if (c == '"' || c == '\'') {
				i++;
				for (;;) {
					if (i >= len)
						goto unterminated;
					if (text[i] == c) {
						i++;
						break;
					}
					if (c == '"' && text[i] == '\\') {
						if (i + 1 >= len)
							goto unterminated;
						if (text[i + 1] != '"' && text[i + 1] != '\\')
							buf_addc(&tok, '\\');
						i++;
					}
					if (text[i] == '\n')
						line++;
					buf_addc(&tok, text[i++]);
				}
				continue;
			}
			if (c == '\\') {
				if (i + 1 >= len) {
					error_set(e, EXIT_USAGE, "%s:%d: backslash at the end of the file",
					          name, line);
					goto fail;
				}
				if (text[i + 1] == '\n')
					line++;
				buf_addc(&tok, text[i + 1]);
				i += 2;
				continue;
			}
			buf_addc(&tok, c);
			i++;
		}
		if (started && tok.p && strchr(tok.p, '='))
			set_field(fields, tok.p);
		continue;
unterminated:
		error_set(e, EXIT_USAGE, "%s:%d: unterminated quote", name, tok_line);
		goto fail;
	}
	free(tok.p);
	return fields;
fail:
	free(tok.p);
	json_decref(fields);
	return NULL;
}

static const char *field(const json_t *fields, const char *key)
{
	const char *k, *found = "";
	json_t *v;

	json_object_foreach((json_t *)fields, k, v)
		if (strcasecmp(k, key) == 0 && json_is_string(v))
			found = json_string_value(v);
	return found;
}

static bool py_space(unsigned char c)
{
	return isspace(c) || (c >= 0x1c && c <= 0x1f);
}

/* distro.py: re.search(r"\((\D+)\)|,\s*(\D+)", version), the codename
 * taken from VERSION when os-release has no VERSION_CODENAME. */
static char *codename_from_version(const char *v)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < n; i++) {
		if (v[i] == '(') {
			size_t end = i + 1;

			while (end < n && !isdigit((unsigned char)v[end]))
				end++;
			for (size_t x = end; x-- > i + 2;)
				if (v[x] == ')')
					return xstrndup(v + i + 1, x - i - 1);
		}
		if (v[i] == ',') {
			size_t w = i + 1, end;

			while (w < n && py_space((unsigned char)v[w]))
				w++;
			end = w;
			while (end < n && !isdigit((unsigned char)v[end]))
				end++;
			if (end > w)
				return xstrndup(v + w, end - w);
			if (w > i + 1)
				return xstrndup(v + w - 1, 1);
		}
	}
	return NULL;
}

static bool in_version_set(char c)
{
	return isdigit((unsigned char)c) || c == '.' || c == '+' || c == '-' ||
	       (c >= 'a' && c <= 'z');
}

static size_t spaces_at(const char *r, size_t n, size_t p)
{
	size_t k = 0;
	while (p + k < n && r[p + k] == ' ')
		k++;
	return k;
}

/* The tail of distro's _DISTRO_RELEASE_CONTENT_REVERSED_PATTERN,
 * " *(?:STL )?([\d.+\-a-z]*\d) *(?:esaeler *)?(.+)", matched at p with
 * the backtracking order of python's re.  On success sets the group. */
static bool match_tail(const char *r, size_t n, size_t p, size_t *gs, size_t *ge)
{
	for (size_t k = spaces_at(r, n, p) + 1; k-- > 0;) {
		for (int stl = 1; stl >= 0; stl--) {
			size_t q = p + k, emax;

			if (stl) {
				if (n - q < 4 || strncmp(r + q, "STL ", 4) != 0)
					continue;
				q += 4;
			}
			emax = q;
			while (emax < n && in_version_set(r[emax]))
				emax++;
			for (size_t e = emax; e > q; e--) {
				if (!isdigit((unsigned char)r[e - 1]))
					continue;
				/* " *(?:esaeler *)?(.+)" succeeds iff one
				 * character other than a newline is left. */
				for (size_t m = spaces_at(r, n, e) + 1; m-- > 0;) {
					size_t t = e + m;

					if (n - t >= 7 && strncmp(r + t, "esaeler", 7) == 0) {
						size_t u = t + 7;
						for (size_t s = spaces_at(r, n, u) + 1; s-- > 0;)
							if (u + s < n && r[u + s] != '\n')
								goto ok;
					}
					if (t < n && r[t] != '\n')
						goto ok;
				}
				continue;
ok:
				*gs = q;
				*ge = e;
				return true;
			}
		}
	}
	return false;
}

/* distro.py's _parse_distro_release_content(PRETTY_NAME)["version_id"]:
 * the pattern is matched against the reversed, stripped line. */
static char *version_from_pretty(const char *pretty)
{
	size_t n, gs, ge, first;
	char *r, *out = NULL;
	const char *start = pretty, *end = pretty + strlen(pretty);
	bool found = false;

	while (start < end && py_space((unsigned char)*start))
		start++;
	while (end > start && py_space((unsigned char)end[-1]))
		end--;
	n = (size_t)(end - start);
	r = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		r[i] = start[n - 1 - i];
	r[n] = '\0';

	/* (?:[^)]*\)(.*)\()? : the first ')' then the last '(' that still
	 * lets the rest match (".*" is greedy, and stops at a newline). */
	first = strcspn(r, ")");
	if (first < n) {
		size_t lim = first + 1;
		while (lim < n && r[lim] != '\n')
			lim++;
		for (size_t q = lim; q-- > first + 1 && !found;)
			if (r[q] == '(' && match_tail(r, n, q + 1, &gs, &ge))
				found = true;
	}
	if (!found)
		found = match_tail(r, n, 0, &gs, &ge);
	if (found) {
		out = xmalloc(ge - gs + 1);
		for (size_t i = 0; i < ge - gs; i++)
			out[i] = r[ge - 1 - i];
		out[ge - gs] = '\0';
	}
	free(r);
	return out;
}

static char *lower(const char *s)
{
	char *l = xstrdup(s);
	for (char *p = l; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

void osr_distro_from_fields(const json_t *fields, struct osr_distro *d)
{
	const char *id = field(fields, "id");
	char *norm = lower(id);

	/* distro.id(): lower case, spaces to '_', then NORMALIZED_OS_ID. */
	for (char *p = norm; *p; p++)
		if (*p == ' ')
			*p = '_';
	if (strcmp(norm, "ol") == 0) {
		free(norm);
		norm = xstrdup("oracle");
	} else if (strcmp(norm, "opensuse-leap") == 0) {
		free(norm);
		norm = xstrdup("opensuse");
	}
	d->id = norm;

	d->version = NULL;
	if (field(fields, "version_id")[0])
		d->version = xstrdup(field(fields, "version_id"));
	else
		d->version = version_from_pretty(field(fields, "pretty_name"));
	if (!d->version)
		d->version = xstrdup("");

	/* distro keeps an empty VERSION_CODENAME: "no codename" on purpose. */
	d->codename = NULL;
	{
		const char *k;
		json_t *v;
		bool has_vc = false, has_uc = false;

		json_object_foreach((json_t *)fields, k, v) {
			has_vc |= strcasecmp(k, "version_codename") == 0;
			has_uc |= strcasecmp(k, "ubuntu_codename") == 0;
		}
		if (has_vc)
			d->codename = xstrdup(field(fields, "version_codename"));
		else if (has_uc)
			d->codename = xstrdup(field(fields, "ubuntu_codename"));
		else
			d->codename = codename_from_version(field(fields, "version"));
	}
	if (!d->codename)
		d->codename = xstrdup("");
	d->name = xstrdup(field(fields, "name"));
}

void osr_distro_free(struct osr_distro *d)
{
	if (!d)
		return;
	free(d->id);
	free(d->version);
	free(d->codename);
	free(d->name);
	memset(d, 0, sizeof(*d));
}

struct atoms {
	char **v;
	size_t n, cap;
};

static void add_atom(struct atoms *a, char *atom)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], atom) == 0) {
			free(atom);
			return;
		}
	xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = atom;
}

/* bindep's codenamebits: "id-w1", "id-w1-w2"... of the codename's words. */
static void add_codename_bits(struct atoms *a, const char *id, const char *codename)
{
	struct buf acc = {0};
	const char *p = codename;

	for (;;) {
		size_t w;

		while (*p && py_space((unsigned char)*p))
			p++;
		if (!*p)
			break;
		w = 0;
		while (p[w] && !py_space((unsigned char)p[w]))
			w++;
		if (acc.len)
			buf_addc(&acc, '-');
		for (size_t i = 0; i < w; i++)
			buf_addc(&acc, p[i]);
		add_atom(a, xasprintf("%s-%s", id, acc.p));
		p += w;
	}
	free(acc.p);
}

/* bindep's releasebits: "id-9", "id-9.4"... ; an empty release still
 * gives "id-" because "".split(".") is [""]. */
static void add_release_bits(struct atoms *a, const char *id, const char *release)
{
	const char *dot = release;

	for (;;) {
		dot = strchr(dot, '.');
		if (!dot) {
			add_atom(a, xasprintf("%s-%s", id, release));
			return;
		}
		add_atom(a, xasprintf("%s-%.*s", id, (int)(dot - release), release));
		dot++;
	}
}

static void add_named(struct atoms *a, const char *alias, const char *codename,
		      const char *release)
{
	add_atom(a, xstrdup(alias));
	add_codename_bits(a, alias, codename);
	add_release_bits(a, alias, release);
}

static bool one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *const rpm_ids[] = {
	"amzn", "amazonami", "centos", "rhel", "redhatenterpriseserver",
	"redhatenterpriseworkstation", "fedora", "opensuseproject", "opensuse",
	"opensuse-leap", "opensuse-tumbleweed", "sles", "suselinux",
	/* Newer bindep releases: Oracle Linux (distro says "oracle" for
	 * "ol"), Rocky Linux, AlmaLinux. */
	"ol", "oracle", "rocky", "almalinux", NULL,
};

json_t *osr_atoms(const struct osr_distro *d)
{
	struct atoms a = {0};
	struct buf idb = {0};
	char *codename = lower(d->codename), *release = lower(d->version);
	const char *id;
	json_t *out;

	/* bindep: "".join(distro_id.split()).lower() */
	for (const char *p = d->id; *p; p++)
		if (!py_space((unsigned char)*p))
			buf_addc(&idb, (char)tolower((unsigned char)*p));
	id = idb.p ? idb.p : "";

	add_named(&a, id, codename, release);
	if (strcmp(id, "debian") == 0 || strcmp(id, "ubuntu") == 0) {
		add_atom(&a, xstrdup("dpkg"));
	} else if (one_of(id, rpm_ids)) {
		char *name = lower(d->name);

		if (strcmp(id, "redhatenterpriseserver") == 0 ||
		    strcmp(id, "redhatenterpriseworkstation") == 0)
			add_named(&a, "rhel", codename, release);
		else if (strcmp(id, "rhel") == 0 && strstr(name, "server"))
			add_named(&a, "redhatenterpriseserver", codename, release);
		else if (strcmp(id, "rhel") == 0 && strstr(name, "workstation"))
			add_named(&a, "redhatenterpriseworkstation", codename, release);
		else if (strstr(id, "amzn"))
			add_named(&a, "amazonami", codename, release);
		else if (strstr(id, "amazonami"))
			add_named(&a, "amzn", codename, release);
		else if (strstr(id, "opensuse")) {
			add_named(&a, "opensuse", codename, release);
			add_named(&a, "opensuseproject", codename, release);
		} else if (strstr(id, "sles"))
			add_named(&a, "suselinux", codename, release);
		else if (strstr(id, "suselinux"))
			add_named(&a, "sles", codename, release);
		free(name);
		if (strstr(id, "suse") || strcmp(id, "sles") == 0)
			add_atom(&a, xstrdup("suse"));
		else
			add_atom(&a, xstrdup("redhat"));
		add_atom(&a, xstrdup("rpm"));
	} else if (strcmp(id, "gentoo") == 0) {
		add_atom(&a, xstrdup("emerge"));
	} else if (strcmp(id, "arch") == 0 || strcmp(id, "manjaro") == 0) {
		add_atom(&a, xstrdup("pacman"));
	} else if (strcmp(id, "alpine") == 0) {
		add_atom(&a, xstrdup("apk"));
	}
	qsort(a.v, a.n, sizeof(*a.v), cmp_str);
	out = json_array();
	for (size_t i = 0; i < a.n; i++) {
		char *atom = xasprintf("platform:%s", a.v[i]);
		json_array_append_new(out, json_string(atom));
		free(atom);
		free(a.v[i]);
	}
	free(a.v);
	free(idb.p);
	free(codename);
	free(release);
	return out;
}

/* Names bindep can produce: package-manager families, the distributions
 * it knows, and os-release IDs of other common distributions (bindep
 * makes an atom of any ID). */
static const char *const known_names[] = {
	"dpkg", "rpm", "apk", "pacman", "emerge", "redhat", "suse", "brew",
	"darwin", "base-py2", "base-py3",
	"debian", "ubuntu", "alpine", "centos", "fedora", "rhel",
	"redhatenterpriseserver", "redhatenterpriseworkstation", "amzn",
	"amazonami", "opensuse", "opensuseproject", "opensuse-leap",
	"opensuse-tumbleweed", "sles", "suselinux", "oracle", "ol", "rocky",
	"almalinux", "arch", "manjaro", "gentoo",
	"linuxmint", "raspbian", "kali", "pop", "elementary", "devuan",
	"void", "nixos", "mageia", "slackware", "photon", "mariner",
	"azurelinux", "openeuler", "clear-linux-os", "cloudlinux", "virtuozzo",
	"scientific", "xenserver", "freebsd", "openbsd", "netbsd", "endeavouros",
	"garuda", "artix", "chimera", "wolfi", "chainguard", "openmandriva",
	"eurolinux", "navylinux", "circle", "miraclelinux", "anolis", "kylin",
	"uos", "deepin", "zorin", "neon", "tails", "qubes", "solus", "nobara",
	NULL,
};

int osr_atom_known(const char *atom, const char **suggest)
{
	const char *name = strncmp(atom, "platform:", 9) == 0 ? atom + 9 : atom;
	size_t n_known = sizeof(known_names) / sizeof(known_names[0]) - 1;
	char *base;

	*suggest = NULL;
	for (size_t i = 0; i < n_known; i++) {
		size_t kl = strlen(known_names[i]);

		/* "ubuntu-xenial", "centos-7", "opensuse423": versioned forms. */
		if (strncmp(name, known_names[i], kl) == 0 &&
		    (name[kl] == '\0' || name[kl] == '-' ||
		     isdigit((unsigned char)name[kl])))
			return 1;
	}
	base = xstrndup(name, strcspn(name, "-"));
	*suggest = similar_best(base, known_names, n_known, base[0] && strlen(base) > 4 ? 2 : 1);
	free(base);
	return 0;
}
