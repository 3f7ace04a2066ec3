"""Parallel backfills: how the months are cut into ranges that run side by side, and their seams.

``mdw backfill --parallel N`` splits the missing months into N ranges and runs one ranged run per range at the same
time, each in its own process (``runner.materialize_in_parallel``: Dagster's documented ``execute_in_process`` with
the partition-range tags a backfill sets, so the runs are recorded in the instance and show in the UI like any),
then runs each seam (the two months either side of a boundary between ranges). A month's checks and models read the
month before it (a jump against the previous publication, a daily change against the previous quote); across a
boundary that month belongs to a run going on at the same time, so the seams are re-materialized once both sides
exist. A backfill launched from the UI goes through Dagster's own run queue and daemon instead (the backfill policy
of the assets makes it runs of 120 months, at most ``MDW_MAX_CONCURRENT_RUNS`` at a time).

Only Dagster's public API is used (no ``dagster._…`` import), so the project is not tied to one Dagster release.
"""

from __future__ import annotations

import datetime as dt
import itertools

from dagster_project import storage

MIN_MONTHS = 3
# runs started by mdw log to the event log (the UI shows every event); the terminal shows a progress bar instead
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def split(ranges: list[tuple[dt.date, dt.date]], parts: int) -> list[tuple[dt.date, dt.date]]:
    """The month ``ranges`` cut into about ``parts`` runs of equal length (a range is never merged with another), of
    at least ``MIN_MONTHS`` each so that seams never touch (each seam run then reads only settled months)."""
    total = sum(len(storage.months_between(first, last)) for first, last in ranges)
    per_run = max(MIN_MONTHS, -(-total // max(parts, 1)))
    out: list[tuple[dt.date, dt.date]] = []
    for first, last in ranges:
        chunk = storage.months_between(first, last)
        out += [(chunk[i], chunk[min(i + per_run, len(chunk)) - 1]) for i in range(0, len(chunk), per_run)]
    return out


def seams(ranges: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """The two months at each boundary where one range ends and the next begins the month after."""
    return [(a_last, b_first) for (_, a_last), (b_first, _) in itertools.pairwise(ranges)
            if storage.next_month(a_last) == b_first]


def step_error_line(step_key: str, err) -> str:
    """``step: message`` of a step's error, unwrapped from Dagster's step-execution wrapper: one line."""
    while err.cause is not None and "DagsterExecutionStepExecutionError" in err.cls_name:
        err = err.cause
    return f"{step_key}: {err.message.strip().splitlines()[-1]}"
