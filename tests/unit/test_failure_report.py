"""scripts/failure_report.py: a failed run's first failures and the machine's state, printed
last (CI keeps only the tail of the output). A real pytest run in a fresh process writes the
JUnit report it reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "scripts" / "failure_report.py"

FAILING = """
import pytest

@pytest.fixture
def broken():
    raise OSError(28, "No space left on device")

def test_fine():
    pass

def test_fails():
    assert 1 == 2, "one is not two"

def test_errors(broken):
    pass
"""


def test_the_report_lists_failures_and_errors_in_order_then_the_machine(tmp_path: Path) -> None:
    (tmp_path / "test_some.py").write_text(FAILING)
    junit = tmp_path / "junit.xml"
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={junit}",
         "-c", "/dev/null", str(tmp_path / "test_some.py")],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 1, ran.stdout + ran.stderr

    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(junit)], capture_output=True, text=True, timeout=120,
        check=True,
    ).stdout  # fmt: skip
    lines = out.splitlines()
    assert "2 failed or errored; the first 2:" in lines
    first = lines.index("2 failed or errored; the first 2:")
    assert lines[first + 1].startswith(
        "FAILURE test_some::test_fails: AssertionError: one is not two"
    )
    assert lines[first + 2].startswith("ERROR test_some::test_errors: failed on setup")
    assert "--- disk" in lines and "--- memory" in lines and "--- docker" in lines


def test_no_report_is_said(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "none.xml")], capture_output=True,
        text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert f"no {tmp_path / 'none.xml'}: pytest wrote no report" in out
