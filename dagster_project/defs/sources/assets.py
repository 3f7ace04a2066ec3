"""Raw and parsed assets, one pair per source, monthly partitioned, one run per backfilled range.

raw_<source>      lands what the feed has for the partition dates, byte for byte (group ``raw``)
<source>_rates    parses the raw snapshots into Parquet partitions (group ``parsed``)
<source>_tickers
"""


import datetime as dt

import dagster as dg

from dagster_project import landing, pipeline, quality, sessions, sqlmodels, storage
from dagster_project.defs.sources.partitions import monthly_partitions, partition_months, single_run
from dagster_project.defs.sources.resources import EcbFeed, FixerApi, PageFeed, TickerCsvFeed, Warehouse

PARTITIONED = {"partitions_def": monthly_partitions, "backfill_policy": single_run}


def _land_report(context: dg.AssetExecutionContext, warehouse: Warehouse, source: str, feed) -> dg.MaterializeResult:
    months = partition_months(context)
    dates = storage.days_of(months)
    landed = feed.land(warehouse.path, dates)
    present = landing.snapshots_for(warehouse.path, source, dates)
    new = [item.raw.rel(warehouse.path) for item in landed if item.new]
    for item in landed:
        context.log.info(f"{'landed' if item.new else 'already landed'} {item.raw.rel(warehouse.path)}")
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
    stats = pipeline.parse_partitions(warehouse.path, source, partition_months(context))
    context.log.info(f"{source}: {stats.rows} rows in {stats.partitions} month partition(s), {stats.rejects} lines quarantined")
    return stats


def _missing_publications(stats: pipeline.ParseStats, dataset: str, months: list[dt.date]) -> list[dt.date]:
    """Publication days of the source's calendar in ``months`` (up to yesterday) that hold no data. Sources that
    publish every day (page snapshots, Fixer) expect nothing: a day without a snapshot is not a gap."""
    calendar = quality.calendar_of(stats.source, dataset)
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
        newest = storage.read_month(warehouse.path / "warehouse", dataset, stats.source, months[0])
        if newest.height:
            last = newest.get_column("date").max()
            rows = newest.filter(newest.get_column("date") == last)
            cols = [c for c in rows.columns if c not in ("captured_at", "raw_file", "source")]
            meta["newest_rows"] = dg.MetadataValue.md(f"{last}, {rows.height} rows:\n\n"
                                                      + sqlmodels.markdown_table(rows.select(cols).head(10)))
    return meta


@dg.asset(group_name="raw", kinds={"file"}, **PARTITIONED)
def raw_ecb(context: dg.AssetExecutionContext, warehouse: Warehouse, ecb_feed: EcbFeed) -> dg.MaterializeResult:
    """ECB reference rate files (history CSV/zip or daily XML) as fetched, never modified."""
    return _land_report(context, warehouse, "ecb", ecb_feed)


@dg.asset(group_name="raw", kinds={"file"}, **PARTITIONED)
def raw_page(context: dg.AssetExecutionContext, warehouse: Warehouse, page_feed: PageFeed) -> dg.MaterializeResult:
    """News page snapshots (rates block and ticker strip) as captured, never modified."""
    return _land_report(context, warehouse, "page", page_feed)


@dg.asset(group_name="raw", kinds={"file"}, **PARTITIONED)
def raw_fixer(context: dg.AssetExecutionContext, warehouse: Warehouse, fixer_api: FixerApi) -> dg.MaterializeResult:
    """Fixer-style API answers (JSON) as fetched, never modified. Needs MDW_FIXER_BASE_URL and MDW_FIXER_ACCESS_KEY."""
    if not fixer_api.configured:
        context.log.warning("fixer is not configured (set MDW_FIXER_BASE_URL and MDW_FIXER_ACCESS_KEY): nothing fetched")
    return _land_report(context, warehouse, "fixer", fixer_api)


@dg.asset(group_name="raw", kinds={"file"}, **PARTITIONED)
def raw_ticker_csv(context: dg.AssetExecutionContext, warehouse: Warehouse, ticker_csv_feed: TickerCsvFeed) -> dg.MaterializeResult:
    """Vendor ticker-history CSV exports as dropped, never modified."""
    return _land_report(context, warehouse, "ticker_csv", ticker_csv_feed)


@dg.asset(group_name="parsed", kinds={"parquet"}, deps=[raw_ecb], **PARTITIONED)
def ecb_rates(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """ECB reference rates: units of `currency` per 1 EUR, one row per published quote."""
    stats = _parse_report(context, warehouse, "ecb")
    return dg.MaterializeResult(metadata=_metadata(context, stats, "rates", warehouse))


@dg.asset(group_name="parsed", kinds={"parquet"}, deps=[raw_fixer], **PARTITIONED)
def fixer_rates(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Fixer-style API rates: units of `currency` per 1 `base`."""
    stats = _parse_report(context, warehouse, "fixer")
    return dg.MaterializeResult(metadata=_metadata(context, stats, "rates", warehouse))


@dg.multi_asset(
    specs=[
        dg.AssetSpec("page_rates", group_name="parsed", kinds={"parquet"}, deps=[raw_page],
                     description="Page rates block: units of `currency` per 1 `base` (EUR), with the published text."),
        dg.AssetSpec("page_tickers", group_name="parsed", kinds={"parquet"}, deps=[raw_page],
                     description="Page ticker strip: price, change and percent change as published, with the exchange session."),
    ],
    **PARTITIONED,
)
def page_parsed(context: dg.AssetExecutionContext, warehouse: Warehouse):
    stats = _parse_report(context, warehouse, "page")
    yield dg.MaterializeResult(asset_key="page_rates", metadata=_metadata(context, stats, "rates", warehouse))
    yield dg.MaterializeResult(asset_key="page_tickers", metadata=_metadata(context, stats, "tickers", warehouse))


@dg.asset(group_name="parsed", kinds={"parquet"}, deps=[raw_ticker_csv], **PARTITIONED)
def ticker_csv_tickers(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Vendor ticker history: one close per symbol and session."""
    stats = _parse_report(context, warehouse, "ticker_csv")
    return dg.MaterializeResult(metadata=_metadata(context, stats, "tickers", warehouse))


SOURCE_ASSETS = {
    "ecb": ["raw_ecb", "ecb_rates"],
    "page": ["raw_page", "page_rates", "page_tickers"],
    "fixer": ["raw_fixer", "fixer_rates"],
    "ticker_csv": ["raw_ticker_csv", "ticker_csv_tickers"],
}
