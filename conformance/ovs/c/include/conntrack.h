/* Stand-in for Open vSwitch's lib/conntrack.h (ct-offload conformance kit;
 * see config.h): only the per-connection private storage of the series'
 * patch 01, which lib/ct-offload.c uses for its marks.
 *
 * conn_private_id_alloc() hands out the slots 0, 1, ... in order and
 * returns CT_PRIVATE_ID_INVALID once all CT_CONN_PRIVATE_MAX are in use, as
 * the series documents it.  The harness relies on nothing else: it exhausts
 * the slots through this function to make lib/ct-offload.c's own allocation
 * fail (a scenario's "private_slot": false). */

#ifndef CT_STANDIN_CONNTRACK_H
#define CT_STANDIN_CONNTRACK_H 1

#include <limits.h>

#define CT_CONN_PRIVATE_MAX 8

typedef unsigned int ct_private_id_t;

#define CT_PRIVATE_ID_INVALID UINT_MAX

ct_private_id_t conn_private_id_alloc(void (*destructor)(void *));

#endif /* conntrack.h */
