"""Schedules: each source of the registry (``dagster_project.sources``) is snapshotted when it publishes, in
its own time zone.

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

from dagster_project import sessions, sources
from dagster_project.defs.models.assets import models_for
from dagster_project.defs.sources.partitions import month_partition_key, monthly_partitions


def _job(source: sources.Source):
    models = models_for(source.datasets)
    return dg.define_asset_job(f"{source.name}_job", selection=[*source.assets, *models], partitions_def=monthly_partitions,
                               description=f"Land and parse {source.name}'s inputs of a month, then that month of "
                                           f"{', '.join(models)}.")


def _request(day: dt.date, context: dg.ScheduleEvaluationContext, job_name: str) -> dg.RunRequest:
    tick = context.scheduled_execution_time.strftime("%Y%m%dT%H%MZ") if context.scheduled_execution_time else "manual"
    return dg.RunRequest(run_key=f"{job_name}:{day}:{tick}", partition_key=month_partition_key(day),
                         tags={"mdw/scheduled_for": day.isoformat()})


def _schedule(source: sources.Source, job) -> dg.ScheduleDefinition:
    """At the source's publication time in its own time zone; a tick on a day its calendar has no publication
    (a weekend, a TARGET closing day, an exchange holiday) is skipped with the reason."""

    def evaluate(context: dg.ScheduleEvaluationContext):
        day = context.scheduled_execution_time.astimezone(ZoneInfo(source.timezone)).date() + dt.timedelta(days=source.day_offset)
        if source.calendar is not None and not sessions.publication_days(source.calendar, day, day):
            closed = sessions.target_closed(day) if source.calendar == "TARGET" else None
            why = f"a TARGET closing day ({closed})" if closed else "a weekend" if day.weekday() >= 5 else "a holiday"
            return dg.SkipReason(f"{day} is not a {source.calendar} publication day ({why}): {source.name} publishes nothing")
        return _request(day, context, job.name)

    name = SCHEDULE_NAMES.get(source.name, f"{source.name}_daily")
    return dg.schedule(name=name, job=job, cron_schedule=source.cron, execution_timezone=source.timezone,
                       default_status=dg.DefaultScheduleStatus.RUNNING, description=source.schedule)(evaluate)


SCHEDULE_NAMES = {"page": "page_snapshots"}  # the others are <source>_daily
JOB_OF_SOURCE = {name: _job(source) for name, source in sources.SOURCES.items()}
JOBS = list(JOB_OF_SOURCE.values())
SCHEDULE_OF_SOURCE_DEF = {name: _schedule(source, JOB_OF_SOURCE[name]) for name, source in sources.SOURCES.items()}
SCHEDULES = list(SCHEDULE_OF_SOURCE_DEF.values())
SCHEDULE_OF_SOURCE = {name: schedule.name for name, schedule in SCHEDULE_OF_SOURCE_DEF.items()}
