"""spacehost.lifecycle: stages, deploys, health, routes, reconcile (layer 3, no HTTP)."""

from spacehost.lifecycle.platform import Platform, PushResult

__all__ = ["Platform", "PushResult"]
