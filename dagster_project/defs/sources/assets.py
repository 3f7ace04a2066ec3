"""Raw and parsed assets for every source of the registry (``dagster_project.sources``), monthly partitioned,
one run per backfilled range.

raw_<source>      lands what the feed has for the partition dates, byte for byte (group ``raw``)
<source>_rates    parses the raw snapshots into Parquet partitions (group ``parsed``), one parse for
<source>_tickers  every dataset the source holds

A source whose registry entry names a group (the central banks: ``central_banks``) has both its assets in that
group, so the asset graph stays readable with a dozen providers: the UI shows the group folded.
"""


import datetime as dt
import inspect

import dagster as dg

from dagster_project import landing, pipeline, reference, sessions, sources, storage
from dagster_project.defs import metadata
from dagster_project.defs.sources.partitions import backfill_policy, monthly_partitions, partition_months
from dagster_project.defs.sources.resources import FEED_TYPES, Warehouse, feed_key

PARTITIONED = {"partitions_def": monthly_partitions, "backfill_policy": backfill_policy}


def _land_report(context: dg.AssetExecutionContext, warehouse: Warehouse, source: str, feed) -> dg.MaterializeResult:
    months = partition_months(context)
    dates = storage.days_of(months)
    landed = feed.land(warehouse.lake, dates)
    present = landing.snapshots_for(warehouse.lake, source, dates)
    new = [item.raw.rel(warehouse.lake) for item in landed if item.new]
    # one log line (each is an event the instance stores): the names are in the metadata
    if landed:
        context.log.info(f"{len(new)} file(s) landed, {len(landed) - len(new)} already landed"
                         + (f": {', '.join(new[:5])}" + (" …" if len(new) > 5 else "") if new else ""))
    covered = sorted({d for ds in present.values() for d in ds})
    # Dagster copies a ranged run's metadata onto every partition's event: counts and a few names, no lists
    return dg.MaterializeResult(metadata={
        "months": len(months),
        "dates_with_input": len(covered),
        "new_raw_files": dg.MetadataValue.json(new[:20]),
        "raw_files": len(present),
        "raw_bytes": sum(r.path.stat().st_size for r in present),
        "first_date": str(covered[0]) if covered else "",
        "last_date": str(covered[-1]) if covered else "",
    })


def _parse_report(context: dg.AssetExecutionContext, warehouse: Warehouse, source: str) -> pipeline.ParseStats:
    reference.refresh(warehouse.lake)  # the calendars and currencies the checks and models read, if they changed
    stats = pipeline.parse_partitions(warehouse.lake, source, partition_months(context))
    if stats.rejects:  # the counts are the metadata; a log line is an event the instance stores: only for what needs a look
        context.log.warning(f"{source}: {stats.rejects} line(s) quarantined (mdw checks --check quarantined_lines)")
    return stats


def _missing_publications(stats: pipeline.ParseStats, dataset: str, months: list[dt.date]) -> list[dt.date]:
    """Publication days of the source's calendar in ``months`` (up to yesterday) that hold no data. Sources that
    publish every day (page snapshots, Fixer) expect nothing: a day without a snapshot is not a gap."""
    calendar = sources.calendar_of(stats.source, dataset)
    if calendar in (None, "daily"):
        return []
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    last = min(storage.month_end(months[-1]), yesterday)
    if last < months[0]:
        return []
    held = {d for days in stats.days.values() for d in days}
    return [d for d in sessions.publication_days(calendar, months[0], last) if d not in held]


