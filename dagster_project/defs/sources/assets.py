"""Raw and parsed assets, one pair per source, daily partitioned, one run per backfilled range.

raw_<source>      lands what the feed has for the partition dates, byte for byte (group ``raw``)
<source>_rates    parses the raw snapshots into Parquet partitions (group ``parsed``)
<source>_tickers
"""


import dagster as dg

from dagster_project import landing, pipeline, sqlmodels, storage
from dagster_project.defs.sources.partitions import daily_partitions, partition_dates, single_run
from dagster_project.defs.sources.resources import EcbFeed, FixerApi, PageFeed, TickerCsvFeed, Warehouse

PREVIEW_MAX_PARTITIONS = 31
PARTITIONED = {"partitions_def": daily_partitions, "backfill_policy": single_run}


def _land_report(context: dg.AssetExecutionContext, warehouse: Warehouse, source: str, feed) -> dg.MaterializeResult:
    dates = partition_dates(context)
    landed = feed.land(warehouse.path, dates)
    present = landing.snapshots_for(warehouse.path, source, dates)
    new = [item.raw.rel(warehouse.path) for item in landed if item.new]
    for item in landed:
        context.log.info(f"{'landed' if item.new else 'already landed'} {item.raw.rel(warehouse.path)}")
    covered = sorted({d for ds in present.values() for d in ds})
    return dg.MaterializeResult(metadata={
        "partitions": len(dates),
        "dates_with_input": len(covered),
        "new_raw_files": dg.MetadataValue.json(new),
        "raw_files": dg.MetadataValue.json(sorted(r.rel(warehouse.path) for r in present)),
        "raw_bytes": sum(r.path.stat().st_size for r in present),
        "first_date": str(covered[0]) if covered else "",
        "last_date": str(covered[-1]) if covered else "",
    })


def _parse_report(context: dg.AssetExecutionContext, warehouse: Warehouse, source: str) -> pipeline.ParseStats:
    stats = pipeline.parse_partitions(warehouse.path, source, partition_dates(context))
    context.log.info(f"{source}: {stats.rows} rows in {stats.partitions} partitions, {stats.rejects} lines quarantined")
    return stats


def _metadata(stats: pipeline.ParseStats, dataset: str, dates: int, warehouse: Warehouse) -> dict:
    # Dagster copies a ranged run's metadata onto every partition's event: a preview only for short ranges.
    preview = "(no rows)" if dates <= PREVIEW_MAX_PARTITIONS else f"(not shown for a {dates}-partition run)"
    if stats.last is not None and dates <= PREVIEW_MAX_PARTITIONS:
        newest = storage.read_partition(warehouse.path / "warehouse", dataset, stats.source, stats.last)
        if newest.height:
            cols = [c for c in newest.columns if c not in ("captured_at", "raw_file", "source")]
            preview = f"{stats.last}, {newest.height} rows:\n\n" + sqlmodels.markdown_table(newest.select(cols).head(10))
    return {
        "newest_rows": dg.MetadataValue.md(preview),
        "dagster/row_count": stats.rows.get(dataset, 0),
        "partitions_in_run": dates,
        "partitions_with_rows": stats.partitions.get(dataset, 0),
        "first_date": str(stats.first or ""),
        "last_date": str(stats.last or ""),
        "quarantined_lines": stats.rejects,
        "path": dg.MetadataValue.path(f"warehouse/{dataset}/source={stats.source}/"),
    }


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
    return dg.MaterializeResult(metadata=_metadata(stats, "rates", len(context.partition_keys), warehouse))


@dg.asset(group_name="parsed", kinds={"parquet"}, deps=[raw_fixer], **PARTITIONED)
def fixer_rates(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Fixer-style API rates: units of `currency` per 1 `base`."""
    stats = _parse_report(context, warehouse, "fixer")
    return dg.MaterializeResult(metadata=_metadata(stats, "rates", len(context.partition_keys), warehouse))


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
    n = len(context.partition_keys)
    yield dg.MaterializeResult(asset_key="page_rates", metadata=_metadata(stats, "rates", n, warehouse))
    yield dg.MaterializeResult(asset_key="page_tickers", metadata=_metadata(stats, "tickers", n, warehouse))


@dg.asset(group_name="parsed", kinds={"parquet"}, deps=[raw_ticker_csv], **PARTITIONED)
def ticker_csv_tickers(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Vendor ticker history: one close per symbol and session."""
    stats = _parse_report(context, warehouse, "ticker_csv")
    return dg.MaterializeResult(metadata=_metadata(stats, "tickers", len(context.partition_keys), warehouse))


SOURCE_ASSETS = {
    "ecb": ["raw_ecb", "ecb_rates"],
    "page": ["raw_page", "page_rates", "page_tickers"],
    "fixer": ["raw_fixer", "fixer_rates"],
    "ticker_csv": ["raw_ticker_csv", "ticker_csv_tickers"],
}
