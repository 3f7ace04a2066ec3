"""Launch asset runs in-process on the project's Dagster instance (so they show in the UI)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from dagster_project.defs.sources.partitions import range_tags
from dagster_project.settings import apply_env_defaults

DAGSTER_YAML = """\
# The project's Dagster instance: runs from `mdw`/`make run` and from `make ui` share it.
telemetry:
  enabled: false
"""


def instance() -> dg.DagsterInstance:
    apply_env_defaults()
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    if not cfg.exists():
        cfg.write_text(DAGSTER_YAML)
    return dg.DagsterInstance.get()


def definitions() -> dg.Definitions:
    apply_env_defaults()
    from dagster_project.definitions import defs

    return defs


def materialize(assets: list[str], *, start: dt.date | str | None = None, end: dt.date | str | None = None,
                inst: dg.DagsterInstance | None = None, tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """One run over ``assets``; a partition range when ``start``/``end`` are given (single-run backfill)."""
    job = definitions().resolve_implicit_global_asset_job_def()
    all_tags = dict(tags or {})
    partition_key = None
    if start is not None and str(end or start) == str(start):
        partition_key = str(start)  # one partition: checks record their result against it
    elif start is not None:
        all_tags.update(range_tags(start, end or start))
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    return job.execute_in_process(
        instance=inst or instance(),
        asset_selection=[dg.AssetKey(a) for a in assets],
        partition_key=partition_key,
        tags=all_tags,
        run_config=quiet,
        raise_on_error=False,
    )


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            err = event.step_failure_data.error
            while err.cause is not None and "DagsterExecutionStepExecutionError" in err.cls_name:
                err = err.cause
            return f"{event.step_key}: {err.message.strip().splitlines()[-1]}"
    return "run failed"
