/* SPDX-License-Identifier: Apache-2.0 */
/* install: pip 23.0.1's _install_wheel (operations/install/wheel.py),
 * step by step, into a layer.  The wheel is read whole into memory
 * (members checked against RECORD before anything is placed), the
 * files pip would write are gathered by the path pip writes them to
 * (lexical, absolute), and only then placed in the layer, through the
 * symlinks of the image below, with the directories it lacks. */
#include "py/install.h"
#include "py/wheel.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/intern.h"
#include "base/msg.h"
#include "base/xalloc.h"
#include "image/layer.h"
#include "py/pyname.h"
#include "py/pystr.h"
#include "py/record.h"
#include "py/scripts.h"

/* The Python programs.  Single quotes only, so they read as Python. */

const char install_compile_program[] =
	"import email.parser, importlib.util, json, os, posixpath, py_compile, sys, tempfile, zipfile\n"
	"def fail(msg):\n"
	"    sys.exit('install_compile_program: ' + msg)\n"
	"def headers(data):\n"
	"    return email.parser.Parser().parsestr(data.decode())\n"
	"def entry_point_names(text):\n"
	"    names, section = set(), None\n"
	"    for line in text.splitlines():\n"
	"        line = line.strip()\n"
	"        if not line or line.startswith('#'):\n"
	"            continue\n"
	"        if line.startswith('[') and line.endswith(']'):\n"
	"            section = line.strip('[]')\n"
	"        elif section in ('console_scripts', 'gui_scripts'):\n"
	"            names.add(line.split('=', 1)[0].strip())\n"
	"    return names\n"
	"def is_wrapper(path, names):\n"
	"    name = posixpath.basename(path)\n"
	"    for suffix in ('.exe', '-script.py', '.pya'):\n"
	"        if name.lower().endswith(suffix):\n"
	"            name = name[:-len(suffix)]\n"
	"            break\n"
	"    return name in names\n"
	"def is_data(name):\n"
	"    return name.split('/', 1)[0].endswith('.data')\n"
	"def is_script(name):\n"
	"    p = name.split('/', 2)\n"
	"    return len(p) > 2 and p[0].endswith('.data') and p[1] == 'scripts'\n"
	"# What pip's _install_wheel writes: {path relative to the lib dir: bytes}.\n"
	"def installed(whl, scheme):\n"
	"    z = zipfile.ZipFile(whl)\n"
	"    names = z.namelist()\n"
	"    info = [d for d in {n.split('/', 1)[0] for n in names} if d.endswith('.dist-info')]\n"
	"    if len(info) != 1:\n"
	"        fail(whl + ': not one .dist-info directory')\n"
	"    info = info[0]\n"
	"    wheel = headers(z.read(info + '/WHEEL'))\n"
	"    purelib = wheel.get('Root-Is-Purelib', '').lower() == 'true'\n"
	"    lib = scheme['purelib' if purelib else 'platlib']\n"
	"    dirs = {k: scheme[k] for k in ('purelib', 'platlib', 'scripts', 'data')}\n"
	"    dirs['headers'] = posixpath.join(scheme['headers'],\n"
	"                                     headers(z.read(info + '/METADATA')).get('Name', ''))\n"
	"    ep = info + '/entry_points.txt'\n"
	"    eps = entry_point_names(z.read(ep).decode()) if ep in names else set()\n"
	"    files = [n for n in names if not n.endswith('/')]\n"
	"    out = {}\n"
	"    for n in ([n for n in files if not is_data(n)] +\n"
	"              [n for n in files if is_data(n) and not is_script(n)] +\n"
	"              [n for n in files if is_script(n)]):\n"
	"        normed = posixpath.normpath(n)\n"
	"        if is_data(n):\n"
	"            parts = normed.split('/', 2)\n"
	"            if len(parts) < 3 or parts[1] not in dirs:\n"
	"                fail(whl + ': ' + n + ': not in a scheme directory of .data')\n"
	"            top, dest = dirs[parts[1]], posixpath.join(dirs[parts[1]], parts[2])\n"
	"        else:\n"
	"            top, dest = lib, posixpath.join(lib, normed)\n"
	"        if posixpath.commonprefix([top, posixpath.abspath(dest)]) != top:\n"
	"            fail(whl + ': ' + n + ': outside ' + top)\n"
	"        if is_script(n) and is_wrapper(dest, eps):\n"
	"            continue\n"
	"        data = z.read(n)\n"
	"        if is_script(n) and data.startswith(b'#!python'):\n"
	"            rest = data.split(b'\\n', 1)[1] if b'\\n' in data else b''\n"
	"            data = b'#!' + os.fsencode(scheme['python']) + b'\\n' + rest\n"
	"        out[posixpath.relpath(dest, lib)] = data\n"
	"    return lib, out\n"
	"def main():\n"
	"    if len(sys.argv) < 3:\n"
	"        fail('usage: python3 -c PROGRAM SCHEME-JSON-FILE OUTDIR WHEEL...')\n"
	"    with open(sys.argv[1]) as f:\n"
	"        scheme = json.load(f)\n"
	"    # pip compiles after its session's user agent went through the C json\n"
	"    # encoder, which interns the strings '{' and '}'; marshal marks\n"
	"    # interned strings, so one-character constants '{' and '}' are\n"
	"    # written as pip writes them only in the same state.\n"
	"    for c in '{}':\n"
	"        sys.intern(c)\n"
	"    for whl in sys.argv[3:]:\n"
	"        lib, files = installed(whl, scheme)\n"
	"        top = os.path.join(sys.argv[2], os.path.basename(whl))\n"
	"        os.makedirs(top, exist_ok=True)\n"
	"        with tempfile.TemporaryDirectory() as tmp:\n"
	"            source = os.path.join(tmp, 'source.py')\n"
	"            # pip's order; the path as pip joins it is the one recorded\n"
	"            for rel in sorted(files):\n"
	"                path = os.path.join(lib, rel)\n"
	"                if not path.endswith('.py'):\n"
	"                    continue\n"
	"                with open(source, 'wb') as f:\n"
	"                    f.write(files[rel])\n"
	"                pyc = top + posixpath.normpath(importlib.util.cache_from_source(path))\n"
	"                try:\n"
	"                    py_compile.compile(source, pyc, path, True, -1,\n"
	"                                       py_compile.PycInvalidationMode.CHECKED_HASH)\n"
	"                except (py_compile.PyCompileError, SyntaxError, UnicodeError, OSError):\n"
	"                    pass\n"
	"main()\n";

