"""Launch asset runs in-process on the project's Dagster instance (so they show in the UI)."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import fcntl
import multiprocessing
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg

from dagster_project import sources, storage
from dagster_project.definitions import defs
from dagster_project.defs.sources.partitions import month_partition_key, range_tags
from dagster_project.parallel_runs import QUIET_RUN_CONFIG, step_error_line
from dagster_project.settings import DAGSTER_PG_ENV, apply_env_defaults, redacted_pg_url

DEFAULT_MAX_CONCURRENT_RUNS = 4
PID_TAG = "mdw/pid"  # the process running an in-process run: lets a later mdw tell an interrupted run

DAGSTER_YAML = """\
# The project's Dagster instance: runs from `mdw`/`make run` and from `make ui` share it.
telemetry:
  enabled: false
nux:
  enabled: false  # no "Join the Dagster community" dialog on a fresh home
"""
# With MDW_DAGSTER_PG_URL set: runs, event logs and schedules in Postgres (dagster-postgres). The file names
# the variable, never the URL: credentials stay in the environment.
POSTGRES_YAML = f"""\
storage:
  postgres:
    postgres_url:
      env: {DAGSTER_PG_ENV}
"""
_OURS = DAGSTER_YAML.splitlines()[0]


# The queued run coordinator (Dagster's default) with a limit: runs submitted to the queue (the UI's backfills and
# launches) start at most this many at a time, each in its own process; `mdw backfill --parallel` keeps to it too.
RUN_QUEUE_YAML = """\
run_queue:
  max_concurrent_runs: {limit}
