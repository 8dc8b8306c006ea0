/* Stand-in for Open vSwitch's lib/ovs-thread.h (ct-offload conformance kit;
 * see config.h): the mutex and the once-only initialisation that
 * lib/ct-offload.c and lib/ct-offload-dummy.c use.
 *
 * As in OVS on Linux, a mutex is an error-checking pthread mutex and any
 * error (locking a mutex the thread already holds, unlocking one it does not)
 * aborts the program, so a locking mistake in the code under test is a crash,
 * never a silent deadlock.  ovsthread_once_start() returns true, with the
 * once's mutex held, to exactly one caller: the one that must initialise and
 * then call ovsthread_once_done(). */

#ifndef CT_STANDIN_OVS_THREAD_H
#define CT_STANDIN_OVS_THREAD_H 1

#include <pthread.h>
#include <stdbool.h>
#include "openvswitch/compiler.h"

struct ovs_mutex {
    pthread_mutex_t lock;
    const char *where;          /* "<unlocked>" or the locker's function. */
};

#ifdef PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP
#define CT_STANDIN_MUTEX_INIT PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP
#else
#define CT_STANDIN_MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#endif

#define OVS_MUTEX_INITIALIZER { CT_STANDIN_MUTEX_INIT, "<unlocked>" }

void ct_standin_mutex_lock(const struct ovs_mutex *, const char *where);
void ct_standin_mutex_unlock(const struct ovs_mutex *, const char *where);

#define ovs_mutex_lock(MUTEX) ct_standin_mutex_lock(MUTEX, __func__)
#define ovs_mutex_unlock(MUTEX) ct_standin_mutex_unlock(MUTEX, __func__)

struct ovsthread_once {
    bool done;
    struct ovs_mutex mutex;
};

#define OVSTHREAD_ONCE_INITIALIZER { false, OVS_MUTEX_INITIALIZER }

bool ct_standin_once_start(struct ovsthread_once *);
void ovsthread_once_done(struct ovsthread_once *);

static inline bool
ovsthread_once_start(struct ovsthread_once *once)
{
    return !__atomic_load_n(&once->done, __ATOMIC_ACQUIRE) && ct_standin_once_start(once);
}

#endif /* ovs-thread.h */
