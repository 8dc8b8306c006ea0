/* Stand-in for Open vSwitch's generated config.h (ct-offload conformance kit).
 *
 * Written for this kit; not part of Open vSwitch.  The harness build compiles
 * the tree's lib/ct-offload.c and lib/ct-offload-dummy.c against the headers
 * of this directory instead of a configured tree.  Every stand-in provides
 * only what those two files (and the harness) use, with the meaning the real
 * header gives it, and adds no behaviour of its own. */

#ifndef CT_STANDIN_CONFIG_H
#define CT_STANDIN_CONFIG_H 1

/* OVS's configure turns on the GNU and POSIX extensions (AC_USE_SYSTEM_EXTENSIONS). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#endif /* config.h */
