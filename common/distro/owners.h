/* SPDX-License-Identifier: Apache-2.0 */
/* owners: which distribution package owns each shared library the
 * compiled extensions of the wheels the images install need (their ELF DT_NEEDED, read by
 * wheel-build), asked of the builder, which has them all (the extensions
 * were linked there): the library's path from the dynamic linker's cache
 * (ldconfig -p; a search of the library directories on musl), then its
 * package from the package manager's database (dpkg -S, apk info
 * --who-owns, rpm -qf).  That set is the least a runtime image needs;
 * image-plan(1) compares it with bindep.txt's runtime selection and,
 * with --runtime-packages auto, installs it instead. */
#ifndef PBRX_OWNERS_H
#define PBRX_OWNERS_H

/* The Python program: `python3 -c PROGRAM OUT SONAME...` writes to OUT
 * one JSON array, an object per soname in order: "soname", "path" (null
 * when the linker doesn't know it) and "package" (null when no package
 * owns it, or no package manager could say), the package name without
 * an architecture qualifier, and "essential": the C library's (libc,
 * libm, libpthread, the loader...) or a package dpkg marks essential or
 * required, which every base image of its distribution has. */
extern const char owners_program[];

#endif
