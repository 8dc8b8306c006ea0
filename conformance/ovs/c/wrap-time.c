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

/* The harness's clock in a build against a configured Open vSwitch tree
 * (ct-offload conformance kit, "--ovs-build"; UNTESTED by the kit's own
 * tests, see docs/ovs_guide.rst).
 *
 * The program is linked with -Wl,--wrap=time_msec against the static
 * libopenvswitch.a, so the calls lib/ct-offload-dummy.c makes to time_msec()
 * land here and return the time of the step being run, as in the default
 * build (include/timeval.h). */

long long ct_harness_now;
long long __wrap_time_msec(void);

long long
__wrap_time_msec(void)
{
    return ct_harness_now;
}
