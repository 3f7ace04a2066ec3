"""Parallel backfills: ranged runs submitted to the instance's queued run coordinator, each launched as its own
process by Dagster's run launcher, at most ``max_concurrent_runs`` at a time (``MDW_MAX_CONCURRENT_RUNS``).

``mdw backfill --parallel N`` splits the missing months into N ranges and submits one run per range, then runs
each seam (the two months either side of a boundary between ranges) in its own process. A month's checks and
models read the month before it (a jump against the previous publication, a daily change against the previous
quote); across a boundary that month belongs to a run going on at the same time, so the seams are
re-materialized once both sides exist. Runs are submitted and dequeued by Dagster (``instance.submit_run``; the run-queue daemon's
own loop when no ``dagster-daemon`` is heartbeating on the instance), so they show in the UI like any run,
queued first, and a deployment's daemon picks them up the same way.

The workspace is the same code location the UI and the daemon load (``-m dagster_project.definitions``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterator

import dagster as dg

from dagster_project import storage
from dagster_project.defs.sources.partitions import range_tags
from dagster_project.settings import REPO

MODULE = "dagster_project.definitions"
QUEUE_DAEMON = "QUEUED_RUN_COORDINATOR"
MIN_MONTHS = 3
# runs started by mdw log to the event log (the UI shows every event); the terminal shows a progress bar instead
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
DONE = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


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


@contextlib.contextmanager
def workspace(inst: dg.DagsterInstance) -> Iterator[object]:
    """The code location as the UI and the daemon load it (a code server process for the life of the block)."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import ModuleTarget

    target = ModuleTarget(module_name=MODULE, attribute=None, working_directory=str(REPO), location_name=None)
    with WorkspaceProcessContext(inst, target, code_server_log_level="WARNING") as context:
        yield context


def submit(context, assets: list[str], first: dt.date, last: dt.date, tags: dict[str, str]) -> str:
    """Create a run of ``assets`` (and their checks) over the months ``first``..``last`` and submit it to the queue."""
    from dagster._core.definitions.assets.job.asset_job import IMPLICIT_ASSET_JOB_NAME
    from dagster._core.definitions.selector import JobSubsetSelector

    inst = context.instance
    request = context.create_request_context()
    errors = list(request.code_location_errors())
    if errors:
        raise RuntimeError(f"the code location does not load: {errors[0].message.strip().splitlines()[-1]}")
    location = request.get_code_location(request.code_location_names[0])
    repo = next(iter(location.get_repositories().values()))
    keys = frozenset(dg.AssetKey(a) for a in assets)
    selector = JobSubsetSelector(location_name=location.name, repository_name=repo.name,
                                 job_name=IMPLICIT_ASSET_JOB_NAME, op_selection=None, asset_selection=keys)
    job = location.get_job(selector)
    plan = location.get_execution_plan(job, QUIET_RUN_CONFIG, step_keys_to_execute=None, known_state=None, instance=inst)
    run = inst.create_run(
        job_name=job.name, run_id=None, run_config=QUIET_RUN_CONFIG, resolved_op_selection=None,
        step_keys_to_execute=plan.execution_plan_snapshot.step_keys_to_execute, op_selection=None, status=None,
        root_run_id=None, parent_run_id=None, tags={**job.tags, **tags, **range_tags(first, last)},
        job_snapshot=job.job_snapshot, execution_plan_snapshot=plan.execution_plan_snapshot,
        parent_job_snapshot=job.parent_job_snapshot, remote_job_origin=job.get_remote_origin(),
        job_code_origin=job.get_python_origin(), asset_selection=keys, asset_check_selection=None,
        asset_graph=repo.asset_graph)
    inst.submit_run(run.run_id, request)
    return run.run_id


def daemon_running(inst: dg.DagsterInstance) -> bool:
    """Whether a dagster-daemon (``make ui``, a deployment) heartbeats the run queue of this instance."""
    from dagster._daemon.controller import get_daemon_statuses

    status = get_daemon_statuses(inst, [QUEUE_DAEMON], ignore_errors=True).get(QUEUE_DAEMON)
    return bool(status and status.healthy)


def wait(context, run_ids: list[str], on_progress: Callable[[int, int], None], *, poll: float = 0.5) -> list[dg.DagsterRun]:
    """Until every run is done: dequeue with Dagster's run-queue loop unless a daemon does it; report progress."""
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

    inst = context.instance
    dequeuer = None if daemon_running(inst) else QueuedRunCoordinatorDaemon(interval_seconds=poll)
    while True:
        if dequeuer is not None:
            for _ in dequeuer.run_iteration(context):
                pass
        runs = inst.get_runs(filters=dg.RunsFilter(run_ids=run_ids))
        finished = [r for r in runs if r.status in DONE]
        on_progress(len(finished), len(run_ids))
        if len(finished) == len(run_ids):
            return sorted(runs, key=lambda r: run_ids.index(r.run_id))
        time.sleep(poll)


def step_error_line(step_key: str, err) -> str:
    """``step: message`` of a step's error, unwrapped from Dagster's step-execution wrapper: one line."""
    while err.cause is not None and "DagsterExecutionStepExecutionError" in err.cls_name:
        err = err.cause
    return f"{step_key}: {err.message.strip().splitlines()[-1]}"


def step_failure(inst: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The first step failure of a finished run, one line (or its status)."""
    for record in inst.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records:
        event = record.event_log_entry.dagster_event
        if event and event.step_failure_data and event.step_failure_data.error:
            return step_error_line(event.step_key, event.step_failure_data.error)
    failure = inst.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    if failure and failure[0].event_log_entry.dagster_event:
        return failure[0].event_log_entry.dagster_event.message or run.status.value
    return run.status.value
