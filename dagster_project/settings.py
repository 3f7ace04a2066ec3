"""Where the project's configuration comes from: ``MDW_*`` environment variables, read by ``dg.EnvVar``.

Defaults point at the bundled data, so the UI and the CLI work on a fresh clone; any variable already
set in the environment wins. Secrets (``MDW_FIXER_ACCESS_KEY``) have no default and are never logged.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "data" / "bundled"
PAGE_DATE = "2024-11-28"          # the bundled page snapshot's capture date
ECB_FIRST_DATE = "1999-01-04"     # first day of the ECB reference rates

DEFAULTS = {
    "MDW_DATA_DIR": str(REPO / "data"),
    "MDW_STORAGE_URL": "",        # where raw/ and warehouse/ live: empty = MDW_DATA_DIR, or s3://bucket/prefix
}  # each feed's variable (MDW_<SOURCE>_LOCATION…) and its default come from the source registry (sources.env_defaults)
# the bundled ticker history (data/bundled/SOURCES.md): four NYSE-listed stocks, unadjusted daily closes
TICKER_HISTORY = ("2004-01-02", "2005-12-30")


# Dagster records one "materialization planned" event per partition of a ranged run unless told to record the
# run's partition subset in one event: half the events of a backfill. What it gives up: when a ranged run
# fails, its partitions are not marked failed, only not materialized (`mdw backfill` re-runs them anyway).
DAGSTER_DEFAULTS = {"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true"}


# Dagster on Postgres: MDW_DAGSTER_PG_URL is postgresql://user:pass@host:port/db. SQLAlchemy 2.1 maps a bare
# postgresql:// to psycopg 3; dagster-postgres brings psycopg2, so the instance gets the URL with the driver
# that is installed, in this variable (dagster.yaml names it; the URL is never written to a file).
DAGSTER_PG_ENV = "MDW_DAGSTER_PG_SQLALCHEMY_URL"
# Runs on Postgres write their events in batches; the planned-events setting above halves a backfill's events
POSTGRES_DEFAULTS = {"DAGSTER_EVENT_BATCH_SIZE": "100"}


def dagster_pg_sqlalchemy_url(url: str) -> str:
    """``url`` (postgresql://user:pass@host:port/db) as SQLAlchemy's URL with the Postgres driver that is installed."""
    driver = "psycopg2" if importlib.util.find_spec("psycopg2") else "psycopg"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError("MDW_DAGSTER_PG_URL must look like postgresql://user:pass@host:port/db")
    return f"postgresql+{driver}://{rest}"


def redacted_pg_url() -> str:
    """MDW_DAGSTER_PG_URL without its password (for messages)."""
    url = urlparse(os.environ.get("MDW_DAGSTER_PG_URL", ""))
    netloc = f"{url.username}:***@{url.hostname}:{url.port or 5432}" if url.password else url.netloc
    return f"{url.scheme}://{netloc}{url.path}"


def apply_env_defaults(extra: dict[str, str] | None = None) -> None:
    """Set every MDW_* default (and ``extra`` ones: the feeds' variables, from the source registry) that the
    environment does not set; the Dagster home follows the data dir."""
    for name, value in {**(extra or {}), **DEFAULTS, **DAGSTER_DEFAULTS}.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DAGSTER_HOME", str(Path(os.environ["MDW_DATA_DIR"]).resolve() / "dagster_home"))
    if os.environ.get("MDW_DAGSTER_PG_URL"):
        os.environ[DAGSTER_PG_ENV] = dagster_pg_sqlalchemy_url(os.environ["MDW_DAGSTER_PG_URL"])
        for name, value in POSTGRES_DEFAULTS.items():
            os.environ.setdefault(name, value)
