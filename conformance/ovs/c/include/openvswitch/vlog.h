/* Stand-in for Open vSwitch's include/openvswitch/vlog.h (ct-offload
 * conformance kit; see config.h).  Logging is not part of what the harness
 * observes: messages go to stderr when their level is at or below the level
 * set with vlog_set_levels() (none by default), and rate limits are ignored
 * (a rate limit only drops messages). */

#ifndef CT_STANDIN_OPENVSWITCH_VLOG_H
#define CT_STANDIN_OPENVSWITCH_VLOG_H 1

#include "openvswitch/compiler.h"

enum vlog_level {
    VLL_OFF,
    VLL_EMER,
    VLL_ERR,
    VLL_WARN,
    VLL_INFO,
    VLL_DBG,
    VLL_N_LEVELS
};

enum vlog_destination {
    VLF_SYSLOG,
    VLF_CONSOLE,
    VLF_FILE,
    VLF_N_DESTINATIONS,
    VLF_ANY_DESTINATION = -1
};

struct vlog_module;

struct vlog_rate_limit {
    int rate;
    int burst;
};

#define VLOG_RATE_LIMIT_INIT(RATE, BURST) { RATE, BURST }

/* As in OVS: a NULL module sets the level of every module. */
void vlog_set_levels(struct vlog_module *, enum vlog_destination, enum vlog_level);

void ct_standin_vlog(enum vlog_level, const char *module, const char *format, ...)
    OVS_PRINTF_FORMAT(3, 4);

#define VLOG_DEFINE_THIS_MODULE(MODULE) \
    static const char ct_standin_this_module[] OVS_UNUSED = #MODULE

#define VLOG_EMER(...) ct_standin_vlog(VLL_EMER, ct_standin_this_module, __VA_ARGS__)
#define VLOG_ERR(...) ct_standin_vlog(VLL_ERR, ct_standin_this_module, __VA_ARGS__)
#define VLOG_WARN(...) ct_standin_vlog(VLL_WARN, ct_standin_this_module, __VA_ARGS__)
#define VLOG_INFO(...) ct_standin_vlog(VLL_INFO, ct_standin_this_module, __VA_ARGS__)
#define VLOG_DBG(...) ct_standin_vlog(VLL_DBG, ct_standin_this_module, __VA_ARGS__)

#define VLOG_ERR_RL(RL, ...) ((void) (RL), VLOG_ERR(__VA_ARGS__))
#define VLOG_WARN_RL(RL, ...) ((void) (RL), VLOG_WARN(__VA_ARGS__))
#define VLOG_INFO_RL(RL, ...) ((void) (RL), VLOG_INFO(__VA_ARGS__))
#define VLOG_DBG_RL(RL, ...) ((void) (RL), VLOG_DBG(__VA_ARGS__))

#endif /* openvswitch/vlog.h */
