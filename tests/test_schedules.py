"""Schedules evaluated with Dagster's testing helpers: the right partition at the right local time, no
run on days without a publication; their jobs on an empty day; backfill planning (what is missing)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from dagster_project import runner
from dagster_project.defs.sources import schedules

BERLIN, NEW_YORK, UTC = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), dt.timezone.utc


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
])
def test_ecb_requests_the_day_it_publishes(local, expected):
    request = evaluate(schedules.ecb_daily, local.astimezone(UTC))
    assert isinstance(request, dg.RunRequest) and request.partition_key == expected


@pytest.mark.parametrize("day, reason", [
    (dt.date(2024, 12, 25), "Christmas Day"), (dt.date(2024, 12, 26), "Boxing Day"),
    (dt.date(2025, 4, 18), "Good Friday"), (dt.date(2025, 4, 21), "Easter Monday"),
    (dt.date(2025, 5, 1), "Labour Day"), (dt.date(2026, 1, 1), "New Year's Day"),
])
def test_ecb_skips_target_closing_days(day, reason):
    result = evaluate(schedules.ecb_daily, dt.datetime(day.year, day.month, day.day, 16, 30, tzinfo=BERLIN))
    assert isinstance(result, dg.SkipReason) and reason in result.skip_message


def test_ecb_cron_has_no_weekend_ticks():
    from dagster._utils.schedules import schedule_execution_time_iterator  # Dagster's own cron walk

    ticks = schedule_execution_time_iterator(dt.datetime(2024, 11, 29, 17, 0, tzinfo=BERLIN).timestamp(),
                                             schedules.ecb_daily.cron_schedule, "Europe/Berlin")
    assert next(ticks).astimezone(BERLIN) == dt.datetime(2024, 12, 2, 16, 30, tzinfo=BERLIN)  # Friday evening -> Monday


def test_page_snapshots_four_times_a_day_for_that_day():
    for hour in (8, 12, 16, 20):
        request = evaluate(schedules.page_snapshots, dt.datetime(2024, 11, 28, hour, tzinfo=UTC))
        assert request.partition_key == "2024-11-28"
    keys = {evaluate(schedules.page_snapshots, dt.datetime(2024, 11, 28, h, tzinfo=UTC)).run_key for h in (8, 12)}
    assert len(keys) == 2  # each capture is its own run


def test_fixer_takes_yesterday_and_tickers_skip_holidays():
    assert evaluate(schedules.fixer_daily, dt.datetime(2024, 11, 29, 0, 10, tzinfo=UTC)).partition_key == "2024-11-28"
    thanksgiving = evaluate(schedules.ticker_csv_daily, dt.datetime(2024, 11, 28, 18, 30, tzinfo=NEW_YORK))
    assert isinstance(thanksgiving, dg.SkipReason) and "not an XNYS session" in thanksgiving.skip_message
    friday = evaluate(schedules.ticker_csv_daily, dt.datetime(2024, 11, 29, 18, 30, tzinfo=NEW_YORK))
    assert friday.partition_key == "2024-11-29"


def test_a_scheduled_job_on_a_day_without_publication_succeeds_empty(data_dir):
    defs = runner.definitions()
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("ecb_job").execute_in_process(partition_key="2024-11-30", instance=instance)  # Saturday
    assert result.success
    rates = result.asset_materializations_for_node("ecb_rates")[0]
    assert rates.metadata["dagster/row_count"].value == 0
    assert not (data_dir / "warehouse" / "rates" / "source=ecb" / "date=2024-11-30").exists()


def test_backfill_planning_finds_what_is_missing():
    days = [dt.date(2024, 11, 25) + dt.timedelta(days=k) for k in range(10)]
    assert runner.date_ranges(days, 0) == [(days[0], days[-1])]
    assert runner.date_ranges(days, 4) == [(days[0], days[3]), (days[4], days[7]), (days[8], days[9])]
    assert runner.date_ranges(days[:3] + days[5:], 0) == [(days[0], days[2]), (days[5], days[9])]
    with dg.instance_for_test() as instance:
        for key in ("2024-11-25", "2024-11-26"):
            instance.report_runless_asset_event(dg.AssetMaterialization("raw_ecb", partition=key))
        instance.report_runless_asset_event(dg.AssetMaterialization("ecb_rates", partition="2024-11-25"))
        missing = runner.missing_dates(["raw_ecb", "ecb_rates"], days[0], days[3], instance)
    assert missing == days[1:4]  # the 26th has raw but not parsed: still missing