/* Members larger than this are refused, and wheels larger than TOTAL_MAX
 * uncompressed: all of it is held in memory. */
#define MEMBER_MAX ((size_t)512 * 1024 * 1024)
#define TOTAL_MAX ((size_t)4096 * 1024 * 1024)
/* The central directory pbrx reads at most. */
#define CD_MAX ((size_t)64 * 1024 * 1024)

/* --- paths, as posixpath does them -------------------------------------- */


/* posixpath.join of two. */
static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (b[0] == '/' || !n)
		return xstrdup(b);
	return a[n - 1] == '/' ? xconcat(a, b, (char *)NULL) : xconcat(a, "/", b, (char *)NULL);
}

/* posixpath.relpath(path, start), both absolute. */
static char *relpath(const char *path, const char *start)
{
	char *p = pystr_normpath(path), *s = pystr_normpath(start);
	const char *pp = p + 1, *sp = s + 1;
	struct buf b = {0};

	/* the common leading components */
	for (;;) {
		size_t pl = strcspn(pp, "/"), sl = strcspn(sp, "/");

		if (!pl || pl != sl || memcmp(pp, sp, pl))
			break;
		pp += pl + (pp[pl] == '/');
		sp += sl + (sp[sl] == '/');
	}
	for (const char *q = sp; *q;) {
		size_t l = strcspn(q, "/");

		buf_adds(&b, b.len ? "/.." : "..");
		q += l + (q[l] == '/');
	}
	if (*pp) {
		if (b.len)
			buf_addc(&b, '/');
		buf_adds(&b, pp);
	}
	if (!b.len)
		buf_addc(&b, '.');
	free(p);
	free(s);
	return buf_take(&b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* --- the zip ------------------------------------------------------------ */

static unsigned get16(const unsigned char *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const unsigned char *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A member as pip sees it. */
struct member {
	const char *name;   /* borrowed from struct wheel's names */
	unsigned attr;  /* the external attributes' high 16 bits: st_mode */
	bool read;      /* libarchive gave it */
	char *data;
	size_t len;
};

struct wheel {
	const char *path;
	struct intern names;     /* member names, numbered in central directory order */
	struct member *m;        /* by number */
	size_t total;            /* bytes read */
};

static void wheel_free(struct wheel *w)
{
	for (size_t i = 0; i < w->names.n; i++)
		free(w->m[i].data);
	free(w->m);
	intern_free(&w->names);
}

static bool ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

static int read_at(FILE *f, long long off, void *buf, size_t n)
{
	return fseeko(f, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, n, f) == n ? 0 : -1;
}

/* The central directory, found as Python's zipfile finds it (the end
 * record searched for in the last 64 KiB, the directory just before it,
 * whatever its recorded offset says), read for the names and the
 * external attributes pip reads: libarchive gives neither raw (it
 * normalises a mode without a file type to a regular file, ignores the
 * Unix mode of a zip made on another system, changes '\\' to '/'). */
static int read_central_directory(struct wheel *w, struct pbrx_error *e)
{
	FILE *f = fopen(w->path, "rb");
	unsigned char *tail = NULL, *cd = NULL;
	long long size, eocd = -1, start;
	uint64_t cd_size;
	size_t tail_len, pos, cap = 0;
	int rc = -1;

	if (!f)
		return error_set(e, EXIT_FAIL, "%s: %s", w->path, strerror(errno));
	if (fseeko(f, 0, SEEK_END) < 0 || (size = (long long)ftello(f)) < 0) {
		error_set(e, EXIT_FAIL, "%s: %s", w->path, strerror(errno));
		goto out;
	}
	tail_len = size < 65536 + 22 ? (size_t)size : 65536 + 22;
	tail = xmalloc(tail_len + 1);
	if (read_at(f, size - (long long)tail_len, tail, tail_len) < 0) {
		error_set(e, EXIT_FAIL, "%s: cannot read", w->path);
		goto out;
	}
	for (size_t i = tail_len >= 22 ? tail_len - 22 + 1 : 0; i-- > 0;) {
		if (!memcmp(tail + i, "PK\5\6", 4)) {
			eocd = (long long)i;
			break;
		}
	}
	if (eocd < 0 || (size_t)eocd + 22 > tail_len) {
		error_set(e, EXIT_USAGE, "%s: not a zip file (no end of central directory)", w->path);
		goto out;
	}
	cd_size = get32(tail + eocd + 12);
	start = size - (long long)tail_len + eocd - (long long)cd_size;
	/* Zip64: the locator just before, the zip64 end record before it. */
	if (eocd >= 20 && !memcmp(tail + eocd - 20, "PK\6\7", 4)) {
		unsigned char rec[56];
		long long at = size - (long long)tail_len + eocd - 20 - 56;

		if (at < 0 || read_at(f, at, rec, sizeof rec) < 0 || memcmp(rec, "PK\6\6", 4)) {
			error_set(e, EXIT_USAGE, "%s: bad zip64 end of central directory", w->path);
			goto out;
		}
		cd_size = get64(rec + 40);
		start = at - (long long)cd_size;
	}
	if (cd_size > CD_MAX || start < 0) {
		error_set(e, EXIT_USAGE, "%s: bad central directory", w->path);
		goto out;
	}
	cd = xmalloc((size_t)cd_size + 1);
	if (read_at(f, start, cd, (size_t)cd_size) < 0) {
		error_set(e, EXIT_USAGE, "%s: truncated central directory", w->path);
		goto out;
	}
	for (pos = 0; pos < cd_size;) {
		size_t nlen, xlen, clen, n;
		unsigned flags;
		const char *name;
		bool added;

		if (cd_size - pos < 46 || memcmp(cd + pos, "PK\1\2", 4)) {
			error_set(e, EXIT_USAGE, "%s: bad central directory entry", w->path);
			goto out;
		}
		flags = get16(cd + pos + 8);
		nlen = get16(cd + pos + 28);
		xlen = get16(cd + pos + 30);
		clen = get16(cd + pos + 32);
		if (cd_size - pos - 46 < nlen + xlen + clen) {
			error_set(e, EXIT_USAGE, "%s: bad central directory entry", w->path);
			goto out;
		}
		name = (const char *)cd + pos + 46;
		/* zipfile decodes a name as UTF-8 when flag bit 11 says so, else
		 * as CP437: pbrx takes flagged UTF-8 and ASCII only. */
		if (!nlen || !pystr_utf8_valid(name, nlen) || (!(flags & 0x800) && !ascii(name, nlen))) {
			error_set(e, EXIT_USAGE, "%s: a member name is neither ASCII nor UTF-8 (zip flag 11)",
			          w->path);
			goto out;
		}
		n = intern_add(&w->names, name, nlen, &added);
		if (!added) {
			error_set(e, EXIT_USAGE, "%s: %.*s: duplicate member", w->path, (int)nlen, name);
			goto out;
		}
		xgrow((void **)&w->m, &cap, n + 1, sizeof *w->m);
		memset(&w->m[n], 0, sizeof *w->m);
		w->m[n].name = intern_name(&w->names, n);
		w->m[n].attr = get32(cd + pos + 38) >> 16;
		pos += 46 + nlen + xlen + clen;
	}
	rc = 0;
out:
	free(tail);
	free(cd);
	fclose(f);
	return rc;
}

/* The data of the member libarchive is at: *buf (malloc'd) and *len. */
static int read_data(struct wheel *w, struct archive *a, const char *name, char **buf, size_t *len,
                     struct pbrx_error *e)
{
	size_t left = TOTAL_MAX - w->total;
	bool too_big;

	if (wheel_member_read(a, MEMBER_MAX < left ? MEMBER_MAX : left, buf, len, &too_big) < 0) {
		if (too_big)
			return error_set(e, EXIT_USAGE, "%s: %s: larger than pbrx reads (%zu MB a member,"
			                 " %zu MB a wheel)", w->path, name, MEMBER_MAX >> 20, TOTAL_MAX >> 20);
		return error_set(e, EXIT_USAGE, "%s: %s: %s", w->path, name, archive_error_string(a));
	}
	w->total += *len;
	return 0;
}

/* Every member, its data read with libarchive (a directory's too, when
 * its name lacks the '/' that makes pip skip it). */
static int read_members(struct wheel *w, struct pbrx_error *e)
{
	/* libarchive converts a UTF-8 name to the locale's charset and gives
	 * no name at all when it can't (any non-ASCII name in the C locale):
	 * this thread reads in C.UTF-8, where the conversion is none. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old = (locale_t)0;
	struct archive *a;
	struct archive_entry *ae;
	int r, rc = -1;

	if (utf8)
		old = uselocale(utf8);
	a = archive_read_new();

	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, w->path, 65536) != ARCHIVE_OK) {
		error_set(e, EXIT_FAIL, "%s: %s", w->path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname_utf8(ae);
		struct member *m;
		size_t i;

		if (!name)
			name = archive_entry_pathname(ae);
		if (!name) {
			error_set(e, EXIT_USAGE, "%s: a member name libarchive can't read: %s", w->path,
			          archive_error_string(a));
			goto out;
		}
		i = intern_find(&w->names, name, strlen(name));
		if (i == INTERN_NONE) {
			error_set(e, EXIT_USAGE, "%s: %s: not in the zip's central directory", w->path,
			          name);
			goto out;
		}
		m = &w->m[i];
		if (m->read) {
			error_set(e, EXIT_USAGE, "%s: %s: duplicate member", w->path, name);
			goto out;
		}
		m->read = true;
		if (ends_with(name, "/"))
			continue;
		if (archive_entry_filetype(ae) == AE_IFLNK) {
			/* zipfile gives a symlink's target as its data, and pip
			 * writes that into a regular file. */
			const char *t = archive_entry_symlink_utf8(ae);

			if (!t)
				t = archive_entry_symlink(ae);
			m->data = xstrdup(t ? t : "");
			m->len = strlen(m->data);
			continue;
		}
		if (read_data(w, a, name, &m->data, &m->len, e) < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		error_set(e, EXIT_USAGE, "%s: %s", w->path, archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < w->names.n; i++) {
		if (!w->m[i].read) {
			error_set(e, EXIT_USAGE, "%s: %s: in the central directory, but not read",
			          w->path, w->m[i].name);
			goto out;
		}
	}
	rc = 0;
out:
	archive_read_free(a);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return rc;
}

static struct member *member(struct wheel *w, const char *name)
{
	size_t i = intern_find(&w->names, name, strlen(name));

	return i == INTERN_NONE ? NULL : &w->m[i];
}

/* pip's zip_item_is_executable: a regular file with any x bit. */
static bool executable(const struct member *m)
{
	return m->attr && S_ISREG(m->attr) && (m->attr & 0111);
}

/* --- WHEEL and METADATA ------------------------------------------------- */

/* The value of the first header called name in RFC 822 text (the header
 * block), as Python's email.parser gives it with the compat32 policy:
 * white space after the colon dropped, continuation lines joined,
 * trailing line ends dropped.  NULL when there is none.  Malloc'd. */
static char *header_value(const char *text, size_t len, const char *name)
{
	size_t nlen = strlen(name), pos = 0;
	struct buf v = {0};
	bool in = false;

	while (pos < len) {
		size_t end = pos, next;

		while (end < len && text[end] != '\n' && text[end] != '\r')
			end++;
		next = end < len && text[end] == '\r' && end + 1 < len && text[end + 1] == '\n' ?
		       end + 2 : end < len ? end + 1 : end;
		if (end == pos)
			break;  /* the empty line ending the headers */
		if (text[pos] == ' ' || text[pos] == '\t') {
			if (in) {
				buf_addc(&v, '\n');
				buf_add(&v, text + pos, end - pos);
			}
		} else if (!memchr(text + pos, ':', end - pos)) {
			break;  /* no header: the headers end (a defect to Python) */
		} else {
			if (in)
				break;  /* the next header */
			if (end - pos > nlen && text[pos + nlen] == ':' &&
			    !strncasecmp(text + pos, name, nlen)) {
				size_t s = pos + nlen + 1;

				while (s < end && (text[s] == ' ' || text[s] == '\t'))
					s++;
				buf_add(&v, text + s, end - s);
				buf_adds(&v, "");
				in = true;
			}
		}
		pos = next;
	}
	if (!in) {
		buf_free(&v);
		return NULL;
	}
	return buf_take(&v);
}

/* --- the files pip writes ----------------------------------------------- */

/* A file by the path pip writes it to (normalised). */
struct file {
	char *data;
	size_t len;
	unsigned mode;
};

struct install {
	struct wheel w;
	const struct scheme *s;
	const struct install_options *o;
	char *info;              /* NAME-VERSION.dist-info */
	char *lib;               /* purelib or platlib, per Root-Is-Purelib */
	char *headers;           /* the headers dir with the project's name */
	struct intern paths;     /* files, in the order first written */
	struct file *files;
	size_t files_cap;
	/* pip's installed (wheel RECORD path -> installed RECORD path),
	 * changed and generated */
	struct intern src;
	char **dst;
	bool *popped;
	size_t src_cap;
	struct intern changed;
	struct strv generated;
	struct scripts_eps eps;
};

/* Write path (normalised): pip unlinks what was there, so the mode is
 * the new one's. */
static void put(struct install *in, const char *path, char *data, size_t len, unsigned mode)
{
	bool added;
	size_t i = intern_add(&in->paths, path, strlen(path), &added);

	xgrow((void **)&in->files, &in->files_cap, in->paths.n, sizeof *in->files);
	if (added)
		memset(&in->files[i], 0, sizeof *in->files);
	free(in->files[i].data);
	in->files[i].data = data;
	in->files[i].len = len;
	in->files[i].mode = mode;
}

static struct file *file_at(struct install *in, const char *path)
{
	char *p = pystr_normpath(path);
	size_t i = intern_find(&in->paths, p, strlen(p));

	free(p);
	return i == INTERN_NONE ? NULL : &in->files[i];
}

/* pip's record_installed(srcfile, destfile, modified). */
static void record_installed(struct install *in, const char *src, const char *dest, bool modified)
{
	char *rel = relpath(dest, in->lib);
	bool added;
	size_t i = intern_add(&in->src, src, strlen(src), &added);

	if (added) {
		xgrow((void **)&in->dst, &in->src_cap, in->src.n, sizeof *in->dst);
		in->popped = xrealloc(in->popped, in->src_cap * sizeof *in->popped);
		in->dst[i] = NULL;
		in->popped[i] = false;
	}
	free(in->dst[i]);
	in->dst[i] = rel;
	if (modified)
		intern_add(&in->changed, rel, strlen(rel), NULL);
}

static void install_free(struct install *in)
{
	for (size_t i = 0; i < in->paths.n; i++)
		free(in->files[i].data);
	free(in->files);
	intern_free(&in->paths);
	for (size_t i = 0; i < in->src.n; i++)
		free(in->dst[i]);
	free(in->dst);
	free(in->popped);
	intern_free(&in->src);
	intern_free(&in->changed);
	strv_free(&in->generated);
	scripts_eps_free(&in->eps);
	free(in->info);
	free(in->lib);
	free(in->headers);
	wheel_free(&in->w);
}

/* --- the wheel's checks --------------------------------------------------- */

/* pip's wheel_dist_info_dir: the one top-level *.dist-info, its name
 * starting with the project's (here the wheel file's) once canonical. */
static int find_info(struct install *in, struct pbrx_error *e)
{
	const char *base = strrchr(in->w.path, '/'), *dash;
	struct intern tops = {0};
	char *want, *have;
	int rc = 0;

	base = base ? base + 1 : in->w.path;
	for (size_t i = 0; i < in->w.names.n; i++)
		intern_add(&tops, in->w.m[i].name, strcspn(in->w.m[i].name, "/"), NULL);
	for (size_t i = 0; i < tops.n; i++) {
		if (!ends_with(tops.v[i].s, ".dist-info"))
			continue;
		if (in->info) {
			rc = error_set(e, EXIT_USAGE, "%s: more than one .dist-info directory: %s, %s",
			               in->w.path, in->info, tops.v[i].s);
			goto out;
		}
		in->info = xstrdup(tops.v[i].s);
	}
	if (!in->info) {
		rc = error_set(e, EXIT_USAGE, "%s: no .dist-info directory", in->w.path);
		goto out;
	}
	dash = strchr(base, '-');
	if (!dash || dash == base) {
		rc = error_set(e, EXIT_USAGE, "%s: not a wheel file name (NAME-VERSION-...whl)",
		               in->w.path);
		goto out;
	}
	want = pyname_canonical(base, (size_t)(dash - base));
	have = pyname_canonical(in->info, strlen(in->info));
	if (strncmp(have, want, strlen(want)))
		rc = error_set(e, EXIT_USAGE, "%s: %s does not start with %s", in->w.path, in->info,
		               want);
	free(want);
	free(have);
out:
	intern_free(&tops);
	return rc;
}

/* A member of the .dist-info directory, text as pip decodes it. */
static struct member *info_member(struct install *in, const char *file, bool required,
                                  struct pbrx_error *e)
{
	char *name = xconcat(in->info, "/", file, (char *)NULL);
	struct member *m = member(&in->w, name);

	if (!m && required)
		error_set(e, EXIT_USAGE, "%s: %s: missing", in->w.path, name);
	else if (m && (!m->data || !pystr_utf8_valid(m->data, m->len))) {
		error_set(e, EXIT_USAGE, "%s: %s: not UTF-8 text", in->w.path, name);
		m = NULL;
	}
	free(name);
	return m;
}

/* WHEEL (Wheel-Version 1.x, pip's check_compatibility) and
 * Root-Is-Purelib; METADATA's Name for the headers directory. */
static int read_wheel_metadata(struct install *in, struct pbrx_error *e)
{
	struct member *m;
	char *v, *name, *ver;
	const char *p;
	size_t n;

	if (!(m = info_member(in, "WHEEL", true, e)))
		return -1;
	v = header_value(m->data, m->len, "Wheel-Version");
	if (!v) {
		return error_set(e, EXIT_USAGE, "%s: %s/WHEEL: no Wheel-Version", in->w.path,
		                 in->info);
	}
	p = v;
	n = strlen(v);
	pystr_strip(&p, &n);
	ver = xstrndup(p, n);
	free(v);
	/* tuple(map(int, version.split("."))): digits between dots */
	for (size_t i = 0; i <= n; i++) {
		bool end = i == n || ver[i] == '.';

		if ((end && (!i || ver[i - 1] == '.')) || (!end && (ver[i] < '0' || ver[i] > '9'))) {
			error_set(e, EXIT_USAGE, "%s: %s/WHEEL: invalid Wheel-Version '%s'", in->w.path,
			          in->info, ver);
			free(ver);
			return -1;
		}
	}
	/* pip's check_compatibility: the major version at most 1 */
	{
		size_t digits = strcspn(ver, "."), zeros = strspn(ver, "0");

		if (zeros > digits)
			zeros = digits;
		if (digits - zeros > 1 || (digits - zeros == 1 && ver[zeros] > '1')) {
			error_set(e, EXIT_USAGE, "%s: Wheel-Version %s is not compatible with pip 23.0.1",
			          in->w.path, ver);
			free(ver);
			return -1;
		}
	}
	free(ver);
	v = header_value(m->data, m->len, "Root-Is-Purelib");
	in->lib = xstrdup(v && !strcasecmp(v, "true") ? in->s->purelib : in->s->platlib);
	free(v);
	if (!(m = info_member(in, "METADATA", true, e)))
		return -1;
	name = header_value(m->data, m->len, "Name");
	/* pip uses the name on its command line; a valid name is one. */
	if (!name || !pyname_valid(name)) {
		error_set(e, EXIT_USAGE, "%s: %s/METADATA: no valid Name", in->w.path, in->info);
		free(name);
		return -1;
	}
	in->headers = path_join(in->s->headers, name);
	free(name);
	if ((m = info_member(in, "entry_points.txt", false, e))) {
		char *what = xconcat(in->info, "/entry_points.txt", (char *)NULL);
		int rc = scripts_read_eps(m->data, m->len, what, &in->eps, e);

		free(what);
		if (rc < 0)
			return error_wrap(e, "%s", in->w.path);
	}
	return e->msg ? -1 : 0;
}

/* Every member but RECORD itself (and its signatures) in RECORD, with
 * a hash and a size that match: pip 23.0.1 checks nothing, but the wheel
 * spec asks installers to. */
static int check_record(struct install *in, const struct record *rec, struct pbrx_error *e)
{
	struct intern rows = {0};
	size_t *first = xcalloc(rec->n + 1, sizeof *first);
	int rc = 0;

	/* the first row of each path, by the path's number */
	for (size_t i = 0; i < rec->n; i++) {
		bool added;
		size_t k = intern_add(&rows, rec->v[i].path, strlen(rec->v[i].path), &added);

		if (added)
			first[k] = i;
	}
	for (size_t i = 0; i < in->w.names.n && !rc; i++) {
		const struct member *m = &in->w.m[i];
		const struct record_row *row;
		const char *slash = strchr(m->name, '/');
		size_t k;
		int ok;

		if (ends_with(m->name, "/"))
			continue;
		if (slash && (size_t)(slash - m->name) == strlen(in->info) &&
		    !strncmp(m->name, in->info, (size_t)(slash - m->name)) &&
		    (!strcmp(slash, "/RECORD") || !strcmp(slash, "/RECORD.jws") ||
		     !strcmp(slash, "/RECORD.p7s")))
			continue;
		k = intern_find(&rows, m->name, strlen(m->name));
		if (k == INTERN_NONE) {
			rc = error_set(e, EXIT_USAGE, "%s: %s: not in RECORD", in->w.path, m->name);
			break;
		}
		row = &rec->v[first[k]];
		if (!*row->hash) {
			rc = error_set(e, EXIT_USAGE, "%s: %s: no hash in RECORD", in->w.path, m->name);
			break;
		}
		ok = record_check(row->hash, m->data, m->len, e);
		if (ok < 0) {
			rc = error_wrap(e, "%s: %s", in->w.path, m->name);
		} else if (!ok) {
			rc = error_set(e, EXIT_USAGE, "%s: %s: hash does not match RECORD", in->w.path,
			               m->name);
		} else if (*row->size) {
			char *end;
			unsigned long long size = strtoull(row->size, &end, 10);

			if (*end || row->size[0] == '-' || size != m->len)
				rc = error_set(e, EXIT_USAGE, "%s: %s: size %zu, RECORD says %s",
				               in->w.path, m->name, m->len, row->size);
		}
	}
	free(first);
	intern_free(&rows);
	return rc;
}

/* --- pip's _install_wheel --------------------------------------------------- */

static bool is_data(const char *name)
{
	size_t k = strcspn(name, "/");

	return k >= 5 && !memcmp(name + k - 5, ".data", 5);
}

static bool is_script(const char *name)
{
	const char *slash = strchr(name, '/');

	return is_data(name) && slash && !strncmp(slash + 1, "scripts/", 8);
}

/* Where pip writes member name: its root_scheme_file_maker or
 * data_scheme_file_maker.  A path that leaves its directory is refused;
 * pip's is_within_directory compares strings, not components, and lets
 * "../site-packages-x/f" through. */
static int destination(struct install *in, const char *name, char **dest, struct pbrx_error *e)
{
	char *normed = pystr_normpath(name);
	const char *top = in->lib, *sub = normed;
	int rc = 0;

	if (is_data(name)) {
		const char *key = strchr(normed, '/'), *rest = key ? strchr(key + 1, '/') : NULL;
		size_t klen = rest ? (size_t)(rest - key - 1) : 0;

		if (!rest) {
			rc = error_set(e, EXIT_USAGE, "%s: %s: a .data file outside a scheme directory",
			               in->w.path, name);
			goto out;
		}
		key++;
		if (klen == 7 && !memcmp(key, "purelib", 7))
			top = in->s->purelib;
		else if (klen == 7 && !memcmp(key, "platlib", 7))
			top = in->s->platlib;
		else if (klen == 7 && !memcmp(key, "scripts", 7))
			top = in->s->scripts;
		else if (klen == 7 && !memcmp(key, "headers", 7))
			top = in->headers;
		else if (klen == 4 && !memcmp(key, "data", 4))
			top = in->s->data;
		else {
			rc = error_set(e, EXIT_USAGE, "%s: %s: unknown scheme key '%.*s' (data, headers,"
			               " platlib, purelib, scripts)", in->w.path, name, (int)klen, key);
			goto out;
		}
		sub = rest + 1;
	}
	if (sub[0] == '/' || !strcmp(sub, ".") || !strcmp(sub, "..") || !strncmp(sub, "../", 3)) {
		rc = error_set(e, EXIT_USAGE, "%s: %s: outside %s", in->w.path, name, top);
		goto out;
	}
	*dest = path_join(top, sub);
out:
	free(normed);
	return rc;
}

/* Install the members of one kind: pip's root files, then the other
 * .data files, then .data/scripts (setuptools' wrappers left out, the
 * "#!python" line rewritten). */
enum pass { ROOT, DATA, SCRIPTS };

static int install_files(struct install *in, enum pass pass, struct pbrx_error *e)
{
	for (size_t i = 0; i < in->w.names.n; i++) {
		struct member *m = &in->w.m[i];
		char *dest = NULL, *data = NULL, *fixed;
		size_t len;
		bool script = is_script(m->name);

		if (ends_with(m->name, "/"))
			continue;
		if ((pass == ROOT) != !is_data(m->name) || (pass == SCRIPTS) != script)
			continue;
		if (destination(in, m->name, &dest, e) < 0)
			return -1;
		if (script) {
			const char *base = strrchr(dest, '/');

			if (scripts_is_wrapper(&in->eps, base ? base + 1 : dest)) {
				free(dest);
				continue;
			}
		}
		fixed = script ? scripts_fix_shebang(m->data, m->len, in->s->python, &len) : NULL;
		if (!fixed) {
			len = m->len;
			data = xmalloc(len + 1);
			memcpy(data, m->data, len);
		}
		put(in, dest, fixed ? fixed : data, len, executable(m) ? 0755 : 0644);
		record_installed(in, m->name, dest, fixed != NULL);
		free(dest);
	}
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* importlib.util.cache_from_source(path) at optimisation level 0. */
static char *cache_from_source(const char *path, const char *tag)
{
	const char *slash = strrchr(path, '/'), *tail = slash ? slash + 1 : path;
	const char *dot = strrchr(tail, '.');
	char *head = xstrndup(path, (size_t)(tail - path)), *out;

	if (!dot)
		out = xasprintf("%s__pycache__/%s.%s.pyc", head, tail, tag);
	else if (dot == tail)
		out = xasprintf("%s__pycache__/%s.%s.pyc", head, dot + 1, tag);
	else
		out = xasprintf("%s__pycache__/%.*s.%s.pyc", head, (int)(dot - tail), tail, tag);
	free(head);
	return out;
}

/* pip's pyc_source_file_paths and the compile loop: the .pyc of each
 * installed .py file, from the compile program's output. */
static int install_pyc(struct install *in, struct pbrx_error *e)
{
	struct strv rels = {0};
	struct stat st;
	int rc = 0;

	if (stat(in->o->pyc_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set(e, EXIT_FAIL, "%s: %s: %s (install_compile_program writes it)",
		                 in->w.path, in->o->pyc_dir, strerror(errno ? errno : ENOTDIR));
	for (size_t i = 0; i < in->src.n; i++)
		strv_add(&rels, in->dst[i]);
	if (rels.n)
		qsort(rels.v, rels.n, sizeof *rels.v, compare_strings);
	for (size_t i = 0; i < rels.n && !rc; i++) {
		char *full, *pyc, *normed, *host, *data;
		size_t len;
		struct pbrx_error ferr = {0};

		if (i && !strcmp(rels.v[i], rels.v[i - 1]))
			continue;
		full = path_join(in->lib, rels.v[i]);
		if (!ends_with(full, ".py") || !file_at(in, full)) {
			free(full);
			continue;
		}
		pyc = cache_from_source(full, in->s->cache_tag);
		normed = pystr_normpath(pyc);
		host = xconcat(in->o->pyc_dir, normed, (char *)NULL);
		if (access(host, F_OK) == 0) {
			if ((data = fs_read(host, &len, &ferr))) {
				put(in, normed, data, len, 0644);
				record_installed(in, pyc, pyc, false);
			} else {
				rc = error_set(e, EXIT_FAIL, "%s", ferr.msg);
				error_free(&ferr);
			}
		}
		free(host);
		free(normed);
		free(pyc);
		free(full);
	}
	strv_free(&rels);
	return rc;
}

/* pip's get_csv_rows_for_installed and the RECORD it writes. */
static int write_record(struct install *in, const struct record *old, struct pbrx_error *e)
{
	struct record rows = {0};
	char *text, *path;
	size_t len;

	for (size_t i = 0; i < old->n; i++) {
		const char *p = old->v[i].path;
		size_t k = intern_find(&in->src, p, strlen(p));

		if (k != INTERN_NONE && !in->popped[k]) {
			in->popped[k] = true;
			p = in->dst[k];
		}
		if (intern_find(&in->changed, p, strlen(p)) != INTERN_NONE) {
			char *full = path_join(in->lib, p), *h, *size;
			struct file *f = file_at(in, full);

			free(full);
			if (!f) {
				record_free(&rows);
				return error_set(e, EXIT_FAIL, "%s: %s: changed but not installed",
				                 in->w.path, p);
			}
			h = record_hash(f->data, f->len);
			size = xasprintf("%zu", f->len);
			record_add(&rows, p, h, size);
			free(h);
			free(size);
		} else {
			record_add(&rows, p, old->v[i].hash, old->v[i].size);
		}
	}
	for (size_t i = 0; i < in->generated.n; i++) {
		struct file *f = file_at(in, in->generated.v[i]);
		char *rel = relpath(in->generated.v[i], in->lib), *h = record_hash(f->data, f->len);
		char *size = xasprintf("%zu", f->len);

		record_add(&rows, rel, h, size);
		free(rel);
		free(h);
		free(size);
	}
	for (size_t i = 0; i < in->src.n; i++)
		if (!in->popped[i])
			record_add(&rows, in->dst[i], "", "");
	text = record_text(&rows, &len);
	record_free(&rows);
	path = xconcat(in->lib, "/", in->info, "/RECORD", (char *)NULL);
	put(in, path, text, len, 0644);
	free(path);
	return 0;
}

/* A generated file: INSTALLER, REQUESTED. */
static void generate(struct install *in, const char *file, const char *text)
{
	char *path = xconcat(in->lib, "/", in->info, "/", file, (char *)NULL);

	put(in, path, xstrdup(text), strlen(text), 0644);
	strv_push(&in->generated, path);
}

/* --- the layer ------------------------------------------------------------------ */

/* Where a write to path (absolute, normalised) lands in the image: its
 * parent directories followed through the image's symlinks, as the
 * kernel would for pip; the directories that don't exist appended to
 * mkdirs (the ones not in have yet). */
static int place(struct install *in, const char *path, char **real, struct intern *have,
                 struct strv *mkdirs, struct pbrx_error *e)
{
	struct buf cur = {0};
	char *rest = xstrdup(path + 1);
	bool missing = false;
	int hops = 0, rc = 0;

	buf_adds(&cur, "");
	for (;;) {
		size_t k = strcspn(rest, "/");
		char *comp, *next, *target = NULL, *more;
		enum install_base_kind kind;

		if (!rest[k])
			break;  /* rest is the last component */
		comp = xstrndup(rest, k);
		more = xstrdup(rest + k + strspn(rest + k, "/"));
		free(rest);
		rest = more;
		if (!*comp || !strcmp(comp, ".")) {
			free(comp);
			continue;
		}
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(cur.p, '/');

			cur.len = slash ? (size_t)(slash - cur.p) : 0;
			cur.p[cur.len] = '\0';
			free(comp);
			continue;
		}
		next = xconcat(cur.p, "/", comp, (char *)NULL);
		free(comp);
		kind = missing || !in->o->base_lookup ? INSTALL_BASE_NONE :
		       in->o->base_lookup(next, &target, in->o->base_arg);
		if (kind == INSTALL_BASE_SYMLINK && !target)
			kind = INSTALL_BASE_OTHER;
		if (kind == INSTALL_BASE_SYMLINK) {
			if (++hops > 40) {
				rc = error_set(e, EXIT_USAGE, "%s: %s: too many levels of symbolic links",
				               in->w.path, path);
				free(target);
				free(next);
				break;
			}
			more = xconcat(target, "/", rest, (char *)NULL);
			free(rest);
			rest = more;
			if (target[0] == '/') {
				cur.len = 0;
				cur.p[0] = '\0';
				while (*rest == '/')
					memmove(rest, rest + 1, strlen(rest));
			}
			free(target);
			free(next);
			continue;
		}
		free(target);
		if (kind == INSTALL_BASE_OTHER) {
			rc = error_set(e, EXIT_USAGE, "%s: %s: %s is not a directory in the image",
			               in->w.path, path, next);
			free(next);
			break;
		}
		if (kind == INSTALL_BASE_NONE) {
			bool added;

			missing = true;
			intern_add(have, next, strlen(next), &added);
			if (added)
				strv_add(mkdirs, next);
		}
		cur.len = 0;
		buf_adds(&cur, next);
		free(next);
	}
	if (!rc) {
		*real = xconcat(cur.p, "/", rest, (char *)NULL);
		if (!missing && in->o->base_lookup) {
			char *target = NULL;

			if (in->o->base_lookup(*real, &target, in->o->base_arg) == INSTALL_BASE_DIR) {
				rc = error_set(e, EXIT_USAGE, "%s: %s: a directory in the image",
				               in->w.path, *real);
				free(*real);
				*real = NULL;
			}
			free(target);
		}
	}
	free(rest);
	buf_free(&cur);
	return rc;
}

/* Everything gathered, into the layer: only now, so that a refused
 * wheel leaves the layer as it was. */
static int add_to_layer(struct install *in, struct layer *l, struct pbrx_error *e)
{
	struct intern have = {0};
	struct strv mkdirs = {0}, reals = {0};
	int rc = 0;

	for (size_t i = 0; i < in->paths.n && !rc; i++) {
		char *real = NULL;

		rc = place(in, intern_name(&in->paths, i), &real, &have, &mkdirs, e);
		if (!rc)
			strv_push(&reals, real);
	}
	if (!rc) {
		/* os.makedirs and mkdir with the umask pip's run has: 022 */
		for (size_t i = 0; i < mkdirs.n; i++)
			layer_add_dir(l, mkdirs.v[i], 0755);
		for (size_t i = 0; i < reals.n; i++)
			layer_add_file(l, reals.v[i], in->files[i].mode, in->files[i].data,
			               in->files[i].len);
	}
	strv_free(&reals);
	strv_free(&mkdirs);
	intern_free(&have);
	return rc;
}

int install_wheel(struct layer *l, const char *wheel_path, const struct scheme *s,
                  const struct install_options *o, struct pbrx_error *e)
{
	static const struct install_options none;
	struct install in = { .w = { .path = wheel_path }, .s = s, .o = o ? o : &none };
	struct record rec = {0};
	struct scripts_wrappers wrappers = {0};
	struct member *m;
	int rc = -1;

	if (read_central_directory(&in.w, e) < 0 || read_members(&in.w, e) < 0 ||
	    find_info(&in, e) < 0 || read_wheel_metadata(&in, e) < 0)
		goto out;
	if (!(m = info_member(&in, "RECORD", true, e)))
		goto out;
	{
		char *what = xconcat(in.info, "/RECORD", (char *)NULL);
		int r = record_parse(m->data, m->len, what, &rec, e);

		free(what);
		if (r < 0) {
			error_wrap(e, "%s", wheel_path);
			goto out;
		}
	}
	if (check_record(&in, &rec, e) < 0)
		goto out;
	if (install_files(&in, ROOT, e) < 0 || install_files(&in, DATA, e) < 0 ||
	    install_files(&in, SCRIPTS, e) < 0)
		goto out;
	if (in.o->pyc_dir && install_pyc(&in, e) < 0)
		goto out;
	if (scripts_wrappers(&in.eps, s->python, s->version, &wrappers, e) < 0) {
		error_wrap(e, "%s", wheel_path);
		goto out;
	}
	for (size_t i = 0; i < wrappers.n; i++) {
		char *path = path_join(s->scripts, wrappers.v[i].name);

		put(&in, path, wrappers.v[i].data, wrappers.v[i].len, 0755);
		wrappers.v[i].data = NULL;
		strv_push(&in.generated, path);
	}
	generate(&in, "INSTALLER", "pbrx\n");
	if (in.o->requested)
		generate(&in, "REQUESTED", "");
	if (write_record(&in, &rec, e) < 0 || add_to_layer(&in, l, e) < 0)
		goto out;
	rc = 0;
out:
	scripts_wrappers_free(&wrappers);
	record_free(&rec);
	install_free(&in);
	return rc;
}
