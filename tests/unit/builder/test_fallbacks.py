"""Fallen-back pip steps are remembered by their layer; a build that reuses one warns again."""

from __future__ import annotations

from pathlib import Path

from spacehost.builder.fallbacks import FallbackLayers, StepLayers

DATED = (
    "Step 6/16 : RUN if [ -e /tmp/m ]; then pip install x; else pip install --uploaded-prior-to=D x"
)
FIRST = [
    DATED,
    " ---> Running in 0123456789ab",
    "ERROR: No matching distribution found for iniconfig==2.1.0",
    "WARNING: pip could not install requirements.txt as of D (its error is above); ...",
    "Successfully installed iniconfig-2.1.0",
    "Removing intermediate container 0123456789ab",
    " ---> f817070d55f4",
    "Step 7/16 : COPY --chown=1000:1000 app/ ./",
    " ---> 41c63fb17850",
]
AGAIN = [DATED, " ---> Using cache", " ---> f817070d55f4", "Step 7/16 : COPY app/ ./", " ---> 9"]


def follow(lines: list[str]) -> StepLayers:
    layers = StepLayers()
    for line in lines:
        layers.feed(line)
    return layers


def test_the_layer_of_a_fallen_back_step_is_recorded_and_found_again(tmp_path: Path) -> None:
    record = FallbackLayers(tmp_path / "fallback-layers.json")
    first = follow(FIRST)
    assert first.fallen_back_layers() == ["f817070d55f4"]
    record.add(first.fallen_back_layers())
    again = follow(AGAIN)
    assert not again.fell_back
    assert record.any_of(again.dated_layers([DATED]))


def test_a_dated_step_that_resolved_as_of_its_date_is_not_reported(tmp_path: Path) -> None:
    record = FallbackLayers(tmp_path / "fallback-layers.json")
    record.add(["aaaaaaaaaaaa"])
    assert not record.any_of(follow(AGAIN).dated_layers([DATED]))
    assert not record.any_of([])
