"""bench/national.py runs end to end at a tiny size and prints its figures and ratios."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import DatabaseFactory

ROOT = Path(__file__).resolve().parents[2]


def test_the_national_benchmark_prints_the_ratios(make_database_url: DatabaseFactory) -> None:
    """On the test database (SQLite, or PostgreSQL with HUBNET_TEST_DATABASE_URL)."""
    url = make_database_url("bench")
    result = subprocess.run(
        [
            sys.executable,
            "bench/national.py",
            "--hubs",
            "3",
            "--years",
            "1",
            "--runs",
            "2",
            "--database-url",
            url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "built 156 summaries (4,056 theme rows)" in out  # 3 hubs × 52 weeks × 26 themes
    assert "checked equal to the API's for every theme" in out
    for label in ("priorities page", "priorities API", "raw SQL"):
        assert re.search(rf"{label} .* \d+\.\d +\d+\.\d$", out, flags=re.MULTILINE), label
    assert re.search(r"^ratio page / raw SQL \(p95\): \d+\.\dx$", out, flags=re.MULTILINE)
    assert re.search(r"^ratio API / raw SQL \(p95\): \d+\.\dx$", out, flags=re.MULTILINE)
