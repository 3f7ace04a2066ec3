"""Daily partitions (UTC dates) shared by every source, and the single-run backfill policy.

``end_offset=1`` makes today's partition available, so a snapshot taken today can be materialized
today. A backfill over any range is one run: the asset bodies receive the whole key range at once.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dagster_project import sessions
from dagster_project.settings import ECB_FIRST_DATE

daily_partitions = dg.DailyPartitionsDefinition(start_date=ECB_FIRST_DATE, timezone="UTC", end_offset=1)
single_run = dg.BackfillPolicy.single_run()


def partition_dates(context: dg.AssetExecutionContext) -> list[dt.date]:
    window = context.partition_time_window  # the end is exclusive
    return sessions.days_between(window.start.date(), window.end.date() - dt.timedelta(days=1))


def range_tags(start: dt.date | str, end: dt.date | str) -> dict[str, str]:
    """Run tags that make one run cover a partition range (what a single-run backfill launches)."""
    return {
        "dagster/asset_partition_range_start": str(start),
        "dagster/asset_partition_range_end": str(end),
    }