def _metadata(context: dg.AssetExecutionContext, stats: pipeline.ParseStats, dataset: str, warehouse: Warehouse) -> dict:
    """What a month partition holds. One month: the days it holds, the publication days its source's calendar
    expected but are missing, and its newest rows. A ranged run: counts only (Dagster copies a ranged run's
    metadata onto each of its partitions' events, so no per-partition lists)."""
    months = partition_months(context)
    missing = _missing_publications(stats, dataset, months)
    held = sorted(d for days in stats.days.values() for d in days)
    meta = {
        "dagster/row_count": stats.rows.get(dataset, 0),
        "months_in_run": len(months),
        "months_with_rows": stats.partitions.get(dataset, 0),
        "days_held": len(held),
        "missing_publication_days": len(missing),
        "first_date": str(stats.first or ""),
        "last_date": str(stats.last or ""),
        "quarantined_lines": stats.rejects,
        "path": dg.MetadataValue.path(f"warehouse/{dataset}/source={stats.source}/"),
    }
    if len(months) == 1:
        meta["days"] = ", ".join(d.strftime("%d") for d in held) or "(none)"
        meta["missing_days"] = ", ".join(d.strftime("%d") for d in missing) or "(none)"
        newest = storage.read_month(warehouse.lake / "warehouse", dataset, stats.source, months[0])
        if newest.height:
            last = newest.get_column("date").max()
            rows = newest.filter(newest.get_column("date") == last)
            cols = [c for c in rows.columns if c not in ("captured_at", "raw_file", "source")]
            meta["newest_date"] = str(last)
            meta["newest_rows"] = metadata.table(rows.select(cols).head(10))
    return meta


def _injected(fn, resource_key: str, resource_type: type):
    """``fn`` taking ``(context, warehouse, feed)``, exposed with the feed parameter named ``resource_key``:
    Dagster injects resources into asset parameters by name, and a factory names the parameter after the
    source's own resource (``ecb_feed``, ``page_feed``…)."""
    def asset_fn(context: dg.AssetExecutionContext, warehouse: Warehouse, **feeds):
        return fn(context, warehouse, feeds[resource_key])

    P = inspect.Parameter
    asset_fn.__signature__ = inspect.Signature([
        P("context", P.POSITIONAL_OR_KEYWORD, annotation=dg.AssetExecutionContext),
        P("warehouse", P.POSITIONAL_OR_KEYWORD, annotation=Warehouse),
        P(resource_key, P.KEYWORD_ONLY, annotation=resource_type),
    ])
    return asset_fn


def raw_asset(source: sources.Source) -> dg.AssetsDefinition:
    """``raw_<source>``: lands what the source's feed has for the partition's dates, byte for byte."""
    def land(context: dg.AssetExecutionContext, warehouse: Warehouse, feed) -> dg.MaterializeResult:
        if not feed.configured:
            context.log.warning(f"{source.name} is not configured ({feed.needs}): nothing fetched")
        return _land_report(context, warehouse, source.name, feed)

    fn = _injected(land, feed_key(source.name), FEED_TYPES[source.feed])
    return dg.asset(name=f"raw_{source.name}", group_name=source.group or "raw", kinds={"file"}, description=source.raw, **PARTITIONED)(fn)


def parsed_asset(source: sources.Source) -> dg.AssetsDefinition:
    """``<source>_<dataset>`` for each dataset the source holds: its raw files parsed into month partitions (one
    parse for all of them)."""
    specs = [dg.AssetSpec(f"{source.name}_{dataset}", group_name=source.group or "parsed", kinds={"parquet"}, deps=[f"raw_{source.name}"],
                          description=f"{source.name} {DATASET_DESCRIPTIONS[dataset]}")
             for dataset in source.datasets]

    node = source.parsed_assets[0] if len(source.datasets) == 1 else f"{source.name}_parsed"  # the step's name in runs

    @dg.multi_asset(name=node, specs=specs, **PARTITIONED)
    def _parsed(context: dg.AssetExecutionContext, warehouse: Warehouse):
        stats = _parse_report(context, warehouse, source.name)
        for dataset in source.datasets:
            yield dg.MaterializeResult(asset_key=f"{source.name}_{dataset}", metadata=_metadata(context, stats, dataset, warehouse))

    return _parsed


DATASET_DESCRIPTIONS = {
    "rates": "rates: units of `currency` per 1 `base`, one row per published quote, with the published text.",
    "tickers": "ticker quotes: price, change and percent change as published, with the exchange session they show.",
}
RAW = {name: raw_asset(source) for name, source in sources.SOURCES.items()}
PARSED = {name: parsed_asset(source) for name, source in sources.SOURCES.items()}
SOURCE_ASSETS = {name: source.assets for name, source in sources.SOURCES.items()}
