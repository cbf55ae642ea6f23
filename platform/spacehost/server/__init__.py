"""spacehost.server: the composition root that runs the platform (control plane + router).

It sits above api/web/router because it wires them together; only ``spacehost up`` uses it.
"""
