/* Stand-in for Open vSwitch's tests/ovstest.h (ct-offload conformance kit).
 *
 * In an OVS tree, test programs register themselves with OVSTEST_REGISTER and
 * run as "tests/ovstest NAME ARGS...".  The kit builds the harness as a
 * program of its own instead, so here OVSTEST_REGISTER defines main(), which
 * hands the test function its arguments as ovstest would (the name first). */

#ifndef CT_STANDIN_OVSTEST_H
#define CT_STANDIN_OVSTEST_H 1

typedef void (*ovstest_func)(int argc, char *argv[]);

#define OVSTEST_REGISTER(NAME, FUNCTION)                \
    int main(int argc, char *argv[]);                   \
    int                                                 \
    main(int argc, char *argv[])                        \
    {                                                   \
        argv[0] = (char *) (NAME);                      \
        FUNCTION(argc, argv);                           \
        return 0;                                       \
    }

#endif /* ovstest.h */
