"""Splitting a stream of output bytes into text lines."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Sequence


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


def unseen_tail(seen: Sequence[str], latest: Sequence[str]) -> list[str]:
    """The lines at the end of *latest* that come after the last lines in *seen*.

    Args:
        seen: the last lines already delivered, oldest first.
        latest: the last lines of the full log, oldest first, read afterwards.

    Returns:
        ``latest`` minus its longest prefix that is also a suffix of *seen*: the lines a
        follower missed. Empty when *latest* is wholly contained at the end of *seen*.
    """
    for overlap in range(min(len(seen), len(latest)), -1, -1):
        if overlap == 0 or list(seen[len(seen) - overlap :]) == list(latest[:overlap]):
            return list(latest[overlap:])
    return list(latest)
