"""Sensors: the inbox (files dropped into ``<data>/inbox/``) and the catch-up of missed schedule ticks.

The inbox sensor: files dropped into ``<data>/inbox/`` are validated, landed raw, and their months parsed.

A good file moves to ``inbox/done/``; a bad one to ``inbox/rejected/`` beside a ``.reason.txt`` naming
file, line and reason. Only regular files directly in the inbox are read: symlinks and sub-folders are
ignored, and the raw path is built from the content (source, date, capture time), never from the name.
"""


import datetime as dt
import shutil

import dagster as dg

from dagster_project import landing, pipeline, sources, storage
from dagster_project.defs.models.assets import models_for
from dagster_project.defs.sources.assets import SOURCE_ASSETS
from dagster_project.defs.sources.partitions import range_tags
from dagster_project.defs.sources.resources import Warehouse
from dagster_project.defs.sources.schedules import JOB_OF_SOURCE
from dagster_project.rows import ParseError

CATCH_UP_MONTHS = 3  # how far back missed ticks are caught up: the current month and the two before


def drain_inbox(warehouse: Warehouse) -> tuple[list[tuple[str, pipeline.Landed]], list[tuple[str, str]]]:
    """Land every file in the inbox; return (landed, rejected-with-reason)."""
    inbox = warehouse.inbox
    landed, rejected = [], []
    if not inbox.is_dir():
        return landed, rejected
    for path in sorted(inbox.iterdir()):
        if path.is_symlink() or not path.is_file() or path.name.startswith("."):
            continue
        try:
            item = pipeline.land_input(warehouse.lake, path.read_bytes(), name=path.name)
        except (ParseError, OSError, landing.Quarantined) as exc:
            moved = _move_aside(path, inbox / "rejected")
            moved.with_name(f"{moved.name}.reason.txt").write_text(f"{exc}\n")
            rejected.append((path.name, str(exc)))
            continue
        _move_aside(path, inbox / "done")
        landed.append((path.name, item))
    return landed, rejected


def _move_aside(path, folder):
    """Move an inbox file into ``folder`` (inside the inbox) without overwriting an earlier file of that name."""
    folder.mkdir(exist_ok=True)
    target, n = folder / path.name, 1
    while target.exists():
        target, n = folder / f"{path.stem}-{n}{path.suffix}", n + 1
    shutil.move(str(path), target)
    return target


def run_requests_for(landed: list[tuple[str, pipeline.Landed]]) -> list[dg.RunRequest]:
    """One run per landed file: its source's raw and parsed assets over the months it holds, then those months
    of the models."""
    requests = []
    for name, item in landed:
        dates = item.dates
        requests.append(dg.RunRequest(
            run_key=f"{item.raw.rel_key}",
            asset_selection=[dg.AssetKey(k) for k in SOURCE_ASSETS[item.raw.source]
                             + models_for(sources.SOURCE_DATASETS[item.raw.source])],
            tags={**range_tags(min(dates), max(dates)), "mdw/inbox_file": name},
        ))
    return requests


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Lands files dropped into data/inbox/ and materializes the partitions they hold.")
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    landed, rejected = drain_inbox(warehouse)
    for name, reason in rejected:
        context.log.warning(f"rejected {name}: {reason}")
    requests = run_requests_for(landed)
    if not requests:
        return dg.SkipReason(f"inbox empty{f'; rejected {len(rejected)} file(s)' if rejected else ''}")
    return requests


def months_to_catch_up(instance: dg.DagsterInstance, data_dir, source: str, today: dt.date) -> list[tuple[str, str]]:
    """(partition key, reason) for each of the last ``CATCH_UP_MONTHS`` months of ``source`` whose parsed partition
    is missing, or older than the newest raw input landed for it. A source that was never materialized is left
    alone: its first run (a schedule, ``mdw backfill``, the UI) turns the catch-up on."""
    asset = dg.AssetKey(SOURCE_ASSETS[source][1])
    done = instance.get_materialized_partitions(asset)
    if not done:
        return []
    out = []
    first = storage.month_of(today)
    for _ in range(CATCH_UP_MONTHS - 1):
        first = storage.previous_month(first)
    for month in storage.months_between(first, today):
        key = month.isoformat()
        if key not in done:
            out.append((key, "missing"))
            continue
        raw = landing.snapshots_for(data_dir, source, [d for d in storage.days_of([month]) if d <= today])
        newest = max((r.path.stat().st_mtime for r in raw), default=None)
        if newest is None:
            continue
        records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=asset, asset_partitions=[key]), limit=1).records
        if records and newest > records[0].timestamp:
            out.append((key, f"raw input landed {dt.datetime.fromtimestamp(newest, dt.UTC):%Y-%m-%dT%H:%M:%SZ}"))
    return out


@dg.sensor(minimum_interval_seconds=900, default_status=dg.DefaultSensorStatus.RUNNING,
           jobs=list(JOB_OF_SOURCE.values()),
           description="Catches up missed schedule ticks: a month of the last three that is missing, or older than "
                       "its newest raw input, gets a run of its source's job.")
def catch_up_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    today = dt.datetime.now(dt.UTC).date()
    requests = []
    for source, job in JOB_OF_SOURCE.items():
        for key, reason in months_to_catch_up(context.instance, warehouse.lake, source, today):
            context.log.info(f"{source} {key}: {reason}")
            requests.append(dg.RunRequest(run_key=f"catch_up:{source}:{key}:{reason}", job_name=job.name,
                                          partition_key=key, tags={"mdw/catch_up": reason}))
    return requests or dg.SkipReason("every source's recent months are up to date")
