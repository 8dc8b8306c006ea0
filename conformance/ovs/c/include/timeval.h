/* Stand-in for Open vSwitch's lib/timeval.h (ct-offload conformance kit; see
 * config.h).  time_msec() is the harness's clock: it returns the time of the
 * step being run (a scenario step's "now", by default its index + 1), which
 * is what the dummy provider answers to conn_update. */

#ifndef CT_STANDIN_TIMEVAL_H
#define CT_STANDIN_TIMEVAL_H 1

long long time_msec(void);

#endif /* timeval.h */
