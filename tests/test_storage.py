"""Raw landing (immutable, deduplicated) and Parquet partitions (atomic, idempotent)."""

import datetime as dt
import os

import polars as pl
import pytest
from conftest import BUNDLED_PAGE, FIXTURES

from dagster_project import landing, periods, pipeline, storage
from dagster_project.rows import ParseError

DAY = dt.date(2024, 11, 28)


def land_page(data_dir):
    return pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name)


def test_landing_is_byte_for_byte_and_deduplicated(data_dir):
    first = land_page(data_dir)
    assert first.new and first.raw.rel(data_dir) == "raw/page/date=2024-11-28/20241128T120000Z.txt"
    assert first.raw.path.read_bytes() == BUNDLED_PAGE.read_bytes()
    again = land_page(data_dir)
    assert not again.new and again.raw.path == first.raw.path
    assert len(list((data_dir / "raw").rglob("*.txt"))) == 1


def test_same_capture_second_with_other_bytes_never_overwrites(data_dir):
    first = land_page(data_dir)
    other = BUNDLED_PAGE.read_text().replace("AED 3.878126", "AED 3.878127").encode()
    second = pipeline.land_input(data_dir, other, name=BUNDLED_PAGE.name)
    assert second.new and second.raw.path != first.raw.path
    assert first.raw.path.read_bytes() == BUNDLED_PAGE.read_bytes()


def test_bad_input_lands_nothing(data_dir):
    with pytest.raises(ParseError):
        pipeline.land_input(data_dir, b"not a page at all", name="x.txt", source="page")
    assert not (data_dir / "raw").exists()


def test_history_file_covers_its_dates(data_dir):
    hist = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
    landed = pipeline.land_input(data_dir, hist.read_bytes(), name="20241203T160000Z.csv")
    assert landed.raw.first == dt.date(2024, 11, 20) and landed.raw.last == dt.date(2024, 12, 3)
    plan = landing.snapshots_for(data_dir, "ecb", [DAY, dt.date(2024, 12, 10)])
    assert plan == {landed.raw: [DAY]}


def partition_rows(data_dir, dataset, source, day):
    return storage.read_month(data_dir / "warehouse", dataset, source, storage.month_of(day))


def test_rerunning_a_partition_three_times_leaves_identical_rows(data_dir):
    land_page(data_dir)
    results = []
    for _ in range(3):
        stats = pipeline.parse_partitions(data_dir, "page", [DAY])
        assert stats.rows == {"rates": 168, "tickers": 16}
        path = storage.partition_path(data_dir / "warehouse", "rates", "page", DAY)
        results.append((partition_rows(data_dir, "rates", "page", DAY), partition_rows(data_dir, "tickers", "page", DAY), path.read_bytes()))
    for rates, tickers, raw_bytes in results[1:]:
        assert rates.equals(results[0][0]) and tickers.equals(results[0][1])
        assert raw_bytes == results[0][2]
    files = [p for p in (data_dir / "warehouse").rglob("*") if p.is_file()
             and p.relative_to(data_dir / "warehouse").parts[0] != "closed"]
    assert sorted(p.name for p in files) == ["data.parquet", "data.parquet"]  # no temp files, no duplicates
    closed = [p.name for p in (data_dir / "warehouse" / "closed").rglob("*") if p.is_file()]  # November 2024 is closed:
    assert sorted(closed) == ["LOCK", periods.parsed_period(data_dir, "rates", "page", ()).file().name]  # its file, its lock
    kept = [p.name for p in (data_dir / "parsed_inputs").rglob("*") if p.is_file()]  # the rows landing parsed
    assert sorted(kept) == ["complete", "rates.parquet", "rejects.parquet", "tickers.parquet"]


