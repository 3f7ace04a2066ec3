"""Schedules: each source is snapshotted when it publishes, in its own time zone.

- ``ecb_daily``: 16:30 Europe/Berlin, Monday to Friday; TARGET closing days are skipped (no publication).
- ``page_snapshots``: four times a day (08, 12, 16, 20 UTC); each lands a capture and re-parses the day.
- ``fixer_daily``: 00:10 UTC, yesterday's rates (the day is over everywhere the API quotes).
- ``ticker_csv_daily``: 18:30 America/New_York after the NYSE close, on sessions only.

Each schedule requests the month partition of the day it is for (re-materializing the month from its
immutable raw snapshots costs milliseconds of data work), through a job that also rebuilds that month of
the models built from the source, so a blocking check failure stops the models in that run. Missed ticks
(the daemon was down) are caught up by ``catch_up_sensor``. A schedule never fails on a day without a
publication: it skips it (the reason shows in the UI's tick history), and a run for such a day writes
an expected empty partition. ``make ui`` (``dagster dev``) runs the daemon that evaluates them.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project import pipeline, sessions
from dagster_project.defs.models.assets import models_for
from dagster_project.defs.sources.assets import SOURCE_ASSETS
from dagster_project.defs.sources.partitions import month_partition_key, monthly_partitions


def _job(source: str, description: str):
    selection = [*SOURCE_ASSETS[source], *models_for(pipeline.SOURCE_DATASETS[source])]
    return dg.define_asset_job(f"{source}_job", selection=selection, partitions_def=monthly_partitions,
                               description=description)


ecb_job = _job("ecb", "Land and parse the ECB reference rates of a month, then that month of the FX models.")
page_job = _job("page", "Capture the news page, parse its month, then that month of the models.")
fixer_job = _job("fixer", "Fetch a month's Fixer-style rates, parse them, then that month of the FX models.")
ticker_csv_job = _job("ticker_csv", "Land and parse ticker CSV exports of a month, then that month of the ticker models.")
JOBS = [ecb_job, page_job, fixer_job, ticker_csv_job]
JOB_OF_SOURCE = {"ecb": ecb_job, "page": page_job, "fixer": fixer_job, "ticker_csv": ticker_csv_job}


def _local_date(context: dg.ScheduleEvaluationContext, tz: str) -> dt.date:
    return context.scheduled_execution_time.astimezone(ZoneInfo(tz)).date()


def _request(day: dt.date, context: dg.ScheduleEvaluationContext, job_name: str) -> dg.RunRequest:
    tick = context.scheduled_execution_time.strftime("%Y%m%dT%H%MZ") if context.scheduled_execution_time else "manual"
    return dg.RunRequest(run_key=f"{job_name}:{day}:{tick}", partition_key=month_partition_key(day),
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
SCHEDULE_OF_SOURCE = {"ecb": ecb_daily.name, "page": page_snapshots.name, "fixer": fixer_daily.name,
                      "ticker_csv": ticker_csv_daily.name}
