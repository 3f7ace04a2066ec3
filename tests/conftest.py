"""Hermetic test setup: every test gets its own data dir and Dagster home; HTTP only on loopback."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Before any project import: never let a test touch the repo's data/ directory.
_SESSION_DIR = tempfile.mkdtemp(prefix="mdw-tests-")
os.environ["MDW_DATA_DIR"] = os.path.join(_SESSION_DIR, "data")
os.environ["DAGSTER_HOME"] = os.path.join(_SESSION_DIR, "dagster_home")
os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)

import pytest  # noqa: E402  (after the environment above)
import stamina  # noqa: E402

from dagster_project import sources  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent
BUNDLED_PAGE = REPO / "data" / "bundled" / "page" / "20241128T120000Z.txt"
BUNDLED_ECB = REPO / "data" / "bundled" / "ecb" / "20261030T155600Z.zip"
SEED = REPO.parent / "shared" / "seeds" / "000_90cba7002661b776.txt"
UTC = dt.UTC
PAGE_CAPTURED = dt.datetime(2024, 11, 28, 12, 0, tzinfo=UTC)
CENTRAL_BANKS = [name for name, s in sources.SOURCES.items() if s.group == "central_banks"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("MDW_DATA_DIR", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("MDW_FIXER_BASE_URL", "")
    monkeypatch.setenv("MDW_FIXER_ACCESS_KEY", "")
    monkeypatch.setenv("MDW_TICKER_CSV_LOCATION", str(tmp_path / "no-ticker-csv"))
    for source in CENTRAL_BANKS:  # their bundled recordings only where a test asks for them
        monkeypatch.setenv(f"MDW_{source.upper()}_LOCATION", "")
    stamina.set_testing(True, attempts=3)  # retries happen, without sleeping
    yield
    stamina.set_testing(False)


PG_PASSWORD = "s3cret-Pa55word"  # of the throwaway Postgres: tests assert it shows nowhere


@pytest.fixture(scope="module")
def postgres() -> str:
    """A throwaway Postgres 15 server for the module (Debian's binaries; skipped, saying why, where they are absent):
    its URL, with a database ``dagster``."""
    from bench.postgres import PG_BIN, throwaway_postgres

    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no Postgres server binaries at {PG_BIN} (Debian's postgresql 15)")
    with throwaway_postgres(PG_PASSWORD) as url:
        yield url


@pytest.fixture
def data_dir() -> Path:
    return Path(os.environ["MDW_DATA_DIR"])


class Loopback:
    """A tiny HTTP server on 127.0.0.1: ``routes[path] = list of (status, headers, body)`` served in turn.

    A ``Content-Length`` header in ``headers`` is sent as given (larger than the body: a truncated transfer);
    ``X-Test-Delay: seconds`` makes the server wait before answering (a timeout)."""

    def __init__(self):
        self.routes: dict[str, list[tuple[int, dict, bytes]]] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                path = self.path.split("?", 1)[0]
                queue = outer.routes.get(path) or [(404, {}, b"not found")]
                status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
                headers = dict(headers)
                if "X-Test-Delay" in headers:  # a slow server: sleep before answering
                    time.sleep(float(headers.pop("X-Test-Delay")))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback():
    server = Loopback()
    yield server
    server.close()


def seed_blocks():
    """(rates, tickers) as written in the seed page, read independently of the project's parser."""
    if not SEED.exists():
        pytest.skip("shared seed page not available")
    lines = SEED.read_text(encoding="utf-8").split("\n")
    start = lines.index("EUR -") + 1
    rates, i = [], start
    while " " in lines[i] and not lines[i].startswith(" "):
        code, value = lines[i].split(" ")
        rates.append((code, value))
        i += 1
    values = [ln.strip() for ln in lines[i:] if ln.strip()]
    tickers, k = [], 0
    while k < len(values) and values[k].startswith("•"):
        tickers.append((values[k][1:].strip(), values[k + 1], values[k + 2], values[k + 3]))
        k += 4
    return rates, tickers


sys.path.insert(0, str(Path(__file__).parent))
