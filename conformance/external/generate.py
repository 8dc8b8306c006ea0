"""What the external checker sends: scenarios drawn to reach the corners where implementations differ.

Purpose: the scenarios of ``check --external``, drawn by a seeded ``random.Random`` (fast, with
exactly the distribution written here; Hypothesis, which drew them before, spent about 10 ms a
scenario and drew a fifth of them twice). A layer scenario is drawn around a small *pool* of
connection ids (one to eight ids out of 0-63), so that its ops meet on the same connections while
the ids vary from scenario to scenario; zero to eight providers (none in 1 of 18), each with a
real subset of the callbacks (all six, some, or only ``batch_submit``), response tables dense over
the pool (refusals, failing adds with distinct errnos, timestamps including -1 and 2^40), an
``init`` now and then and names that sometimes collide; one to sixteen steps, batches among them
of every size: empty now and then, 1-8 ops, 9-40 ops (past the growth point of the RFC's batch
array, which starts at 8 and doubles) and "lifecycle" batches walking connections through ADD,
EST, UPD, POLICY and DEL, with invalid op types and NULL connections. The tracker protocol's
scenarios are still drawn (and first shrunk) by Hypothesis: ``tracker_scenario`` and ``search``.

Promises:
- every layer scenario is valid (``conformance.scenario.parse_scenario`` accepts it), has at least
  one step and no ``id`` (the checker stamps one on each send); ``layer_scenarios`` never yields
  the same scenario twice (it draws again, up to 100 times);
- the same profile, seed and ``extensions`` give the same scenarios in the same order;
- without ``extensions`` only the core protocol is used; with it, the project's extensions too
  (dummy and switchdev providers, raising callbacks, connection attributes, batch timestamps);
- for the rfc profiles no batch op ADD, DEL or EST has a NULL connection (undefined behaviour in
  the RFC's C code, which dereferences it: RFC-NULL); strict, which defines it, gets them;
- ``sample`` is exactly what the checker sends for a seed when nothing disagrees, so that tests
  and measurements see the checker's own distribution.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from conformance.tracker_machine import tracker_provider
from model.vocab import Profile

JSON = Any

PER_OP = ("add", "del", "upd", "est", "can", "flush")
#: The RFC's batch array starts at 8 ops and doubles; larger batches cross that point.
GROWTH_POINT = 8
MAX_BATCH = 40
#: Op types a NULL connection may come with in the rfc profiles (defined there).
NULL_SAFE_RFC = ("UPD", "POLICY", "FLUSH")
_ADD_ERRNOS = [28, 17, 95, 5, 12, 22, 1, 11]
_STAMPS = [1000, 1, -1, 7, 5000, 2**40, 0]
_INVALID_TYPES = [6, 7, -1, 255]
_NAMES = ["a", "b", "p0", "p1"]


@functools.cache
def _tables(pairs: tuple[tuple[JSON, int], ...]) -> tuple[list[JSON], list[int]]:
    """The values of ``pairs`` and their cumulative weights."""
    return [value for value, _ in pairs], list(itertools.accumulate(weight for _, weight in pairs))


class Draw:
    """The random choices of one generator: a seeded ``random.Random`` with the few shapes used here."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def chance(self, percent: float) -> bool:
        """True ``percent`` times in a hundred."""
        return self.rng.random() * 100 < percent

    def weighted(self, pairs: tuple[tuple[JSON, int], ...]) -> JSON:
        """One of the values, each as often as its weight."""
        values, cumulative = _tables(pairs)
        return self.rng.choices(values, cum_weights=cumulative)[0]

    def pick(self, values: list[JSON] | tuple[JSON, ...]) -> JSON:
        """One of ``values``, uniformly."""
        return values[self.rng.randrange(len(values))]

    def between(self, low: int, high: int) -> int:
        """An integer in ``low..high``, both included."""
        return self.rng.randint(low, high)


