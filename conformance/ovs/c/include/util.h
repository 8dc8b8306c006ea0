/* Stand-in for Open vSwitch's lib/util.h (ct-offload conformance kit; see
 * config.h): assertions, allocation that never returns NULL, and the small
 * macros lib/ct-offload.c and lib/ct-offload-dummy.c use.  As in OVS,
 * ovs_assert() is checked in every build and a failed one aborts, and
 * xmalloc()/xrealloc() abort when memory runs out. */

#ifndef CT_STANDIN_UTIL_H
#define CT_STANDIN_UTIL_H 1

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "openvswitch/compiler.h"
#include "openvswitch/types.h"

#define ARRAY_SIZE(ARRAY) (sizeof (ARRAY) / sizeof (ARRAY)[0])
#define CONST_CAST(TYPE, POINTER) ((TYPE) (POINTER))

OVS_NO_RETURN void ovs_assert_failure(const char *where, const char *function,
                                      const char *condition);

#define ovs_assert(CONDITION)                                               \
    (OVS_LIKELY(CONDITION)                                                  \
     ? (void) 0                                                             \
     : ovs_assert_failure(__FILE__ ":" CT_STANDIN_STR(__LINE__), __func__, \
                          #CONDITION))
#define CT_STANDIN_STR(X) CT_STANDIN_STR_(X)
#define CT_STANDIN_STR_(X) #X

void *xmalloc(size_t);
void *xzalloc(size_t);
void *xrealloc(void *, size_t);
const char *ovs_strerror(int error);

#endif /* util.h */