"""


def dagster_yaml() -> str:
    """The instance configuration for the current environment (Postgres storage when MDW_DAGSTER_PG_URL is set; the
    run queue's limit from MDW_MAX_CONCURRENT_RUNS)."""
    return (DAGSTER_YAML + RUN_QUEUE_YAML.format(limit=max_concurrent_runs())
            + (POSTGRES_YAML if os.environ.get("MDW_DAGSTER_PG_URL") else ""))


SQLITE_SYNC_ENV = "MDW_DAGSTER_SQLITE_SYNCHRONOUS"
SQLITE_SYNC_DEFAULT = "off"


def _sqlite_synchronous(dbapi_connection, _record) -> None:
    """``pragma synchronous`` (MDW_DAGSTER_SQLITE_SYNCHRONOUS: off by default, normal or full) on each connection
    Dagster opens to a SQLite file under DAGSTER_HOME. Dagster's SQLite event log opens, commits and closes a
    connection per event and a ranged run records an event per partition and asset (a 20-year ticker ingest: 960),
    so with SQLite's default (full) every event waits for two or three fsyncs: 25 of the 58 s of that ingest on a
    shared disk. Off: no fsync; an application crash loses nothing, an OS crash or a power failure during a run can
    leave the run history's database damaged (never the lake: its files are replaced atomically; a damaged home is
    removed and the runs re-run, they are idempotent). Set it to full to keep SQLite's durability."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    home = os.environ.get("DAGSTER_HOME")
    files = [row[2] for row in dbapi_connection.execute("pragma database_list").fetchall() if row[2]]
    if home and any(Path(f).resolve().is_relative_to(Path(home).resolve()) for f in files):
        dbapi_connection.execute(f"pragma synchronous = {sqlite_synchronous()}")


def sqlite_synchronous() -> str:
    value = (os.environ.get(SQLITE_SYNC_ENV) or SQLITE_SYNC_DEFAULT).strip().lower()
    if value not in ("off", "normal", "full"):
        raise ValueError(f"{SQLITE_SYNC_ENV}={value!r}: expected off, normal or full")
    return value


def _sqlite_durability() -> None:
    import sqlalchemy

    sqlite_synchronous()  # a bad value fails here, before any run
    if not sqlalchemy.event.contains(sqlalchemy.engine.Engine, "connect", _sqlite_synchronous):
        sqlalchemy.event.listen(sqlalchemy.engine.Engine, "connect", _sqlite_synchronous)


def instance() -> dg.DagsterInstance:
    apply_env_defaults(sources.env_defaults())
    if not os.environ.get("MDW_DAGSTER_PG_URL"):
        _sqlite_durability()
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    wanted = dagster_yaml()
    if not cfg.exists() or (cfg.read_text().startswith(_OURS) and cfg.read_text() != wanted):
        cfg.write_text(wanted)  # ours (an older version, or another storage): brought up to date; a user's own file is kept
    # Two processes creating a fresh sqlite instance at once race in its schema migration ("more than one
    # head"): the first one creates the storage under a lock, the others wait for it.
    if os.environ.get("MDW_DAGSTER_PG_URL"):
        _probe_postgres()
    with open(home / ".mdw-instance.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            inst = dg.DagsterInstance.get()
            inst.get_runs(limit=1)
        except Exception as exc:  # an unreachable database: one line, without the password
            if not os.environ.get("MDW_DAGSTER_PG_URL"):
                raise
            raise InstanceUnavailable(f"cannot use the Dagster Postgres at {redacted_pg_url()}: {_first_line(exc)}") from None
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return inst


def _probe_postgres() -> None:
    """One connection attempt before Dagster's own (which retries for seconds and reports only "too many
    retries"): a wrong password, host or database is one clear line. SQLAlchemy is imported here, not at the
    top: only a Postgres instance needs it, and it adds ~14 MB to every mdw process."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(os.environ[DAGSTER_PG_ENV], connect_args={"connect_timeout": 5})
    try:
        with engine.connect():
            pass
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise InstanceUnavailable(f"cannot use the Dagster Postgres at {redacted_pg_url()}: {_first_line(exc)}") from None
    finally:
        engine.dispose()


class InstanceUnavailable(RuntimeError):
    """The Dagster instance's database cannot be reached or used (wrong credentials, no such database)."""


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    message = text[0] if text else type(exc).__name__
    password = urlparse(os.environ.get("MDW_DAGSTER_PG_URL", "")).password
    return message.replace(password, "***") if password else message


def definitions() -> dg.Definitions:
    return defs


def materialize(assets: list[str], *, start: dt.date | str | None = None, end: dt.date | str | None = None,
                inst: dg.DagsterInstance | None = None, tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """One run over ``assets``; the months holding ``start`` to ``end`` when given (a ranged run, as a backfill launches)."""
    job = definitions().resolve_implicit_global_asset_job_def()
    all_tags = {PID_TAG: str(os.getpid()), **(tags or {})}
    partition_key = None
    if start is not None:
        first = month_partition_key(dt.date.fromisoformat(str(start)))
        last = month_partition_key(dt.date.fromisoformat(str(end or start)))
        if first == last:
            partition_key = first  # one partition: checks record their result against it
        else:
            all_tags.update(range_tags(first, last))
    # the terminal shows a progress bar and one line per failure (failure_message); every event is in the UI
    return job.execute_in_process(
        instance=inst or instance(),
        asset_selection=[dg.AssetKey(a) for a in assets],
        partition_key=partition_key,
        tags=all_tags,
        run_config=QUIET_RUN_CONFIG,
        raise_on_error=False,
    )


@dataclass(frozen=True)
class RangeRun:
    """What a ranged run in a worker process came to (``materialize_in_parallel``)."""

    first: dt.date
    last: dt.date
    run_id: str
    success: bool
    failure: str  # one line (failure_message), empty on success


def _range_run(assets: list[str], first: dt.date, last: dt.date, tags: dict[str, str]) -> RangeRun:
    """One ranged run, in a worker process of ``materialize_in_parallel``."""
    result = materialize(assets, start=first, end=storage.month_end(last), tags=tags)
    return RangeRun(first, last, result.run_id, result.success, "" if result.success else failure_message(result))


def max_concurrent_runs() -> int:
    return int(os.environ.get("MDW_MAX_CONCURRENT_RUNS") or DEFAULT_MAX_CONCURRENT_RUNS)


def materialize_in_parallel(assets: list[str], ranges: list[tuple[dt.date, dt.date]], *, tags: dict[str, str],
                            on_done: Callable[[int], None] = lambda n: None) -> list[RangeRun]:
    """One ranged run of ``assets`` per range, side by side, each in its own process (at most MDW_MAX_CONCURRENT_RUNS
    at a time): Dagster's documented ``execute_in_process`` on the project's instance in each, so every run is
    recorded there with its partition range (the UI shows them like a backfill's runs). ``on_done`` gets the number
    finished so far. Returns the outcomes in the order of ``ranges``."""
    workers = max(1, min(len(ranges), max_concurrent_runs()))
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no state shared with this process's runs
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        futures = {pool.submit(_range_run, assets, first, last, tags): k for k, (first, last) in enumerate(ranges)}
        outcomes: dict[int, RangeRun] = {}
        for future in concurrent.futures.as_completed(futures):
            outcomes[futures[future]] = future.result()
            on_done(len(outcomes))
    return [outcomes[k] for k in range(len(ranges))]


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """One line: a blocking check's reason and the command that lists its findings, else the first step error."""
    for check in result.get_asset_check_evaluations():
        if check.blocking and not check.passed and check.severity == dg.AssetCheckSeverity.ERROR:
            asset = check.asset_key.to_user_string()
            meta = {k: v.value for k, v in check.metadata.items()}
            where = f" --source {meta['sources']}" if "," not in str(meta.get("sources", ",")) else ""
            if meta.get("first_date"):
                where += f" --date {meta['first_date']}" + (f"..{meta['last_date']}" if meta["last_date"] != meta["first_date"] else "")
            return (f"blocking check {asset}.{check.check_name}: {check.description}. "
                    f"Findings: mdw checks --check {check.check_name}{where}")
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            return step_error_line(event.step_key, event.step_failure_data.error)
    return "run failed"


def missing_months(assets: list[str], start: dt.date, end: dt.date, inst: dg.DagsterInstance) -> list[dt.date]:
    """Months holding [start, end] where any of the partitioned ``assets`` has no recorded materialization."""
    done = None
    for asset in assets:
        have = inst.get_materialized_partitions(dg.AssetKey(asset))
        done = have if done is None else done & have
    done = done or set()
    return [m for m in storage.months_between(start, end) if m.isoformat() not in done]


def month_ranges(months: list[dt.date], max_months: int) -> list[tuple[dt.date, dt.date]]:
    """Contiguous runs of ``months`` (first days), each cut to at most ``max_months`` (0: no limit)."""
    out: list[tuple[dt.date, dt.date]] = []
    count = 0
    for month in sorted(months):
        if out and month == storage.next_month(out[-1][1]) and (not max_months or count < max_months):
            out[-1] = (out[-1][0], month)
            count += 1
        else:
            out.append((month, month))
            count = 1
    return out


def fail_interrupted_runs(inst: dg.DagsterInstance) -> list[str]:
    """Mark runs that mdw started in a process that is gone (killed, machine died) as failed, so the UI and
    the next backfill do not take them for running. Returns their run ids."""
    failed = []
    for run in inst.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])):
        pid = run.tags.get(PID_TAG)
        if pid and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            inst.report_run_failed(run, message=f"interrupted: process {pid} is gone; the next mdw backfill resumes it")
            failed.append(run.run_id)
    return failed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