def test_a_failed_write_leaves_the_old_partition(data_dir, monkeypatch):
    land_page(data_dir)
    pipeline.parse_partitions(data_dir, "page", [DAY])
    before = partition_rows(data_dir, "rates", "page", DAY)

    def boom(self, path, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        pipeline.parse_partitions(data_dir, "page", [DAY])
    monkeypatch.undo()
    assert partition_rows(data_dir, "rates", "page", DAY).equals(before)
    folder = storage.partition_path(data_dir / "warehouse", "rates", "page", DAY).parent
    assert os.listdir(folder) == ["data.parquet"]


def test_an_unreadable_raw_file_fails_before_anything_is_written(data_dir):
    land_page(data_dir)
    bad = data_dir / "raw" / "page" / "date=2024-11-28" / "20241128T130000Z.txt"
    bad.write_bytes(b"garbage")
    with pytest.raises(ParseError, match=r"raw/page/date=2024-11-28/20241128T130000Z.txt: no base marker"):
        pipeline.parse_partitions(data_dir, "page", [DAY])
    assert not (data_dir / "warehouse").exists()


def test_a_month_without_input_has_no_partition(data_dir):
    land_page(data_dir)
    stats = pipeline.parse_partitions(data_dir, "page", [DAY, dt.date(2024, 12, 1)])
    assert stats.partitions == {"rates": 1, "tickers": 1}
    assert stats.days == {dt.date(2024, 11, 1): [DAY]}
    assert sorted(p.name for p in (data_dir / "warehouse" / "rates" / "source=page").iterdir()) == ["month=2024-11"]


def test_one_file_per_dataset_source_and_month_with_the_date_inside(data_dir):
    hist = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
    pipeline.land_input(data_dir, hist.read_bytes(), name="20241203T160000Z.csv")
    stats = pipeline.parse_partitions(data_dir, "ecb", [dt.date(2024, 11, 1), dt.date(2024, 12, 1)])
    files = sorted(p.relative_to(data_dir / "warehouse").as_posix() for p in (data_dir / "warehouse").rglob("*.parquet"))
    closed = f"closed/rates/source=ecb/{storage.closed_period(data_dir / 'warehouse', 'rates', 'ecb').file().name}"
    assert files == [closed, "rates/source=ecb/month=2024-11/data.parquet", "rates/source=ecb/month=2024-12/data.parquet"]
    november = storage.read_month(data_dir / "warehouse", "rates", "ecb", dt.date(2024, 11, 1))
    assert sorted(set(november["date"].to_list())) == stats.days[dt.date(2024, 11, 1)]
    assert november["date"].min() == dt.date(2024, 11, 20) and november["date"].is_sorted()
    # a plain read_parquet over the Hive layout gives every row with its source and month
    import duckdb
    n, months = duckdb.sql(f"select count(*), count(distinct month) from read_parquet('{data_dir}/warehouse/rates/**/*.parquet', "
                           "hive_partitioning = true)").fetchone()
    assert (n, months) == (stats.rows["rates"], 2)


def test_an_input_is_parsed_once_and_its_rows_reused_until_the_parser_changes(data_dir, monkeypatch):
    import datetime as dt

    from conftest import BUNDLED_PAGE

    from dagster_project import parsed_inputs, pipeline, sources

    calls = []
    real_parse = sources.parse
    monkeypatch.setattr(sources, "parse", lambda *a, **k: calls.append(a[0]) or real_parse(*a, **k))
    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name, source="page")
    assert calls == ["page"]  # landing validates by parsing...
    stats = pipeline.parse_partitions(data_dir, "page", [dt.date(2024, 11, 1)])
    assert calls == ["page"] and stats.rows == {"rates": 168, "tickers": 16}  # ...and the partitions reuse those rows
    rebuilt = pipeline.rebuild(data_dir, data_dir / "rebuilt")
    assert calls == ["page", "page"] and rebuilt["page"].rows == stats.rows  # a rebuild re-parses the raw layer
    parsed_inputs.parser_version.cache_clear()
    monkeypatch.setattr(parsed_inputs, "parser_version", lambda: "another-parser")
    assert pipeline.parse_partitions(data_dir, "page", [dt.date(2024, 11, 1)]).rows == stats.rows
    assert calls == ["page", "page", "page"]  # rows kept by another parser version are not used
