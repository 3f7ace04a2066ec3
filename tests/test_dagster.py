"""The Dagster layer: definitions load, one asset in isolation, materialize runs, the inbox sensor."""

import os
import shutil

import dagster as dg
import pytest
from conftest import BUNDLED_PAGE, FIXTURES

from dagster_project import quality, sources
from dagster_project.defs.sources import assets, sensors
from dagster_project.defs.sources.resources import HistoryFeed, SnapshotFeed, Warehouse


def test_all_definitions_load():
    from dagster_project.definitions import defs

    defs.resolve_all_job_defs()
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["raw_ecb"] == "raw" and groups["ecb_rates"] == "parsed" and groups["fx_rates"] == "models"
    assert {g for g in groups.values()} == {"raw", "parsed", "models", "central_banks"}
    banks = [name for name, s in sources.SOURCES.items() if s.group == "central_banks"]
    assert len(banks) >= 12 and all(groups[f"raw_{b}"] == groups[f"{b}_rates"] == "central_banks" for b in banks)
    for key in ("raw_page", "page_rates", "page_tickers", "fixer_rates", "ticker_csv_tickers"):
        assert graph.get(dg.AssetKey(key)).partitions_def is not None
    assert defs.resolve_sensor_def("inbox_sensor") and defs.resolve_sensor_def("catch_up_sensor")
    monthly = graph.get(dg.AssetKey("fx_daily_change")).partitions_def
    assert isinstance(monthly, dg.MonthlyPartitionsDefinition) and monthly.get_first_partition_key() == "1999-01-01"
    for key in ("raw_ecb", "ecb_rates", "fx_rates", "fx_daily_change", "ticker_quotes", "ticker_daily_change"):
        assert graph.get(dg.AssetKey(key)).partitions_def == monthly
    assert {"warehouse", "ecb_feed", "page_feed", "fixer_feed", "ticker_csv_feed"} <= set(defs.resources)
    for name in ("ecb_daily", "page_snapshots", "fixer_daily", "ticker_csv_daily"):
        assert defs.resolve_schedule_def(name)
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    rates_assets = [f"{name}_rates" for name, s in sources.SOURCES.items() if "rates" in s.datasets]
    per_rates_asset = {n for a, n in checks if a == "ecb_rates"}
    assert per_rates_asset == {*quality.DATASET_CHECKS["rates"], "quarantined_lines"} and all({n for a, n in checks if a == r} == per_rates_asset for r in rates_assets)
    assert checks == {(asset, name) for asset, (_, _, names) in quality.ASSET_CHECKS.items() for name in names}
    assert ("page_rates", "partition_structure") in checks and ("fx_rates", "source_disagreement") in checks
    assert graph.get_check_spec(dg.AssetCheckKey(dg.AssetKey("ecb_rates"), "partition_structure")).blocking


def test_one_asset_with_build_asset_context(data_dir):
    warehouse = Warehouse(data_dir=str(data_dir))
    feed = SnapshotFeed(source="page", location=str(BUNDLED_PAGE.parent))
    context = dg.build_asset_context(partition_key="2024-11-01")
    result = assets.RAW["page"](context, warehouse=warehouse, page_feed=feed)
    assert result.metadata["new_raw_files"].value == ["raw/page/date=2024-11-28/20241128T120000Z.txt"]
    assert (data_dir / "raw" / "page" / "date=2024-11-28" / BUNDLED_PAGE.name).exists()


