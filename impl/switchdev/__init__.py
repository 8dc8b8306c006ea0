"""The devlink/switchdev hardware provider: a ct-offload provider for a switchdev NIC.

Purpose: ``impl.switchdev.provider.SwitchdevProvider`` implements every ct-offload callback and a
native ``batch_submit`` on top of two pluggable parts, whose interfaces are in
``impl.switchdev.ports``: a devlink side (the real generic-netlink backend, or the embedded
simulated device, the default) and an offload engine with an asynchronous submit / push / poll /
query shape (the simulated device's engine, or the ctnetlink engine that mirrors offloaded
connections into the kernel's conntrack table inside a private network namespace).
docs/switchdev.rst is the specification.
"""
