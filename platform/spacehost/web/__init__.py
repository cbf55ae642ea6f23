"""spacehost.web: server-rendered pages (layer 4)."""

from spacehost.web.gallery import gallery
from spacehost.web.status import SPACE_HEADER, space_status

__all__ = ["SPACE_HEADER", "gallery", "space_status"]
