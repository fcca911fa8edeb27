/* SPDX-License-Identifier: Apache-2.0 */
/* fsdiff: a cached layer (the distribution packages) written by pbrx
 * from what its steps changed in the container, instead of the engine's
 * commit, so that the same packages give the same layer bytes, and with
 * the Python layers (exec/pylayers.h) the same image IDs, however often
 * the cache is dropped.
 *
 * A Python program run in the container with the image's own python3
 * (the images pbrx writes layers for have one: .base.python) notes every
 * file of its root file system before the steps (mode, owner, size,
 * times, inode; other file systems, /tmp's tmpfs and the engine's bind
 * mounts, left out), and after them writes to stdout the tar of what was
 * added or changed and whiteouts (".wh.NAME") for what went: sorted by
 * path, numeric owners kept and no names, mtimes clamped to the epoch,
 * extended attributes in pax headers (file capabilities), hard links as
 * links, and ldconfig's aux-cache (inodes and times of this run) left
 * out.  pbrx then loads the image of that layer over the steps' from
 * image (image/oci.h). */
#ifndef PBRX_FSDIFF_H
#define PBRX_FSDIFF_H

#include <jansson.h>

/* The program: `python3 -c PROGRAM snapshot FILE` notes the tree into
 * FILE; `python3 -c PROGRAM tar FILE EPOCH` writes the tar of the
 * changes since. */
extern const char fsdiff_program[];

/* Where the snapshot goes in the container (its /tmp, a tmpfs). */
#define FSDIFF_SNAPSHOT "/tmp/pbrx-fsdiff.json"

/* The config a commit of a container of an image whose Docker-API
 * "Config" is from_config would give, with the commit changes of
 * engine_commit() ("ENTRYPOINT JSON", "CMD JSON", "LABEL
 * JSON-KEY=JSON-VALUE"): what the image says it runs and with which user,
 * environment, directory, ports, volumes, stop signal and labels.
 * New. */
json_t *fsdiff_config(const json_t *from_config, char *const *changes);

#endif
