/* SPDX-License-Identifier: Apache-2.0 */
#include "exec/fsdiff.h"

#include <string.h>

const char fsdiff_program[] =
	"import json, os, stat, sys\n"
	"def walk(top):\n"
	"    dev = os.lstat(top).st_dev\n"
	"    out = {}\n"
	"    stack = [top]\n"
	"    while stack:\n"
	"        d = stack.pop()\n"
	"        try:\n"
	"            names = os.listdir(d)\n"
	"        except OSError:\n"
	"            continue\n"
	"        for n in names:\n"
	"            p = os.path.join(d, n)\n"
	"            try:\n"
	"                st = os.lstat(p)\n"
	"            except OSError:\n"
	"                continue\n"
	"            if st.st_dev != dev:\n"
	"                continue\n"
	"            out[p] = [st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]\n"
	"            if stat.S_ISDIR(st.st_mode):\n"
	"                stack.append(p)\n"
	"    return out\n"
	"if sys.argv[1] == 'snapshot':\n"
	"    with open(sys.argv[2], 'w') as f:\n"
	"        json.dump(walk('/'), f)\n"
	"    sys.exit(0)\n"
	"import tarfile\n"
	"epoch = int(sys.argv[3])\n"
	"with open(sys.argv[2]) as f:\n"
	"    before = json.load(f)\n"
	"now = walk('/')\n"
	"# ldconfig's aux-cache holds inodes and times of this run: a cache, left out.\n"
	"skip = {'/var/cache/ldconfig/aux-cache'}\n"
	"changed = sorted(p for p, v in now.items() if before.get(p) != v and p not in skip)\n"
	"gone = sorted(p for p in before if p not in now)\n"
	"# a deleted tree is one whiteout, at its top\n"
	"whiteouts = [p for p in gone if os.path.dirname(p) not in gone or os.path.dirname(p) == '/']\n"
	"tf = tarfile.open(fileobj=sys.stdout.buffer, mode='w|', format=tarfile.PAX_FORMAT)\n"
	"entries = [(p[1:], p, False) for p in changed] + [\n"
	"    (os.path.join(os.path.dirname(p), '.wh.' + os.path.basename(p))[1:], p, True) for p in whiteouts]\n"
	"entries.sort()\n"
	"links = {}\n"
	"for name, p, wh in entries:\n"
	"    if wh:\n"
	"        ti = tarfile.TarInfo(name)\n"
	"        ti.mtime = epoch\n"
	"        tf.addfile(ti)\n"
	"        continue\n"
	"    st = os.lstat(p)\n"
	"    ti = tarfile.TarInfo(name)\n"
	"    ti.mode = stat.S_IMODE(st.st_mode)\n"
	"    ti.uid, ti.gid, ti.uname, ti.gname = st.st_uid, st.st_gid, '', ''\n"
	"    ti.mtime = min(int(st.st_mtime), epoch)\n"
	"    xattrs = {}\n"
	"    try:\n"
	"        for k in sorted(os.listxattr(p, follow_symlinks=False)):\n"
	"            if k.startswith(('security.', 'user.')) and k != 'security.selinux':\n"
	"                xattrs['SCHILY.xattr.' + k] = os.getxattr(p, k, follow_symlinks=False).decode('latin-1')\n"
	"    except OSError:\n"
	"        pass\n"
	"    ti.pax_headers = xattrs\n"
	"    key = (st.st_dev, st.st_ino)\n"
	"    if stat.S_ISREG(st.st_mode) and st.st_nlink > 1 and key in links:\n"
	"        ti.type, ti.linkname = tarfile.LNKTYPE, links[key]\n"
	"        tf.addfile(ti)\n"
	"    elif stat.S_ISREG(st.st_mode):\n"
	"        links[key] = name\n"
	"        ti.size = st.st_size\n"
	"        with open(p, 'rb') as f:\n"
	"            tf.addfile(ti, f)\n"
	"    elif stat.S_ISDIR(st.st_mode):\n"
	"        ti.type = tarfile.DIRTYPE\n"
	"        tf.addfile(ti)\n"
	"    elif stat.S_ISLNK(st.st_mode):\n"
	"        ti.type, ti.linkname = tarfile.SYMTYPE, os.readlink(p)\n"
	"        tf.addfile(ti)\n"
	"    elif stat.S_ISFIFO(st.st_mode):\n"
	"        ti.type = tarfile.FIFOTYPE\n"
	"        tf.addfile(ti)\n"
	"    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):\n"
	"        ti.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE\n"
	"        ti.devmajor, ti.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)\n"
	"        tf.addfile(ti)\n"
	"tf.close()\n";

json_t *fsdiff_config(const json_t *from_config, char *const *changes)
{
	static const char *const kept[] = {"User", "Env", "WorkingDir", "ExposedPorts", "Volumes",
	                                   "StopSignal", "Entrypoint", "Cmd", "Labels"};
	json_t *config = json_object();

	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
		json_t *v = json_object_get(from_config, kept[i]);

		if (v && !json_is_null(v) && !(json_is_string(v) && !*json_string_value(v)) &&
		    !(json_is_array(v) && !json_array_size(v)) &&
		    !(json_is_object(v) && !json_object_size(v)))
			json_object_set_new(config, kept[i], json_deep_copy(v));
	}
	for (size_t i = 0; changes && changes[i]; i++) {
		const char *c = changes[i], *sp = strchr(c, ' ');
		json_t *v;

		if (!sp)
			continue;
		if (!strncmp(c, "LABEL ", 6)) {
			/* "KEY"="VALUE", each a JSON string: a JSON string
			 * holds no unescaped quote, so the key ends at the
			 * first quote after its first. */
			const char *end = strchr(sp + 2, '"');
			json_t *k = end ? json_loadb(sp + 1, (size_t)(end - sp), JSON_DECODE_ANY, NULL) : NULL;
			json_t *val = end && end[1] == '=' ? json_loads(end + 2, JSON_DECODE_ANY, NULL) : NULL;

			if (json_is_string(k) && json_is_string(val)) {
				if (!json_is_object(json_object_get(config, "Labels")))
					json_object_set_new(config, "Labels", json_object());
				json_object_set(json_object_get(config, "Labels"), json_string_value(k), val);
			}
			json_decref(k);
			json_decref(val);
			continue;
		}
		v = json_loads(sp + 1, JSON_DECODE_ANY, NULL);
		if (json_is_array(v) && !strncmp(c, "ENTRYPOINT ", 11))
			json_object_set(config, "Entrypoint", v);
		else if (json_is_array(v) && !strncmp(c, "CMD ", 4))
			json_object_set(config, "Cmd", v);
		json_decref(v);
	}
	/* An empty command is none. */
	if (!json_array_size(json_object_get(config, "Cmd")))
		json_object_del(config, "Cmd");
	return config;
}
