/*
 * Copyright (c) 2026 the ct-offload authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/* The functions behind the stand-in headers of include/ (ct-offload
 * conformance kit, default build).
 *
 * Written for this kit from what lib/ct-offload.c and lib/ct-offload-dummy.c
 * call; none of it comes from Open vSwitch.  Each function keeps the meaning
 * OVS gives it where the code under test can tell (allocation never returns
 * NULL, assertions and locking mistakes abort, the private-slot allocator
 * fails once every slot is taken) and adds nothing else.  The harness is
 * single-threaded. */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conntrack.h"
#include "dpif-offload.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "timeval.h"
#include "util.h"

/* The harness's clock: the time of the step being run (see timeval.h). */
long long ct_harness_now;

long long
time_msec(void)
{
    return ct_harness_now;
}

void
ovs_assert_failure(const char *where, const char *function,
                   const char *condition)
{
    fprintf(stderr, "%s: assertion %s failed in %s()\n",
            where, condition, function);
    abort();
}

static void *
check_alloc(void *p)
{
    if (!p) {
        fprintf(stderr, "virtual memory exhausted\n");
        abort();
    }
    return p;
}

void *
xmalloc(size_t size)
{
    return check_alloc(malloc(size ? size : 1));
}

void *
xzalloc(size_t size)
{
    return check_alloc(calloc(1, size ? size : 1));
}

void *
xrealloc(void *p, size_t size)
{
    return check_alloc(realloc(p, size ? size : 1));
}

const char *
ovs_strerror(int error)
{
    return strerror(error);
}

static void OVS_NO_RETURN
mutex_failure(const char *what, const char *where, int error)
{
    fprintf(stderr, "%s: pthread_mutex_%s failed (%s)\n",
            where, what, strerror(error));
    abort();
}

void
ct_standin_mutex_lock(const struct ovs_mutex *mutex_, const char *where)
{
    struct ovs_mutex *mutex = CONST_CAST(struct ovs_mutex *, mutex_);
    int error = pthread_mutex_lock(&mutex->lock);

    if (error) {
        mutex_failure("lock", where, error);
    }
    mutex->where = where;
}

void
ct_standin_mutex_unlock(const struct ovs_mutex *mutex_, const char *where)
{
    struct ovs_mutex *mutex = CONST_CAST(struct ovs_mutex *, mutex_);
    int error;

    mutex->where = "<unlocked>";
    error = pthread_mutex_unlock(&mutex->lock);
    if (error) {
        mutex_failure("unlock", where, error);
    }
}

bool
ct_standin_once_start(struct ovsthread_once *once)
{
    ovs_mutex_lock(&once->mutex);
    if (!once->done) {
        return true;            /* The caller initialises, then calls done. */
    }
    ovs_mutex_unlock(&once->mutex);
    return false;
}

void
ovsthread_once_done(struct ovsthread_once *once)
{
    __atomic_store_n(&once->done, true, __ATOMIC_RELEASE);
    ovs_mutex_unlock(&once->mutex);
}

static ct_private_id_t next_private_id;

ct_private_id_t
conn_private_id_alloc(void (*destructor)(void *) OVS_UNUSED)
{
    if (next_private_id >= CT_CONN_PRIVATE_MAX) {
        return CT_PRIVATE_ID_INVALID;
    }
    return next_private_id++;
}

bool
dpif_offload_enabled(void)
{
    return false;
}

bool
dpif_offload_class_is_registered(const char *name OVS_UNUSED)
{
    return false;
}

static enum vlog_level log_level = VLL_OFF;

void
vlog_set_levels(struct vlog_module *module OVS_UNUSED,
                enum vlog_destination destination OVS_UNUSED,
                enum vlog_level level)
{
    log_level = level;
}

void
ct_standin_vlog(enum vlog_level level, const char *module,
                const char *format, ...)
{
    static const char *const names[] = {
        "OFF", "EMER", "ERR", "WARN", "INFO", "DBG",
    };
    va_list args;

    if (level > log_level || level <= VLL_OFF || level >= VLL_N_LEVELS) {
        return;
    }
    fprintf(stderr, "%s|%s|", module, names[level]);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
}
