"""Shared fixtures: fixture websites served on 127.0.0.1, databases (SQLite files and a
Postgres schema per test), and platforms over real Chromium.

Outside CI a missing service (Postgres, Chromium) skips the tests that need it; with
``CI=true`` it fails them, so that nothing is skipped silently.
"""

import csv
import functools
import http.server
import os
import shutil
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Iterator, List
from urllib.parse import urlsplit

import pytest

import mino

REPO = Path(__file__).resolve().parents[2]
SITES = REPO / "tests" / "fixtures" / "sites"
DEFAULT_PG = "postgres://postgres:postgres@127.0.0.1:5432/test"


def require(service: str, available: bool, why: str) -> None:
    """Skips (or under CI fails) the current test when `service` is not available."""
    if available:
        return
    message = f"{service} is not available: {why}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def sites_url() -> Iterator[str]:
    """The fixture websites (tests/fixtures/sites) served on 127.0.0.1 by a thread."""
    handler = functools.partial(_QuietHandler, directory=str(SITES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def shop_rows(sites_url: str) -> List[dict]:
    """The shop sites of expected.csv: their URLs on the local server and the true title and
    price of each."""
    with open(SITES / "expected.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["kind"] == "shop" and r["needs_js"] == "false"]
    return [
        {
            "site": f"{sites_url}/{r['site']}",
            "sku": f"SKU-{i:03}",
            "gt_title": r["gt_title"],
            "gt_price": r["gt_price"],
        }
        for i, r in enumerate(rows)
    ]


@pytest.fixture
def shop_csv(tmp_path: Path, sites_url: str) -> Path:
    """A CSV of the shop fixture sites plus one row without a usable site."""
    rows = shop_rows(sites_url)
    path = tmp_path / "shops.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["site", "sku", "gt_title", "gt_price"])
        writer.writeheader()
        writer.writerows(rows)
        writer.writerow({"site": "not a site", "sku": "SKU-X", "gt_title": "x", "gt_price": "1"})
    return path


def chromium_available() -> bool:
    """Whether a Chromium binary is there for the local driver."""
    binary = os.environ.get("MINO_CHROME") or "chromium"
    return shutil.which(binary) is not None or Path(binary).is_file()


@pytest.fixture
def chromium() -> None:
    """Requires Chromium."""
    require("Chromium", chromium_available(), "no `chromium` on PATH and MINO_CHROME unset")


def postgres_server() -> str:
    """The Postgres server of the tests."""
    return os.environ.get("MINO_TEST_DATABASE_URL", "").strip() or DEFAULT_PG


def _drop_schema(url: str, schema: str) -> None:
    """Drops a test schema with psql when it is installed (the test script drops leftovers
    of interrupted runs either way)."""
    psql = shutil.which("psql")
    if psql is None:
        return
    parts = urlsplit(url)
    env = dict(os.environ, PGPASSWORD=parts.password or "")
    subprocess.run(
        [
            psql,
            "-q",
            "-h", parts.hostname or "127.0.0.1",
            "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres",
            "-d", parts.path.lstrip("/") or "postgres",
            "-c", f'DROP SCHEMA IF EXISTS "{schema}" CASCADE',
        ],
        env=env,
        check=False,
        capture_output=True,
        timeout=30,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a schema of its own on the test Postgres server."""
    if request.param == "sqlite":
        yield f"sqlite:{tmp_path / 'mino.db'}"
        return
    server = postgres_server()
    schema = f"mino_test_py_{uuid.uuid4().hex}"
    separator = "&" if "?" in server else "?"
    url = f"{server}{separator}schema={schema}&acquire_timeout=5"
    try:
        probe = mino.Platform(url, worker=False)
        probe.close()
        reachable, why = True, ""
    except mino.StorageError as err:
        reachable, why = False, str(err)
    require("Postgres", reachable, why)
    try:
        yield url
    finally:
        _drop_schema(server, schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:{tmp_path / 'mino.db'}"


@pytest.fixture
def idle_platform(sqlite_url: str) -> Iterator[mino.Platform]:
    """A platform without a worker: executions stay queued, no browser starts."""
    platform = mino.Platform(sqlite_url, worker=False)
    try:
        yield platform
    finally:
        platform.close()


SHOP_FIELDS = [
    {"name": "title", "description": "the product's name"},
    {"name": "price", "type": "number", "description": "the product's price"},
]
