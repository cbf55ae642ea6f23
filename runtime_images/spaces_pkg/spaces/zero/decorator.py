"""Hugging Face's ``spaces.zero.decorator`` names."""

from typing import ParamSpec, TypeVar

from spaces._gpu import GPU

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["GPU", "P", "R"]
