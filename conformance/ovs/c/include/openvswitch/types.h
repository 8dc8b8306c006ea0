/* Stand-in for Open vSwitch's include/openvswitch/types.h (ct-offload
 * conformance kit; see config.h): the integer types lib/ct-offload.h uses.
 * OVS marks odp_port_t OVS_BITWISE for sparse; to the compiler it is a
 * uint32_t. */

#ifndef CT_STANDIN_OPENVSWITCH_TYPES_H
#define CT_STANDIN_OPENVSWITCH_TYPES_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "openvswitch/compiler.h"

typedef uint32_t odp_port_t;

#endif /* openvswitch/types.h */
