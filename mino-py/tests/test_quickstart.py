"""examples/python/quickstart.py runs as it is against the bundled offline demo, and type
checks against the stubs."""

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from conftest import REPO

QUICKSTART = REPO / "examples" / "python" / "quickstart.py"


@pytest.mark.usefixtures("chromium")
def test_quickstart_runs(tmp_path: Path) -> None:
    out = tmp_path / "results.xlsx"
    result = subprocess.run(
        [sys.executable, str(QUICKSTART), "--database", f"sqlite:{tmp_path / 'q.db'}", "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sites.csv: 13 rows, 12 runnable" in result.stdout
    assert "test run completed: 10 completed" in result.stdout
    assert "production run completed: 2 more sites" in result.stdout
    assert f"wrote 13 jobs to {out}" in result.stdout
    rows = list(openpyxl.load_workbook(out, read_only=True)["Results"].iter_rows(values_only=True))
    assert len(rows) == 1 + 13


def test_quickstart_type_checks() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(QUICKSTART)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
