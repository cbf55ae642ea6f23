"""``GET /api/gpus`` names who holds each GPU (lifecycle/gpuledger.py); a private space the
caller may not read is not named there either (api/gpus.py without_spaces)."""

from __future__ import annotations

from spacehost.api.gpus import without_spaces


def test_a_hidden_private_space_holding_a_gpu_is_not_named() -> None:
    status = {
        "gpus": [],
        "spaces": [],
        "broker": None,
        "holders": {"0": ["space acme/secret", "space acme/open"], "1": ["job 65f1"]},
    }
    shown = without_spaces(status, {"acme/secret"})
    assert shown["holders"] == {
        "0": ["a private space", "space acme/open"],
        "1": ["job 65f1"],
    }
