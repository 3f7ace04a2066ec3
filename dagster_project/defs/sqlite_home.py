"""The Dagster home's SQLite files without an fsync per event (MDW_DAGSTER_SQLITE_SYNCHRONOUS).

Applied in every process that loads the code location (``definitions.py``: ``mdw``, ``dagster dev``'s code server and
the runs it launches) and before ``mdw`` opens the instance, unless the instance is on Postgres
(MDW_DAGSTER_PG_URL). It is SQLAlchemy's public ``connect`` event on the engines Dagster creates; nothing of
Dagster's is patched.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from pathlib import Path

SQLITE_SYNC_ENV = "MDW_DAGSTER_SQLITE_SYNCHRONOUS"
SQLITE_SYNC_DEFAULT = "off"


def _sqlite_synchronous(dbapi_connection, record) -> None:
    """``pragma synchronous`` (MDW_DAGSTER_SQLITE_SYNCHRONOUS: off by default, normal or full) on each connection
    Dagster opens to a SQLite file under DAGSTER_HOME. Dagster's SQLite event log opens, commits and closes a
    connection per event and a ranged run records an event per partition and asset (a 20-year ticker ingest: 960),
    so with SQLite's default (full) every event waits for two or three fsyncs: 25 of the 58 s of that ingest on a
    shared disk. Off: no fsync; an application crash loses nothing, an OS crash or a power failure during a run can
    leave the run history's database damaged (never the lake: its files are replaced atomically; a damaged home is
    removed and the runs re-run, they are idempotent). Set it to full to keep SQLite's durability."""
    if isinstance(dbapi_connection, sqlite3.Connection) and record.info.get(_IN_HOME):
        dbapi_connection.execute(f"pragma synchronous = {sqlite_synchronous()}")


_IN_HOME = "mdw_dagster_home"


def _note_file(dialect, record, cargs, cparams) -> None:
    """Before a SQLite connection opens: whether its file is under DAGSTER_HOME (SQLAlchemy's ``do_connect`` event
    gets the file name; the ``connect`` event after it then needs no query to know)."""
    home = os.environ.get("DAGSTER_HOME")
    if dialect.name == "sqlite" and home:
        file = cargs[0] if cargs else cparams.get("database", "")
        record.info[_IN_HOME] = bool(file) and file != ":memory:" and _under(str(file), home)


@functools.lru_cache(maxsize=4096)
def _under(file: str, home: str) -> bool:
    """Whether ``file`` is inside ``home`` (resolved once per pair: Dagster opens a connection per event)."""
    return Path(file).resolve().is_relative_to(Path(home).resolve())


def sqlite_synchronous() -> str:
    value = (os.environ.get(SQLITE_SYNC_ENV) or SQLITE_SYNC_DEFAULT).strip().lower()
    if value not in ("off", "normal", "full"):
        raise ValueError(f"{SQLITE_SYNC_ENV}={value!r}: expected off, normal or full")
    return value


def apply() -> None:
    """Install the setting for this process (once); a bad value fails here, before any run."""
    if os.environ.get("MDW_DAGSTER_PG_URL"):
        return
    import sqlalchemy

    sqlite_synchronous()
    if not sqlalchemy.event.contains(sqlalchemy.engine.Engine, "connect", _sqlite_synchronous):
        sqlalchemy.event.listen(sqlalchemy.engine.Engine, "do_connect", _note_file)
        sqlalchemy.event.listen(sqlalchemy.engine.Engine, "connect", _sqlite_synchronous)
