/* Stand-in for Open vSwitch's lib/conntrack-private.h (ct-offload
 * conformance kit; see config.h).  lib/ct-offload.c sees a connection only
 * through its private storage slots, so here a connection is nothing else;
 * the accessors check the slot id as the series' accessors do. */

#ifndef CT_STANDIN_CONNTRACK_PRIVATE_H
#define CT_STANDIN_CONNTRACK_PRIVATE_H 1

#include "conntrack.h"
#include "util.h"

struct conn {
    void *private[CT_CONN_PRIVATE_MAX];
};

static inline void *
conn_private_get(const struct conn *conn, ct_private_id_t id)
{
    ovs_assert(id < CT_CONN_PRIVATE_MAX);
    return conn->private[id];
}

static inline void
conn_private_set(struct conn *conn, ct_private_id_t id, void *data)
{
    ovs_assert(id < CT_CONN_PRIVATE_MAX);
    conn->private[id] = data;
}

#endif /* conntrack-private.h */