def test_materialize_sources_and_models_in_tmp_warehouse(data_dir):
    from dagster_project.defs.models.assets import MART_ASSETS, fx_cross_rates

    resources = {
        "warehouse": Warehouse(data_dir=str(data_dir)),
        "ecb_feed": HistoryFeed(source="ecb", location=str(FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv")),
        "page_feed": SnapshotFeed(source="page", location=str(BUNDLED_PAGE.parent)),
    }
    tags = {"dagster/asset_partition_range_start": "2024-11-01", "dagster/asset_partition_range_end": "2024-12-01"}
    with dg.instance_for_test() as instance:
        result = dg.materialize([assets.RAW["ecb"], assets.PARSED["ecb"], assets.RAW["page"], assets.PARSED["page"]],
                                resources=resources, instance=instance, tags=tags)
        assert result.success
        events = result.get_asset_materialization_events()
        by_key = {}
        for e in events:
            by_key.setdefault(e.asset_key.to_user_string(), set()).add(e.partition)
        assert by_key["ecb_rates"] == {"2024-11-01", "2024-12-01"}  # one run, two month partitions
        meta = {e.asset_key.to_user_string(): e.materialization.metadata for e in events}
        assert meta["ecb_rates"]["dagster/row_count"].value == 10 * 30  # 8 + 2 TARGET days, 30 currencies
        assert meta["ecb_rates"]["days_held"].value == 10 and "days" not in meta["ecb_rates"]  # a range: counts only
        assert meta["page_rates"]["dagster/row_count"].value == 168

        one = dg.materialize([assets.RAW["ecb"], assets.PARSED["ecb"]], resources=resources, instance=instance,
                             partition_key="2024-11-01")
        (month,) = [e.materialization.metadata for e in one.get_asset_materialization_events()
                    if e.asset_key.to_user_string() == "ecb_rates"]
        assert month["days"].value == "20, 21, 22, 25, 26, 27, 28, 29"  # the days the month holds
        # the TARGET publication days the file does not cover are missing (1 November is a Friday)
        assert month["missing_days"].value == "01, 04, 05, 06, 07, 08, 11, 12, 13, 14, 15, 18, 19"
        assert month["missing_publication_days"].value == 13

        models = dg.materialize([*MART_ASSETS, fx_cross_rates], resources={"warehouse": Warehouse(data_dir=str(data_dir))},
                                instance=instance, partition_key="2024-11-01")
        assert models.success
        fx = {e.asset_key.to_user_string(): e.materialization.metadata for e in models.get_asset_materialization_events()}
        assert fx["fx_rates"]["dagster/row_count"].value == 8 * 30 + 168
        assert fx["ticker_quotes"]["first"].value == "2024-11-27"
        newest = fx["fx_rates"]["newest_rows"].value  # a typed table the UI renders
        assert [(r.data["date"], r.data["source"]) for r in newest.records] == [("2024-11-29", "ecb")] * 10
        assert {c.name: c.type for c in newest.schema.columns}["rate"] == "float"
        files = sorted(p.relative_to(data_dir / "warehouse" / "marts").as_posix()
                       for p in (data_dir / "warehouse" / "marts").rglob("*.parquet") if "charts" not in p.parts)
        assert files == [f"{m}/month=2024-11/data.parquet"
                         for m in ("fx_daily_change", "fx_rates", "fx_rates_consensus", "ticker_daily_change", "ticker_quotes")]


def test_a_month_without_data_is_an_empty_partition_not_a_failure(data_dir):
    resources = {"warehouse": Warehouse(data_dir=str(data_dir)),
                 "ecb_feed": HistoryFeed(source="ecb", location=str(FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"))}
    with dg.instance_for_test() as instance:
        result = dg.materialize([assets.RAW["ecb"], assets.PARSED["ecb"]], resources=resources, instance=instance,
                                partition_key="2024-10-01")
        assert result.success
        (meta,) = [e.materialization.metadata for e in result.get_asset_materialization_events()
                   if e.asset_key.to_user_string() == "ecb_rates"]
        assert meta["dagster/row_count"].value == 0 and meta["days"].value == "(none)"


def test_inbox_sensor_lands_files_and_requests_their_partitions(data_dir):
    inbox = data_dir / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "ecb" / "eurofxref-daily-2024-11-28.xml", inbox / "daily.xml")
    shutil.copy(FIXTURES / "ticker_csv" / "history.csv", inbox / "history.csv")
    (inbox / "broken.json").write_text('{"success": false, "error": {"code": 104, "type": "usage_limit_reached"}}')
    outside = data_dir.parent / "secret.txt"
    outside.write_text("EUR -\nUSD 1.0\n")
    os.symlink(outside, inbox / "link.txt")
    with dg.build_sensor_context(resources={"warehouse": Warehouse(data_dir=str(data_dir))}) as context:
        requests = sensors.inbox_sensor(context)
    by_file = {r.tags["mdw/inbox_file"]: r for r in requests}
    assert set(by_file) == {"daily.xml", "history.csv"}
    assert by_file["daily.xml"].partition_key_range == dg.PartitionKeyRange("2024-11-01", "2024-11-01")
    assert by_file["history.csv"].partition_key_range == dg.PartitionKeyRange("2024-11-01", "2024-11-01")
    assert [k.to_user_string() for k in by_file["history.csv"].asset_selection] == [
        "raw_ticker_csv", "ticker_csv_tickers", "ticker_quotes", "ticker_daily_change"]
    assert (inbox / "rejected" / "broken.json").exists()
    assert "provider error 104" in (inbox / "rejected" / "broken.json.reason.txt").read_text()
    assert (inbox / "link.txt").is_symlink() and not list((data_dir / "raw").rglob("*secret*"))
    with dg.build_sensor_context(resources={"warehouse": Warehouse(data_dir=str(data_dir))}) as context:
        assert isinstance(sensors.inbox_sensor(context), dg.SkipReason)


@pytest.mark.e2e
def test_the_code_location_loads_as_dagster_dev_loads_it(tmp_path):
    """`dagster dev` refuses a module with two Definitions at module scope: validate it the same way."""
    import subprocess
    import sys
    from pathlib import Path

    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run([str(dagster), "definitions", "validate", "-m", "dagster_project.definitions"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "All code locations passed validation" in result.stderr + result.stdout
