"""Monthly partitions (UTC) shared by every source and model, and the backfill policy.

The grain follows the data's volume: a day of these sources is 30 to 170 rows, a month a few thousand,
and Dagster pays a fixed cost per partition event. 27 years of ECB history are 334 partitions, not
10,000; a daily schedule re-materializes the current month from its immutable raw snapshots.
``end_offset=1`` makes the current month available. A run covers a range of months at once (the asset bodies
receive the whole key range); a backfill from the UI is one run per ``MONTHS_PER_RUN`` months, and the run queue
starts those runs side by side (at most ``max_concurrent_runs``), each in its own process. Dagster orders them by
the partition mappings: a month of a daily change waits for the previous month of its quotes.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dagster_project import storage

FIRST_MONTH = "1999-01-01"  # the ECB reference rates start on 1999-01-04

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH, timezone="UTC", end_offset=1)
MONTHS_PER_RUN = 120  # ten years of daily data, ~10 s of run: also `mdw backfill`'s default --chunk-months
backfill_policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=MONTHS_PER_RUN)


def partition_months(context) -> list[dt.date]:
    """The months (first days) an asset or check run covers."""
    keys = context.partition_key_range
    return storage.months_between(dt.date.fromisoformat(keys.start), dt.date.fromisoformat(keys.end))


def month_partition_key(day: dt.date) -> str:
    """The partition key of the month holding ``day`` (``2024-11-28`` -> ``2024-11-01``)."""
    return storage.month_of(day).isoformat()


def range_tags(start: dt.date | str, end: dt.date | str) -> dict[str, str]:
    """Run tags that make one run cover the months from ``start`` to ``end`` (what a backfill launches)."""
    return {
        "dagster/asset_partition_range_start": month_partition_key(dt.date.fromisoformat(str(start))),
        "dagster/asset_partition_range_end": month_partition_key(dt.date.fromisoformat(str(end))),
    }
