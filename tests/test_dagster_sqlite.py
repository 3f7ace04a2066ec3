"""The Dagster home's SQLite files in mdw processes: ``synchronous`` as MDW_DAGSTER_SQLITE_SYNCHRONOUS says (off by
default: a run's per-partition events wait for no fsync), other SQLite files untouched, a bad value refused."""

import os
from pathlib import Path

import pytest
import sqlalchemy

from dagster_project import runner


def _synchronous(path: Path) -> int:
    engine = sqlalchemy.create_engine(f"sqlite:///{path}", poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as conn:
        value = conn.execute(sqlalchemy.text("pragma synchronous")).scalar()
    engine.dispose()
    return value


@pytest.mark.parametrize(("setting", "expected"), [(None, 0), ("normal", 1), ("FULL", 2)])
def test_the_homes_sqlite_files_get_the_setting_and_no_other(tmp_path, monkeypatch, setting, expected):
    if setting is None:
        monkeypatch.delenv(runner.SQLITE_SYNC_ENV, raising=False)
    else:
        monkeypatch.setenv(runner.SQLITE_SYNC_ENV, setting)
    inst = runner.instance()
    assert inst.get_runs(limit=1) == []
    assert _synchronous(Path(os.environ["DAGSTER_HOME"]) / "probe.db") == expected
    assert _synchronous(tmp_path / "elsewhere.db") == 2  # SQLite's default, FULL: not the home's


def test_a_bad_setting_is_refused(monkeypatch):
    monkeypatch.setenv(runner.SQLITE_SYNC_ENV, "sometimes")
    with pytest.raises(ValueError, match="MDW_DAGSTER_SQLITE_SYNCHRONOUS='sometimes'"):
        runner.instance()
