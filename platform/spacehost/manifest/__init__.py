"""spacehost.manifest: a space's files -> a validated, frozen manifest and source. Pure (layer 1),
except :func:`read_folder`, the one helper that reads a folder from disk for the CLI."""

from spacehost.manifest.folder import read_folder
from spacehost.manifest.hardware import gpu_request, hardware_label, hardware_request
from spacehost.manifest.ignore import IgnorePattern, IgnoreRules
from spacehost.manifest.model import Manifest, Problem, SpaceSource
from spacehost.manifest.parse import parse_manifest, read_manifest
from spacehost.manifest.problems import format_problems, format_report, problems_from_details
from spacehost.manifest.space import SpaceCheck, load_space, validate_space
from spacehost.manifest.values import PreloadSpec, preload_spec

__all__ = [
    "IgnorePattern",
    "IgnoreRules",
    "Manifest",
    "PreloadSpec",
    "Problem",
    "SpaceCheck",
    "SpaceSource",
    "format_problems",
    "format_report",
    "gpu_request",
    "hardware_label",
    "hardware_request",
    "load_space",
    "parse_manifest",
    "preload_spec",
    "problems_from_details",
    "read_folder",
    "read_manifest",
    "validate_space",
]
