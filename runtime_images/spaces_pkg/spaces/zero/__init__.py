"""Hugging Face's ``spaces.zero`` names."""

from spaces._gpu import GPU

__all__ = ["GPU"]