_N_PROVIDERS = ((0, 1), (1, 4), (2, 4), (3, 3), (4, 2), (5, 1), (6, 1), (7, 1), (8, 1))
_POOL_SIZE = ((1, 3), (2, 4), (3, 3), (4, 2), (5, 1), (6, 1), (8, 1))
_N_STEPS = ((1, 2), (2, 3), (3, 3), (4, 3), (5, 2), (6, 2), (8, 2), (10, 1), (12, 1), (16, 1))
_STEP_WORDS = (("add", 16), ("batch", 30), ("est", 10), ("upd", 7), ("del", 6), ("can", 5), ("flush", 3))
_REGISTER_WORDS = (("register", 5), ("unregister", 5))
_OP_TYPES = (("ADD", 6), ("EST", 4), ("UPD", 3), ("DEL", 2), ("POLICY", 2), ("FLUSH", 1), ("BAD", 1))
_BATCH_SHAPE = (("small", 5), ("large", 4), ("lifecycle", 2), ("empty", 1))


class LayerGenerator:
    """Draws layer scenarios for one profile from one seed (see the module's promises)."""

    def __init__(self, profile: Profile, seed: int, *, extensions: bool = False) -> None:
        self.draw = Draw(seed)
        self.extensions = extensions
        self.null_types = None if profile is Profile.STRICT else NULL_SAFE_RFC

    def _pool(self) -> list[int]:
        return self.draw.rng.sample(range(64), self.draw.weighted(_POOL_SIZE))

    def _entries(self, pool: list[int], percent: int, values: list[JSON]) -> dict[str, JSON]:
        """A response table over the pool: each connection has an entry ``percent``% of the time."""
        return {str(conn): self.draw.pick(values) for conn in pool if self.draw.chance(percent)}

    def provider(self, pool: list[int]) -> dict[str, JSON]:
        """One provider declaration over ``pool``."""
        draw = self.draw
        if self.extensions and draw.chance(8):
            if draw.chance(50):
                device = {"ct_entries": draw.pick([4, 6, 65536]), "queue_size": draw.pick([1, 1024])}
                return {"name": draw.pick(["sw", "sw2"]), "kind": "switchdev", "device": device}
            return {"name": draw.pick(["dummy", "d2"]), "kind": "dummy"}
        decl: dict[str, JSON] = {}
        if draw.chance(20):
            decl["name"] = draw.pick(_NAMES)
        batch = draw.chance(35)
        if batch and draw.chance(20):
            callbacks: list[str] = []  # only batch_submit: E-BATCH-ONLY
        elif draw.chance(30):
            callbacks = list(PER_OP)
        else:
            callbacks = [word for word in PER_OP if draw.chance(60)]
        decl["callbacks"] = callbacks
        if batch:
            decl["batch"] = True
        if draw.chance(15):
            decl["init"] = draw.pick([0, 12, 19, 5])
        tables = (("can", 35, [False, True]), ("add", 35, [*_ADD_ERRNOS, 0]), ("upd", 50, _STAMPS))
        for key, percent, values in tables:
            if key in callbacks or batch:
                table = self._entries(pool, percent, values)
                if table:
                    decl[key] = table
        if batch and draw.chance(35):
            errors = {}
            for _ in range(draw.between(1, 3)):
                index = draw.between(GROWTH_POINT, MAX_BATCH - 1) if draw.chance(25) else draw.between(0, 3)
                errors[str(index)] = draw.pick([28, 5, 95, 0])
            decl["batch_errors"] = errors
        raisable = callbacks + (["batch"] if batch else [])
        if self.extensions and raisable and draw.chance(10):
            decl["raises"] = draw.rng.sample(raisable, min(len(raisable), draw.between(1, 2)))
        return decl

    def batch_ops(self, pool: list[int]) -> list[list[JSON]]:
        """The ops of one batch."""
        draw = self.draw
        shape = draw.weighted(_BATCH_SHAPE)
        if shape == "empty":
            return []
        if shape == "lifecycle":
            conns = draw.rng.sample(pool, min(len(pool), draw.between(1, 3)))
            kinds = [kind for kind in ("ADD", "EST", "UPD", "POLICY", "DEL") if draw.chance(70)]
            return [[kind, conn] for kind in kinds for conn in conns]
        size = draw.between(1, GROWTH_POINT) if shape == "small" else draw.between(GROWTH_POINT + 1, MAX_BATCH)
        ops: list[list[JSON]] = []
        for _ in range(size):
            kind: JSON = draw.weighted(_OP_TYPES)
            if kind == "BAD":
                kind = draw.pick(_INVALID_TYPES)
            nullable = self.null_types is None or kind in self.null_types or not isinstance(kind, str)
            ops.append([kind, None if nullable and draw.chance(6) else draw.pick(pool)])
        return ops

    def scenario(self) -> dict[str, JSON]:
        """One scenario of the scenario protocol, without an ``id``."""
        draw = self.draw
        pool = self._pool()
        providers = [self.provider(pool) for _ in range(draw.weighted(_N_PROVIDERS))]
        obj: dict[str, JSON] = {"providers": providers}
        steps: list[dict[str, JSON]] = []
        if providers and draw.chance(10):
            obj["register_all_at_start"] = False
            order = draw.rng.sample(range(len(providers)), len(providers))
            steps += [{"do": "register", "provider": index} for index in order if draw.chance(80)]
        if draw.chance(10):
            obj["private_slot"] = False
        words = _STEP_WORDS + (_REGISTER_WORDS if providers else ())
        for _ in range(draw.weighted(_N_STEPS)):
            word = draw.weighted(words)
            if word == "batch":
                steps.append({"do": "batch", "ops": self.batch_ops(pool)})
            elif word == "flush":
                steps.append({"do": "flush"})
            elif word in ("register", "unregister"):
                steps.append({"do": word, "provider": draw.between(0, len(providers) - 1)})
            else:
                steps.append({"do": word, "conn": draw.pick(pool)})
        obj["steps"] = steps
        if self.extensions:
            if draw.chance(20):
                conns = {str(conn): {"proto": draw.pick(["tcp", "udp", "gre"])} for conn in pool if draw.chance(50)}
                obj["conns"] = conns
            if draw.chance(25):
                obj["batch_timestamps"] = True
        return obj


