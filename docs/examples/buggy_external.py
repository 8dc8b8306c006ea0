r"""An "external implementation" with one deliberate bug, to show what the checker prints.

It runs the project's impl behind the scenario protocol (as an implementation in another language
would run its own code) and then misreports one thing: a batch UPD that found no timestamp answers
0 instead of ENODATA under the strict profile. Try:

    python -m conformance check --profile strict \\
        --external 'python docs/examples/buggy_external.py'
"""

import json
import sys

from conformance.impl_target import run_on_impl
from conformance.runner import run_object
from model.vocab import Profile

ENODATA = 61

for line in sys.stdin:
    if not line.strip():
        continue
    result = run_object(json.loads(line), run_on_impl, Profile.STRICT)
    for step, returned in enumerate(result.get("returns", [])):
        if isinstance(returned, list):
            result["returns"][step] = [0 if error == ENODATA else error for error in returned]
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
