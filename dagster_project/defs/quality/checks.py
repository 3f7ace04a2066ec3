"""Asset checks: the rules of ``dagster_project.quality`` on the assets they judge.

One multi-asset check per asset, so all of an asset's checks share one DuckDB read of its partitions.
Checks are partitioned by month like their assets: a run over one month records a result for that month;
a ranged run (a backfill) records one result per check for the range, with the findings per date
(Dagster cannot batch per-partition check events). Each check reads only the compact month files of the
run's months and the history its rules look back on.
``partition_structure`` is blocking: when it fails with ERROR the models in the same run do not run, and
``fx_rates`` / ``ticker_quotes`` leave the broken partition out in later runs too.

Severity: a check whose findings include an ERROR fails with ERROR; findings of WARN only fail with WARN;
no findings pass. Every finding is also a row of the ``dq_findings`` view (``mdw checks``, ``mdw sql``).
"""

import datetime as dt
import warnings

import dagster as dg
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType

from dagster_project import checking, findings, quality, storage
from dagster_project.defs import metadata
from dagster_project.defs.sources.partitions import monthly_partitions, partition_months
from dagster_project.defs.sources.resources import Warehouse
from dagster_project.defs.sources.schedules import SCHEDULE_OF_SOURCE

PREVIEW_ROWS = 25
AS_OF_TAG = "mdw/as_of"  # run tag: judge freshness as of this ISO time instead of now


def _result(asset: str, outcome: checking.Outcome, partitions: int | None) -> dg.AssetCheckResult:
    found = outcome.findings
    by_severity = {s: int((found["severity"] == s).sum()) for s in findings.SEVERITIES} if found.height else {}
    meta = {
        "findings": found.height,
        "errors": by_severity.get("ERROR", 0),
        "warnings": by_severity.get("WARN", 0),
        "accepted": outcome.accepted,
        "seconds": round(outcome.seconds, 3),
        "rule": outcome.check.description,
    }
    if partitions is not None:
        meta["months_checked"] = partitions
    if found.height:
        shown = found.head(PREVIEW_ROWS).select("severity", "date", "source", "subject", "observed", "expected", "detail")
        more = f"\n\n… and {found.height - PREVIEW_ROWS} more: `mdw checks --check {outcome.check.name}`" \
            if found.height > PREVIEW_ROWS else ""
        meta["findings_table"] = dg.MetadataValue.md(metadata.markdown(shown) + more)
        dates = found["date"]
        meta["sources"] = ",".join(sorted(set(found["source"])))
        meta["first_date"] = str(dates.min())
        meta["last_date"] = str(dates.max())
    if outcome.error:
        meta["error"] = outcome.error
    severity = outcome.severity
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=outcome.check.name,
        passed=severity is None,
        severity=dg.AssetCheckSeverity.ERROR if severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        metadata=meta,
        description=outcome.error or _describe(found),
    )


def _describe(found) -> str:
    """The worst finding's reason (what a user needs when a blocking check stops a run), and how many more."""
    if not found.height:
        return "no findings"
    worst = found.sort(by=["severity", "date"], descending=[False, True]).row(0, named=True)  # ERROR < WARN
    more = f" (and {found.height - 1} more finding(s))" if found.height > 1 else ""
    return f"{worst['source']} {worst['date']} {worst['subject']}: {worst['detail']}{more}"


def _as_of(context) -> dt.datetime:
    tag = context.run.tags.get(AS_OF_TAG) if context.run else None
    return dt.datetime.fromisoformat(tag) if tag else dt.datetime.now(dt.UTC)


def _scheduled_since(context) -> dict[str, dt.datetime]:
    """When each source's schedule was turned on, from the instance's schedule states (running ones only).
    A schedule the daemon has never ticked has no state yet: its source is not judged."""
    running = (InstigatorStatus.RUNNING, InstigatorStatus.DECLARED_IN_CODE)
    started = {}
    for state in context.instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE):
        stamp = getattr(state.instigator_data, "start_timestamp", None)
        if state.status in running and stamp is not None:
            started[state.instigator_name] = dt.datetime.fromtimestamp(stamp, dt.UTC)
    return {source: started[name] for source, name in SCHEDULE_OF_SOURCE.items() if name in started}


def _checks_for(asset: str) -> dg.AssetChecksDefinition:
    dataset, source, names = quality.ASSET_CHECKS[asset]
    partitioned = source is not None or asset == "fx_rates"
    with warnings.catch_warnings():
        # Partitioned asset checks are a Dagster preview feature (1.13): we opt in knowingly, pinned to 1.13.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        specs = [
            dg.AssetCheckSpec(
                name, asset=asset, description=quality.CHECKS[name].description,
                blocking=quality.CHECKS[name].blocking,
                partitions_def=monthly_partitions if partitioned else None,
            )
            for name in names
        ]

    @dg.multi_asset_check(name=f"{asset}_checks", specs=specs, can_subset=True)
    def _run(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
        selected = [k.name for k in context.selected_asset_check_keys if k.name in names]
        selected.sort(key=names.index)
        if partitioned:
            months = partition_months(context)
            scope = quality.Scope(warehouse.lake, asset, dataset, source,
                                  months[0], storage.month_end(months[-1]), _as_of(context), _scheduled_since(context))
            partitions = len(months)
        else:
            scope = quality.Scope(warehouse.lake, asset, dataset, now=_as_of(context), scheduled_since=_scheduled_since(context))
            partitions = None
        found = []
        for outcome in checking.run_checks(scope, selected):
            if outcome.findings.height or outcome.error:
                found.append(f"{outcome.check.name} {outcome.findings.height}" + (f" ({outcome.error})" if outcome.error else ""))
            yield _result(asset, outcome, partitions)
        # one log line per step, not one per check: each line is an event the instance stores (~10 ms on SQLite)
        context.log.info(f"{asset}: {len(selected)} check(s), findings: {', '.join(found) or 'none'}")

    return _run


ASSET_CHECKS = [_checks_for(asset) for asset in quality.ASSET_CHECKS]
