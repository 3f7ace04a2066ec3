"""Schedules: each source is snapshotted when it publishes, in its own time zone.

- ``ecb_daily``: 16:30 Europe/Berlin, Monday to Friday; TARGET closing days are skipped (no publication).
- ``page_snapshots``: four times a day (08, 12, 16, 20 UTC); each lands a capture and re-parses the day.
- ``fixer_daily``: 00:10 UTC, yesterday's rates (the day is over everywhere the API quotes).
- ``ticker_csv_daily``: 18:30 America/New_York after the NYSE close, on sessions only.

Each schedule requests the partition it is for, through a job that also rebuilds the models, so a
blocking check failure stops the models in that run. A schedule never fails on a day without a
publication: it skips it (the reason shows in the UI's tick history), and a run for such a day writes
an expected empty partition. ``make ui`` (``dagster dev``) runs the daemon that evaluates them.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project import sessions
from dagster_project.defs.sources.partitions import daily_partitions

MODELS = ["fx_rates", "fx_daily_change", "ticker_quotes", "ticker_daily_change", "fx_cross_rates"]


def _job(name: str, assets: list[str], description: str):
    return dg.define_asset_job(name, selection=[*assets, *MODELS], partitions_def=daily_partitions,
                               description=description)


ecb_job = _job("ecb_job", ["raw_ecb", "ecb_rates"], "Land and parse the ECB reference rates of a day, then the models.")
page_job = _job("page_job", ["raw_page", "page_rates", "page_tickers"], "Capture the news page, parse the day, then the models.")
fixer_job = _job("fixer_job", ["raw_fixer", "fixer_rates"], "Fetch a day's Fixer-style rates, parse them, then the models.")
ticker_csv_job = _job("ticker_csv_job", ["raw_ticker_csv", "ticker_csv_tickers"], "Land and parse a session's ticker CSV export, then the models.")
JOBS = [ecb_job, page_job, fixer_job, ticker_csv_job]


def _local_date(context: dg.ScheduleEvaluationContext, tz: str) -> dt.date:
    return context.scheduled_execution_time.astimezone(ZoneInfo(tz)).date()


def _request(day: dt.date, context: dg.ScheduleEvaluationContext, job_name: str) -> dg.RunRequest:
    tick = context.scheduled_execution_time.strftime("%Y%m%dT%H%MZ") if context.scheduled_execution_time else "manual"
    return dg.RunRequest(run_key=f"{job_name}:{day}:{tick}", partition_key=day.isoformat(),
                         tags={"mdw/scheduled_for": day.isoformat()})


@dg.schedule(job=ecb_job, cron_schedule="30 16 * * 1-5", execution_timezone="Europe/Berlin",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="ECB reference rates: published about 16:00 CET on TARGET days.")
def ecb_daily(context: dg.ScheduleEvaluationContext):
    day = _local_date(context, "Europe/Berlin")
    if day.weekday() >= 5:
        return dg.SkipReason(f"{day} is a weekend: the ECB publishes no rates")
    closed = sessions.target_closed(day)
    if closed:
        return dg.SkipReason(f"{day} is a TARGET closing day ({closed}): the ECB publishes no rates")
    return _request(day, context, "ecb_job")


@dg.schedule(job=page_job, cron_schedule="0 8,12,16,20 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="News page: a capture four times a day; each re-parses the day's partition.")
def page_snapshots(context: dg.ScheduleEvaluationContext):
    return _request(_local_date(context, "UTC"), context, "page_job")


@dg.schedule(job=fixer_job, cron_schedule="10 0 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Fixer-style API: yesterday's rates, once the day is over (needs MDW_FIXER_* settings).")
def fixer_daily(context: dg.ScheduleEvaluationContext):
    return _request(_local_date(context, "UTC") - dt.timedelta(days=1), context, "fixer_job")


@dg.schedule(job=ticker_csv_job, cron_schedule="30 18 * * 1-5", execution_timezone="America/New_York",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Ticker CSV exports: after the NYSE close, on sessions only.")
def ticker_csv_daily(context: dg.ScheduleEvaluationContext):
    day = _local_date(context, "America/New_York")
    if not sessions.is_session("XNYS", day):
        return dg.SkipReason(f"{day} is not an XNYS session: no closes to export")
    return _request(day, context, "ticker_csv_job")


SCHEDULES = [ecb_daily, page_snapshots, fixer_daily, ticker_csv_daily]
