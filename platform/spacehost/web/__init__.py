"""spacehost.web: server-rendered pages (layer 4)."""

from spacehost.web.gallery import gallery
from spacehost.web.oembed import oembed
from spacehost.web.space_page import space_page
from spacehost.web.status import space_status

__all__ = ["gallery", "oembed", "space_page", "space_status"]
