"""spacehost.lifecycle: stages, deploys, health, routes, reconcile (layer 3, no HTTP)."""

from spacehost.lifecycle.platform import ConfigChange, DuplicateResult, Platform, PushResult

__all__ = ["ConfigChange", "DuplicateResult", "Platform", "PushResult"]
