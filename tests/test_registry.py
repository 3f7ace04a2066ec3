"""The source registry is the one declaration of a source: what SQL reads of it (ref_sources, the publication
calendars) is derived from it, and reading the warehouse writes nothing."""

import datetime as dt

import duckdb
from conftest import BUNDLED_PAGE

from dagster_project import pipeline, reference, sources, sqlmodels, storage


def test_ref_sources_is_the_registry():
    con = duckdb.connect()
    con.execute(reference.sources_statement())
    rows = {(s, d): (c, tz, t, p) for s, d, c, tz, t, p in con.execute(
        "select source, dataset, calendar, timezone, publish_time, reference_priority from ref_sources").fetchall()}
    expected = {(s.name, d): (s.publication(d).calendar, s.publication(d).timezone, s.publication(d).publish_time,
                              s.publication(d).priority)
                for s in sources.SOURCES.values() for d in s.datasets}
    assert rows == expected
    assert rows[("page", "tickers")] == ("XNYS", "America/New_York", "16:00", 1)  # the page's ticker strip: NYSE sessions
    assert rows[("page", "rates")][0] == "daily"
    assert rows[("ecb", "rates")] == ("TARGET", "Europe/Berlin", "16:00", 1)


def test_every_registry_calendar_has_its_publication_days(data_dir):
    days = reference.publication_days_frame(dt.date(2025, 1, 10))
    calendars = {s.publication(d).calendar for s in sources.SOURCES.values() for d in s.datasets}
    assert set(days["calendar"].unique()) == calendars
    target = days.filter(days["calendar"] == "TARGET")["day"].to_list()
    assert dt.date(2025, 1, 1) not in target and dt.date(2025, 1, 2) in target  # New Year's Day: TARGET closed


def test_connecting_writes_nothing(data_dir):
    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name, source="page")
    pipeline.parse_partitions(data_dir, "page", [dt.date(2024, 11, 1)])
    sqlmodels.connect(data_dir).close()  # the first connection on a fresh warehouse writes the reference files
    before = {p: p.stat().st_mtime_ns for p in (data_dir / "warehouse").rglob("*") if p.is_file()}
    for months in (None, [storage.month_of(dt.date(2024, 11, 28))]):
        con = sqlmodels.connect(data_dir, months=months)
        assert con.execute("select count(*) from fx_cross_rates").fetchone()[0] > 0
        con.close()
    after = {p: p.stat().st_mtime_ns for p in (data_dir / "warehouse").rglob("*") if p.is_file()}
    assert after == before


def test_a_stale_calendar_file_is_rewritten_by_a_refresh_not_by_a_read(data_dir):
    path = reference.publication_days_file(data_dir)
    meta = path.with_name(path.name + ".json")
    meta.write_text('{"stamp": "stale"}')
    sqlmodels.connect(data_dir).close()
    assert meta.read_text() == '{"stamp": "stale"}'
    reference.refresh(data_dir)
    assert meta.read_text() != '{"stamp": "stale"}'
