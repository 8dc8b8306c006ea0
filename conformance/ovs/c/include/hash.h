/* Stand-in for Open vSwitch's lib/hash.h (ct-offload conformance kit; see
 * config.h): lib/ct-offload-dummy.c includes it but uses none of it. */

#ifndef CT_STANDIN_HASH_H
#define CT_STANDIN_HASH_H 1

#include <stdint.h>

#endif /* hash.h */
