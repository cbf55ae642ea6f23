"""Splitting a stream of output bytes into text lines."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator


def split_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Lines from a stream of byte chunks that split lines (and UTF-8 characters) anywhere.

    Args:
        chunks: the raw chunks, in order.

    Returns:
        Each complete line without its end, decoded as UTF-8 with bad bytes replaced; a last
        line without an end is yielded when the stream ends.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line.removesuffix("\r")
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending.removesuffix("\r")
