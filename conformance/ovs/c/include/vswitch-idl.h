/* Stand-in for Open vSwitch's generated lib/vswitch-idl.h (ct-offload
 * conformance kit; see config.h): lib/ct-offload.c only names the type. */

#ifndef CT_STANDIN_VSWITCH_IDL_H
#define CT_STANDIN_VSWITCH_IDL_H 1

struct ovsrec_open_vswitch;

#endif /* vswitch-idl.h */
