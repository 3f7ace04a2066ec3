"""The inbox sensor: files dropped into ``<data>/inbox/`` are validated, landed raw, and their dates parsed.

A good file moves to ``inbox/done/``; a bad one to ``inbox/rejected/`` beside a ``.reason.txt`` naming
file, line and reason. Only regular files directly in the inbox are read: symlinks and sub-folders are
ignored, and the raw path is built from the content (source, date, capture time), never from the name.
"""


import shutil

import dagster as dg

from dagster_project import pipeline
from dagster_project.defs.sources.assets import SOURCE_ASSETS
from dagster_project.defs.sources.partitions import range_tags
from dagster_project.defs.sources.resources import Warehouse
from dagster_project.rows import ParseError


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
            item = pipeline.land_input(warehouse.path, path.read_bytes(), name=path.name)
        except (ParseError, OSError) as exc:
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
    """One run per landed file: its source's raw and parsed assets over the dates it holds."""
    requests = []
    for name, item in landed:
        dates = item.snapshot.dates
        requests.append(dg.RunRequest(
            run_key=f"{item.raw.rel_key}",
            asset_selection=[dg.AssetKey(k) for k in SOURCE_ASSETS[item.raw.source]],
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
