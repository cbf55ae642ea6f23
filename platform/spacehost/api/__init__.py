"""spacehost.api: the control-plane HTTP API (layer 4)."""

from spacehost.api.app import add_routes
from spacehost.api.auth import ensure_token
from spacehost.api.errors import error_middleware

__all__ = ["add_routes", "ensure_token", "error_middleware"]
