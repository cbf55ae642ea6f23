"""spacehost.web: server-rendered pages (layer 4)."""

from spacehost.web.gallery import gallery
from spacehost.web.oembed import oembed
from spacehost.web.space_page import space_page
from spacehost.web.status import SPACE_HEADER, space_status

__all__ = ["SPACE_HEADER", "gallery", "oembed", "space_page", "space_status"]
