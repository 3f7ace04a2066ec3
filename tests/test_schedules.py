"""Schedules evaluated with Dagster's testing helpers: the right month partition at the right local time,
no run on days without a publication; their jobs on an empty month; backfill planning (what is missing);
the catch-up of missed ticks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from conftest import FIXTURES

from dagster_project import runner, storage
from dagster_project.defs.sources import schedules

BERLIN, NEW_YORK, UTC = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), dt.UTC


def evaluate(schedule, when: dt.datetime):
    return schedule(dg.build_schedule_context(scheduled_execution_time=when))


def test_schedules_are_declared_in_their_sources_time_zones():
    by_name = {s.name: s for s in schedules.SCHEDULES}
    assert (by_name["ecb_daily"].cron_schedule, by_name["ecb_daily"].execution_timezone) == ("30 16 * * 1-5", "Europe/Berlin")
    assert by_name["ticker_csv_daily"].execution_timezone == "America/New_York"
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in schedules.SCHEDULES)


@pytest.mark.parametrize("local, expected", [
    (dt.datetime(2024, 11, 28, 16, 30, tzinfo=BERLIN), "2024-11-28"),   # winter: 15:30 UTC
    (dt.datetime(2024, 7, 1, 16, 30, tzinfo=BERLIN), "2024-07-01"),     # summer: 14:30 UTC
    (dt.datetime(2024, 10, 31, 16, 30, tzinfo=BERLIN), "2024-10-31"),   # the last day of a month
])
def test_ecb_requests_the_month_of_the_day_it_publishes(local, expected):
    request = evaluate(schedules.SCHEDULE_OF_SOURCE_DEF["ecb"], local.astimezone(UTC))
    assert isinstance(request, dg.RunRequest) and request.partition_key == expected[:8] + "01"
    assert request.tags["mdw/scheduled_for"] == expected


@pytest.mark.parametrize("day, reason", [
    (dt.date(2024, 12, 25), "Christmas Day"), (dt.date(2024, 12, 26), "Boxing Day"),
    (dt.date(2025, 4, 18), "Good Friday"), (dt.date(2025, 4, 21), "Easter Monday"),
    (dt.date(2025, 5, 1), "Labour Day"), (dt.date(2026, 1, 1), "New Year's Day"),
])
def test_ecb_skips_target_closing_days(day, reason):
    result = evaluate(schedules.SCHEDULE_OF_SOURCE_DEF["ecb"], dt.datetime(day.year, day.month, day.day, 16, 30, tzinfo=BERLIN))
    assert isinstance(result, dg.SkipReason) and reason in result.skip_message


def test_ecb_cron_has_no_weekend_ticks():
    from dagster._utils.schedules import schedule_execution_time_iterator  # Dagster's own cron walk

    ticks = schedule_execution_time_iterator(dt.datetime(2024, 11, 29, 17, 0, tzinfo=BERLIN).timestamp(),
                                             schedules.SCHEDULE_OF_SOURCE_DEF["ecb"].cron_schedule, "Europe/Berlin")
    assert next(ticks).astimezone(BERLIN) == dt.datetime(2024, 12, 2, 16, 30, tzinfo=BERLIN)  # Friday evening -> Monday


def test_page_snapshots_four_times_a_day_for_that_day():
    for hour in (8, 12, 16, 20):
        request = evaluate(schedules.SCHEDULE_OF_SOURCE_DEF["page"], dt.datetime(2024, 11, 28, hour, tzinfo=UTC))
        assert request.partition_key == "2024-11-01"
    keys = {evaluate(schedules.SCHEDULE_OF_SOURCE_DEF["page"], dt.datetime(2024, 11, 28, h, tzinfo=UTC)).run_key for h in (8, 12)}
    assert len(keys) == 2  # each capture is its own run


def test_fixer_takes_yesterday_and_tickers_skip_holidays():
    assert evaluate(schedules.SCHEDULE_OF_SOURCE_DEF["fixer"], dt.datetime(2024, 12, 1, 0, 10, tzinfo=UTC)).partition_key == "2024-11-01"
    thanksgiving = evaluate(schedules.SCHEDULE_OF_SOURCE_DEF["ticker_csv"], dt.datetime(2024, 11, 28, 18, 30, tzinfo=NEW_YORK))
    assert isinstance(thanksgiving, dg.SkipReason) and "not a XNYS publication day" in thanksgiving.skip_message
    friday = evaluate(schedules.SCHEDULE_OF_SOURCE_DEF["ticker_csv"], dt.datetime(2024, 11, 29, 18, 30, tzinfo=NEW_YORK))
    assert friday.partition_key == "2024-11-01" and friday.tags["mdw/scheduled_for"] == "2024-11-29"


def test_a_scheduled_job_on_a_month_without_publication_succeeds_empty(data_dir, monkeypatch):
    monkeypatch.setenv("MDW_ECB_LOCATION", str(FIXTURES / "ecb" / "eurofxref-daily-2024-11-28.xml"))
    defs = runner.definitions()
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("ecb_job").execute_in_process(partition_key="2024-10-01", instance=instance)
    assert result.success
    rates = result.asset_materializations_for_node("ecb_rates")[0]
    assert rates.metadata["dagster/row_count"].value == 0
    assert not (data_dir / "warehouse" / "rates" / "source=ecb" / "month=2024-10").exists()
    assert {n for n in ("fx_rates", "fx_daily_change") if result.asset_materializations_for_node(n)} == {"fx_rates", "fx_daily_change"}


def test_backfill_planning_finds_the_missing_months():
    months = storage.months_between(dt.date(2024, 3, 15), dt.date(2024, 12, 2))
    assert months[0] == dt.date(2024, 3, 1) and months[-1] == dt.date(2024, 12, 1) and len(months) == 10
    assert runner.month_ranges(months, 0) == [(months[0], months[-1])]
    assert runner.month_ranges(months, 4) == [(months[0], months[3]), (months[4], months[7]), (months[8], months[9])]
    assert runner.month_ranges(months[:3] + months[5:], 0) == [(months[0], months[2]), (months[5], months[9])]
    with dg.instance_for_test() as instance:
        for key in ("2024-03-01", "2024-04-01"):
            instance.report_runless_asset_event(dg.AssetMaterialization("raw_ecb", partition=key))
        instance.report_runless_asset_event(dg.AssetMaterialization("ecb_rates", partition="2024-03-01"))
        missing = runner.missing_months(["raw_ecb", "ecb_rates"], dt.date(2024, 3, 20), dt.date(2024, 6, 5), instance)
    assert missing == months[1:4]  # April has raw but not parsed: still missing


def test_missed_ticks_are_caught_up_missing_or_older_than_their_raw_input(data_dir):
    import os
    import time

    from dagster_project import pipeline
    from dagster_project.defs.sources import sensors
    from dagster_project.defs.sources.resources import Warehouse

    today = dt.date(2024, 12, 3)
    with dg.instance_for_test() as instance:
        assert sensors.months_to_catch_up(instance, data_dir, "ecb", today) == []  # never loaded: left alone
        instance.report_runless_asset_event(dg.AssetMaterialization("ecb_rates", partition="2024-11-01"))
        # October and December were never materialized (missed ticks); November is up to date
        assert sensors.months_to_catch_up(instance, data_dir, "ecb", today) == [("2024-10-01", "missing"), ("2024-12-01", "missing")]
        landed = pipeline.land_input(data_dir, (FIXTURES / "ecb" / "eurofxref-daily-2024-11-28.xml").read_bytes(),
                                     name="20241128T150000Z.xml", source="ecb")
        later = time.time() + 60
        os.utime(landed.raw.path, (later, later))  # landed after November's materialization
        stale = dict(sensors.months_to_catch_up(instance, data_dir, "ecb", today))
        assert stale["2024-11-01"].startswith("raw input landed")
        with dg.build_sensor_context(instance=instance, resources={"warehouse": Warehouse(data_dir=str(data_dir))}) as context:
            requests = sensors.catch_up_sensor(context)  # as of the real today: the last three months are missing
        now = dt.datetime.now(dt.UTC).date()
        recent = [m.isoformat() for m in storage.months_between(storage.previous_month(storage.previous_month(now)), now)]
        assert [(r.job_name, r.partition_key, r.tags["mdw/catch_up"]) for r in requests] == [
            ("ecb_job", key, "missing") for key in recent]