def layer_scenarios(profile: Profile, seed: int, *, extensions: bool = False) -> Iterator[dict[str, JSON]]:
    """Distinct layer scenarios for ``profile`` drawn from ``seed``, without end (a scenario drawn
    twice is drawn again; after many tries in a row, a duplicate is let through)."""
    generator = LayerGenerator(profile, seed, extensions=extensions)
    seen: set[str] = set()
    while True:
        for _ in range(100):
            obj = generator.scenario()
            key = json.dumps(obj, sort_keys=True)
            if key not in seen:
                break
        seen.add(key)
        yield obj


def sample(profile: Profile, count: int, seed: int, *, extensions: bool = False) -> list[dict[str, JSON]]:
    """The first ``count`` scenarios the checker draws for ``seed`` (what it sends when nothing disagrees)."""
    return list(itertools.islice(layer_scenarios(profile, seed, extensions=extensions), count))


@st.composite
def tracker_scenario(draw: st.DrawFn) -> dict[str, JSON]:
    """One tracker scenario (``python -m conformance tracker``), without an ``id``."""
    providers = [draw(tracker_provider(i)) for i in range(draw(st.integers(0, 2)))]
    events, now = [], 0
    for _ in range(draw(st.integers(1, 10))):
        now += draw(st.sampled_from([0, 1000, 15000, 20000, 31000]))
        word = draw(st.sampled_from(["commit", "reply", "lookup", "force", "flush_flow", "flush", "sweep"]))
        event: dict[str, JSON] = {"at": now, "do": word}
        if word not in ("flush", "sweep"):
            event["flow"] = draw(st.integers(0, 2))
        events.append(event)
    return {"providers": providers, "events": events}


def search_settings(count: int) -> settings:
    """Hypothesis settings of one search: ``count`` examples, no database, no deadline, quiet."""
    return settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=False,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )


def search(
    draws: st.SearchStrategy[dict[str, JSON]], condition: Callable[[dict[str, JSON]], bool], count: int, seed: int
) -> dict[str, JSON] | None:
    """Hypothesis's smallest scenario satisfying ``condition`` among ``count`` drawn from seed
    ``seed``, or None. An exception ``condition`` raises that is not an ``Exception`` (a
    ``BaseException``) ends the search at once: Hypothesis neither retries nor shrinks it."""
    try:
        return find(draws, condition, settings=search_settings(count), random=random.Random(seed))
    except NoSuchExample:
        return None
