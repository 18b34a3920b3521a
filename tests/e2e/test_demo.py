"""`hubnet demo --once`, as `make demo ARGS=--once` runs it, on a small data set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def run_demo(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hubnet", "demo", "--once", "--contributions", "300",
         "--base-port", "0", "--dir", str(directory)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_demo_once_prints_national_top_10_and_leaves_nothing_running(tmp_path: Path) -> None:
    directory = tmp_path / "demo"

    first = run_demo(directory)

    assert first.returncode == 0, first.stdout + first.stderr
    assert "hubs reporting: Cornwall, Leeds, Manchester" in first.stdout
    table = first.stdout.split("Top-5 in")[1].strip().splitlines()
    assert [line.split()[0] for line in table[:10]] == [str(n) for n in range(1, 11)]
    assert not (directory / "network.json").exists()
    # every hub cosigned the checkpoint, and the whole log verifies from outside
    assert first.stdout.count("the aggregator accepted the cosignature") == 3, first.stdout
    assert "OK: all 6 leaves verify, and the tree matches the signed checkpoint." in first.stdout

    second = run_demo(directory)  # starts cleanly: no port or file left behind

    assert second.returncode == 0, second.stdout + second.stderr
    # same seed, same contributions: the same national ranking
    assert (
        second.stdout.split("Top-5 in")[1].split("Each hub witnesses")[0]
        == (first.stdout.split("Top-5 in")[1].split("Each hub witnesses")[0])
    )
