/* Stand-in for Open vSwitch's lib/dpif-offload.h (ct-offload conformance
 * kit; see config.h).  The harness runs no datapath: hardware offload is
 * disabled and no dpif offload class is registered, so
 * ct_offload_module_init() and ct_offload_set_global_cfg() register nothing
 * (the harness calls neither; it registers its providers itself). */

#ifndef CT_STANDIN_DPIF_OFFLOAD_H
#define CT_STANDIN_DPIF_OFFLOAD_H 1

#include <stdbool.h>

bool dpif_offload_enabled(void);
bool dpif_offload_class_is_registered(const char *name);

#endif /* dpif-offload.h */
