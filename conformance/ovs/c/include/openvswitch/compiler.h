/* Stand-in for Open vSwitch's include/openvswitch/compiler.h (ct-offload
 * conformance kit; see config.h).  The thread-safety annotations expand to
 * nothing: they are checked by clang's -Wthread-safety in OVS, and mean
 * nothing at run time. */

#ifndef CT_STANDIN_OPENVSWITCH_COMPILER_H
#define CT_STANDIN_OPENVSWITCH_COMPILER_H 1

#include <stdbool.h>
#include <stddef.h>

#ifndef __has_attribute
#define __has_attribute(x) 0
#endif

#define OVS_UNUSED __attribute__((__unused__))
#define OVS_NO_RETURN __attribute__((__noreturn__))
#define OVS_PRINTF_FORMAT(FMT, ARG1) __attribute__((__format__(printf, FMT, ARG1)))
#define OVS_LIKELY(CONDITION) __builtin_expect(!!(CONDITION), 1)
#define OVS_UNLIKELY(CONDITION) __builtin_expect(!!(CONDITION), 0)

#define OVS_GUARDED
#define OVS_GUARDED_BY(...)
#define OVS_ACQUIRES(...)
#define OVS_TRY_LOCK(...)
#define OVS_RELEASES(...)
#define OVS_REQUIRES(...)
#define OVS_EXCLUDED(...)
#define OVS_LOCKABLE
#define OVS_NO_THREAD_SAFETY_ANALYSIS

#endif /* openvswitch/compiler.h */
