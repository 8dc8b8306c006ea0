"""The connection tracker's knobs and its start: ``TrackerConfig`` and ``register_providers``.

Purpose: ``TrackerConfig`` holds what OVS's userspace conntrack is configured with when it drives
the ct-offload layer (docs/spec.rst, "The connection tracker"): whether offload is enabled, the
sweep interval, the UDP values of the timeout policy, the table's size limit, the registered dpif
offload classes, the providers the user asked for, and whether the sweep batches.
``register_providers`` is TRACK-INIT. The argument checks the tracker shares live here too.

Promises:

- a ``TrackerConfig`` is frozen and valid: construction raises TypeError or ValueError naming the
  bad field (bools must be bools, times (ms) and the limit positive ints, class names non-empty strs);
- ``register_providers`` checks all its arguments before registering anything, then registers,
  in the order given, exactly the classes TRACK-INIT selects, and returns their ``register``
  return codes in that order (an empty list when offload is disabled).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from impl.layer import OffloadLayer
from impl.provider import OffloadClass
from model.vocab import Profile

__all__ = ["TrackerConfig", "check_flow", "check_netdev", "check_time", "register_providers"]

_BOOL_FIELDS = ("enabled", "batch_sweep")
_POSITIVE_FIELDS = ("sweep_interval", "udp_first", "udp_single", "udp_multiple", "n_conn_limit")
_NAMES_FIELDS = ("dpif_classes", "requested")

# OVS's defaults (lib/conntrack-tp.c, ct_dpif_netdev_tp_def, in s; here in ms) for the timeout
# policy's UDP values, and the table limit of lib/conntrack.c.
CT_DPIF_TP_ATTR_UDP_FIRST = 60 * 1000
CT_DPIF_TP_ATTR_UDP_SINGLE = 60 * 1000
CT_DPIF_TP_ATTR_UDP_MULTIPLE = 30 * 1000
DEFAULT_N_CONN_LIMIT = 3_000_000


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """``model.tracker.TrackerConfig``'s knobs, times in ms (docs/spec.rst, "The connection tracker").

    ``enabled`` is ``other_config:hw-offload``; ``sweep_interval`` the clean thread's period and
    the rfc profiles' refresh step; ``udp_first`` / ``udp_single`` / ``udp_multiple`` the expiry a
    packet sets on a connection that is new / has seen more packets one way / has seen a reply
    (the timeout policy's CT_DPIF_TP_ATTR_UDP_*); ``n_conn_limit`` the table's size limit (a
    sweep walks about a 64th of it at most); ``dpif_classes`` the dpif offload classes
    ``dpif_offload_module_init`` registers (the rfc profiles register the providers so named);
    ``requested`` the providers the user asked for by name (strict registers only these);
    ``batch_sweep`` whether the sweep refreshes through one batch per expiry list (else one
    single-op UPD each).
    """

    enabled: bool = True
    sweep_interval: int = 20_000
    udp_first: int = CT_DPIF_TP_ATTR_UDP_FIRST
    udp_single: int = CT_DPIF_TP_ATTR_UDP_SINGLE
    udp_multiple: int = CT_DPIF_TP_ATTR_UDP_MULTIPLE
    n_conn_limit: int = DEFAULT_N_CONN_LIMIT
    dpif_classes: tuple[str, ...] = ("dummy", "dummy_x")
    requested: tuple[str, ...] = ()
    batch_sweep: bool = True

    def __post_init__(self) -> None:
        """Refuse an invalid knob, naming it."""
        for name in _BOOL_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise TypeError(f"TrackerConfig.{name} must be a bool, got {type(value).__name__}")
        for name in _POSITIVE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"TrackerConfig.{name} must be an int, got {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"TrackerConfig.{name} must be positive, got {value}")
        for name in _NAMES_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, tuple):
                raise TypeError(f"TrackerConfig.{name} must be a tuple of str, got {type(value).__name__}")
            for item in value:
                if not isinstance(item, str):
                    raise TypeError(f"TrackerConfig.{name} must hold only str, got {type(item).__name__}")
                if not item:
                    raise ValueError(f"TrackerConfig.{name} must not hold an empty name")

    def timeout(self, state: str) -> int:
        """The expiry a packet gives a UDP-like connection in ``state`` (lib/conntrack-other.c's
        ``other_timeouts`` through ``tm_to_ct_dpif_tp``): FIRST -> udp_first, MULTIPLE ->
        udp_single, BIDIR -> udp_multiple."""
        # Tests, not a dict built per call: the strict sweep asks this of every connection it
        # refreshes (issue 16).
        if state == "BIDIR":
            return self.udp_multiple
        if state == "FIRST":
            return self.udp_first
        if state == "MULTIPLE":
            return self.udp_single
        raise KeyError(state)

    def describe(self) -> str:
        """``enabled=True sweep_interval=20000 ...``: every knob, for logs and summaries."""
        return " ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))


def register_providers(layer: OffloadLayer, classes: Sequence[OffloadClass], config: TrackerConfig) -> list[int]:
    """TRACK-INIT (``ct_offload_module_init``): register the provider classes the profile selects.

    Only when ``config.enabled``. The rfc profiles take every class whose name is one of
    ``config.dpif_classes`` (so a userspace datapath registers the dummy: E-TRACK-DUMMY); strict
    only those whose name is in ``config.requested``. Classes are registered in the order of
    ``classes``; the result is the ``layer.register`` return code of each registered one.
    """
    if not isinstance(layer, OffloadLayer):
        raise TypeError(f"register_providers: layer must be an impl.layer.OffloadLayer, got {type(layer).__name__}")
    if not isinstance(classes, Sequence):
        raise TypeError(f"register_providers: classes must be a sequence of OffloadClass, got {type(classes).__name__}")
    for position, cls in enumerate(classes):
        if not isinstance(cls, OffloadClass):
            raise TypeError(
                f"register_providers: classes[{position}] must be an impl.provider.OffloadClass, "
                f"got {type(cls).__name__}"
            )
    if not isinstance(config, TrackerConfig):
        raise TypeError(f"register_providers: config must be a TrackerConfig, got {type(config).__name__}")
    if not config.enabled:
        return []
    wanted = config.requested if layer.profile is Profile.STRICT else config.dpif_classes
    return [layer.register(cls) for cls in tuple(classes) if cls.name in wanted]


def check_flow(method: str, flow: object) -> int:
    """``flow`` as a flow number: TypeError unless an int (not a bool), ValueError if negative."""
    if isinstance(flow, bool) or not isinstance(flow, int):
        raise TypeError(f"ConnTracker.{method}: flow must be an int, got {type(flow).__name__}")
    if flow < 0:
        raise ValueError(f"ConnTracker.{method}: flow must be non-negative, got {flow}")
    return flow


def check_time(method: str, now: object) -> int:
    """``now`` as a time in ms: TypeError unless an int (not a bool)."""
    if isinstance(now, bool) or not isinstance(now, int):
        raise TypeError(f"ConnTracker.{method}: now must be an int (ms), got {type(now).__name__}")
    return now


def check_netdev(method: str, netdev: object) -> str | None:
    """``netdev`` as a netdev name: TypeError unless a str or None."""
    if netdev is not None and not isinstance(netdev, str):
        raise TypeError(f"ConnTracker.{method}: netdev must be a str or None, got {type(netdev).__name__}")
    return netdev
