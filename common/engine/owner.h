/* SPDX-License-Identifier: Apache-2.0 */
/* owner: which process made a container, so that a later run can tell a
 * container left by a run that died (SIGKILL, an engine restart, a host
 * crash: no cleanup ran) from one a live run is using.
 *
 * Every container a stage creates is named PREFIX.TOKEN, where TOKEN is
 * "pbrx-BOOT-PIDNS-PID-START":
 *   BOOT   the first 16 hex digits of /proc/sys/kernel/random/boot_id:
 *          this host, this boot (64 bits: the pid namespace of the host
 *          has the same inode number, 4026531836, on every Linux machine,
 *          so BOOT alone tells machines sharing an engine apart);
 *   PIDNS  the inode of /proc/self/ns/pid: processes in other containers
 *          or pid namespaces have pids that mean nothing here;
 *   PID    the process;
 *   START  field 22 of /proc/PID/stat (clock ticks since boot): a pid
 *          used again by another process has another start time.
 * It matches [a-zA-Z0-9_.-]*, as Docker, Podman and buildah names must.
 *
 * A container is stale only when it is certain its process is gone: the
 * token is ours in BOOT and PIDNS, and that pid does not exist or started
 * at another time.  Anything else (another host, another boot, another
 * namespace, no token, a token that does not parse, a process whose
 * /proc entry can't be read) is never stale: an engine may be shared by
 * several machines and CI jobs, and removing another's container would
 * break its build. */
#ifndef PBRX_OWNER_H
#define PBRX_OWNER_H

#include <stdbool.h>

/* prefix "." and this process's token: a container name.  Just prefix
 * when /proc can't tell the token (then nothing made here is ever taken
 * for stale).  Malloc'd.  Computed on each call, so a forked child gets
 * its own. */
char *owner_name(const char *prefix);
/* Can this process's token be told (so its containers carry one)? */
bool owner_known(void);
/* Does name end with a token of a process of this boot and this pid
 * namespace that is gone?  *pid (may be NULL) gets that pid when so. */
bool owner_stale(const char *name, long *pid);

#endif
