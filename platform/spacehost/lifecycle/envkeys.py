"""Which names and values a space's variables and secrets may have.

They become environment variables of the space's container, so a key is an environment
variable name, and names the platform sets itself (the container contract: ``SPACE_*``,
``GRADIO_SERVER_*``, ``HOME``, ``PORT``, ...) are reserved: a user value would break the app's
wiring to the router.
"""

from __future__ import annotations

import re

from spacehost.errors import InvalidRequest, UploadTooLarge

MAX_VALUE_BYTES = 64 << 10
MAX_DESCRIPTION_CHARS = 1000
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_KEY_CHARS = 256

RESERVED_NAMES = frozenset(
    {
        "HOME",
        "PATH",
        "PORT",
        "SYSTEM",
        "HOSTNAME",
        "USER",
        "PWD",
        "SHELL",
        "LD_PRELOAD",
        "HF_HUB_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "PYTHONUNBUFFERED",
        "GRADIO_NUM_PORTS",
        "GRADIO_ANALYTICS_ENABLED",
        "CUDA_VISIBLE_DEVICES",
    }
)
RESERVED_PREFIXES = ("SPACE_", "GRADIO_SERVER_", "GRADIO_WATCH_", "SPACEHOST_", "NVIDIA_")


def reserved_reason(key: str) -> str | None:
    """Why *key* is reserved, or None when a space may set it."""
    upper = key.upper()
    if upper in RESERVED_NAMES:
        return f"{upper} is set by the platform in every space container"
    for prefix in RESERVED_PREFIXES:
        if upper.startswith(prefix):
            return f"names starting with {prefix} are set by the platform"
    return None


def check_key(key: object) -> str:
    """Return *key* if it can be a variable or secret name, else raise InvalidRequest."""
    if not isinstance(key, str) or not key:
        raise InvalidRequest(
            'a variable or secret needs a "key" (a non-empty string)',
            hint='send JSON like {"key": "API_URL", "value": "..."}',
        )
    if len(key) > MAX_KEY_CHARS or not _KEY_RE.match(key):
        raise InvalidRequest(
            f"invalid key {key[:80]!r}: it must be an environment variable name",
            hint="use letters, digits and '_', not starting with a digit, e.g. OPENAI_API_KEY",
        )
    why = reserved_reason(key)
    if why:
        raise InvalidRequest(f"key {key!r} is reserved: {why}", hint="choose another name")
    return key


def check_value(key: str, value: object) -> str:
    """Return *value* if it can be the value of *key*; UploadTooLarge over 64 KiB."""
    if not isinstance(value, str):
        raise InvalidRequest(
            f"the value of {key} must be a string",
            hint='send JSON like {"key": "' + key + '", "value": "..."}',
        )
    size = len(value.encode())
    if size > MAX_VALUE_BYTES:
        raise UploadTooLarge(
            f"the value of {key} is {size} bytes, over the limit of {MAX_VALUE_BYTES >> 10} KiB",
            hint="store large data in a file in the space (or in /data), not in a variable",
        )
    if "\0" in value:
        raise InvalidRequest(
            f"the value of {key} contains a NUL character",
            hint="environment variables cannot hold NUL characters",
        )
    return value


def check_description(description: object) -> str | None:
    """A description is optional (None keeps the old one) and at most 1000 characters."""
    if description is None:
        return None
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidRequest(
            f"description must be a string of at most {MAX_DESCRIPTION_CHARS} characters",
            hint="shorten the description",
        )
    return description
