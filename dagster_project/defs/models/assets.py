"""SQL models (``sql/marts/*.sql``) as assets, partitioned by month like their inputs.

A run rebuilds only the months it covers (``marts/<name>/month=YYYY-MM/data.parquet``), reading those
months' files and their neighbours: a daily run costs one month of data, whatever the length of the
history. A daily change looks back on the previous month's last quote (a partition mapping with an
offset); a ticker capture early in a month can show the previous month's last session, so the ticker
marts also read the next month's captures. ``fx_cross_rates`` is a view computed on demand (see README).
"""

import os

import dagster as dg

from dagster_project import charts, sources, sqlmodels, storage
from dagster_project.defs import metadata
from dagster_project.defs.sources.partitions import backfill_policy, monthly_partitions, partition_months
from dagster_project.defs.sources.resources import Warehouse

# month M of a daily change needs the previous month's last quote; month M of ticker_quotes can take a
# session of M from a capture early in M+1
PREVIEW_MAX_MONTHS = 12  # newest rows and SQL in the metadata of runs of up to a year (a daily run, `make run`)
CHART_YEARS = 5  # the years a history chart shows by default (MDW_CHART_YEARS; 0: the whole history)
_PREVIOUS_MONTH = dg.TimeWindowPartitionMapping(start_offset=-1, allow_nonexistent_upstream_partitions=True)
_NEXT_MONTH = dg.TimeWindowPartitionMapping(end_offset=1, allow_nonexistent_upstream_partitions=True)


def _deps(name: str) -> list[dg.AssetDep]:
    """What the model's SQL reads (``sqlmodels.inputs_of``): a mart is that mart's asset; a parsed dataset is every
    parsed asset of the registry holding it (``parsed_rates``: ecb_rates, page_rates, fixer_rates)."""
    config = sqlmodels.MART_CONFIG.get(name)
    mapping = (None if config is None else _PREVIOUS_MONTH if config.reads_previous_month
               else _NEXT_MONTH if config.reads_next_month else None)
    keys: list[str] = []
    for relation in sorted(sqlmodels.inputs_of(name)):
        keys += sources.assets_of_dataset(relation.removeprefix("parsed_")) if relation.startswith("parsed_") else [relation]
    return [dg.AssetDep(key, partition_mapping=mapping) for key in keys]


def chart_months(months: list) -> list | None:
    """The months a history chart reads: the ``MDW_CHART_YEARS`` years (default 5) up to the newest of ``months``, or the
    whole history when it is 0. A daily run's pictures then read a bounded number of files (60 months), whatever the
    length of the history: on object storage each file is a few requests."""
    years = int(os.environ.get("MDW_CHART_YEARS") or CHART_YEARS)
    if years <= 0:
        return None
    last = max(months)
    return storage.months_between(min(min(months), storage.next_month(last.replace(year=last.year - years))), last)


def _pictures(name: str, data_dir, months: list) -> dict:
    """Charts for the UI, up to the end of the run's newest month: a currency's history with its findings marked
    (fx_rates) and each ticker's closes with theirs (ticker_quotes), for the two sources with the most months, over the
    chart's years up to each one's newest month; the biggest movers of the newest day in the run's months
    (fx_daily_change)."""
    last = max(months)
    until = storage.month_end(last)
    currency = os.environ.get("MDW_CHART_CURRENCY", "CHF")
    if name == "fx_daily_change":
        con = sqlmodels.connect(data_dir, months=months)
        try:
            quoting = [r[0] for r in con.execute(
                "select source from fx_rates where date <= ? group by source having count(distinct date) > 1 "
                "order by count(*) desc", [until]).fetchall()]
            made = {source: charts.biggest_movers(con, data_dir, source, until) for source in quoting[:2]}
        finally:
            con.close()
    elif name in ("fx_rates", "ticker_quotes"):
        dataset = "rates" if name == "fx_rates" else "tickers"
        by_source = storage.source_months(data_dir / "warehouse" / dataset, until=last)
        made = {}
        for source in sorted(by_source, key=lambda s: -len(by_source[s]))[:2]:
            con = sqlmodels.connect(data_dir, months=chart_months(by_source[source][-1:]))
            try:
                made[source] = (charts.currency_history(con, data_dir, source, currency, until) if name == "fx_rates"
                                else charts.ticker_history(con, data_dir, source, until))
            finally:
                con.close()
    else:
        return {}
    out = {}
    for source, chart in made.items():
        if chart:
            path, png = chart
            out[f"chart_{source}"] = dg.MetadataValue.md(charts.markdown_image(png, path.stem))
            out[f"chart_{source}_file"] = dg.MetadataValue.path(str(path))
    return out


def _mart_asset(name: str) -> dg.AssetsDefinition:
    first_line = sqlmodels.model_sql(name).splitlines()[0].lstrip("- ")

    @dg.asset(name=name, group_name="models", kinds={"duckdb", "parquet"}, deps=_deps(name), description=first_line,
              partitions_def=monthly_partitions, backfill_policy=backfill_policy)
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        months = partition_months(context)
        # no checks run here: the cross-source judgments that flag fx_rates' quotes are SQL upstream of it
        # (stg_source_comparison, through stg_quality_flags); its asset checks record them, once per run
        stats = sqlmodels.build_mart(warehouse.lake, name, months)
        short = len(months) <= PREVIEW_MAX_MONTHS
        return dg.MaterializeResult(metadata={
            "dagster/row_count": stats.rows,
            "first": stats.first or "",
            "last": stats.last or "",
            "months_written": len(stats.months),
            "seconds": round(stats.seconds, 3),
            "path": dg.MetadataValue.path(str(sqlmodels.mart_root(warehouse.lake, name))),
            # a ranged run's metadata is copied onto every partition's event: the large items for short runs only
            **({"newest_rows": metadata.table(stats.preview),
                "sql": dg.MetadataValue.md(f"```sql\n{sqlmodels.model_sql(name)}\n```")} if short else {}),
        })

    return _asset


@dg.asset(name="fx_cross_rates", group_name="models", kinds={"duckdb"}, deps=sorted(sqlmodels.inputs_of("fx_cross_rates")),
          description="Every pair of a source's currencies per date (units of quote per 1 base), a view computed on demand.")
def fx_cross_rates(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    newest = _newest_month(warehouse.lake, "fx_rates")
    con = sqlmodels.connect(warehouse.lake, months=[newest] if newest else None)  # the newest month's files, not the whole history
    pairs = con.execute(
        "select source, max(date)::varchar as date, count(*) as pairs from fx_cross_rates "
        "where (source, date) in (select source, max(date) from fx_rates group by source) group by source order by source"
    ).pl()
    con.close()
    return dg.MaterializeResult(metadata={
        "pairs_on_newest_date": metadata.table(pairs),
        "sql": dg.MetadataValue.md(f"```sql\n{sqlmodels.model_sql('fx_cross_rates')}\n```"),
    })


def _newest_month(data_dir, mart: str):
    """The newest month ``mart`` has a file of (a listing, no read), or None."""
    built = sqlmodels.mart_files(data_dir, mart)
    return max(storage.month_from_folder(path.parent.name) for path in built) if built else None


CHARTED = ("fx_rates", "fx_daily_change", "ticker_quotes")  # the marts `charts` draws, each up to its newest month


@dg.asset(name="charts", group_name="models", kinds={"png"}, deps=list(CHARTED),
          description="Pictures of the newest data for the UI (PNG under warehouse/charts/): a currency's history with its "
                      "findings marked (MDW_CHART_CURRENCY, default CHF; MDW_CHART_YEARS, default 5), the biggest moves of "
                      "the newest day, each ticker's closes with theirs. Drawn on demand (`mdw run`, the UI), not by the "
                      "scheduled runs and backfills: a daily run does not pay for matplotlib.")
def charts_asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    meta: dict = {}
    for mart in CHARTED:
        if newest := _newest_month(warehouse.lake, mart):
            meta.update({f"{mart}_{key}": value for key, value in _pictures(mart, warehouse.lake, [newest]).items()})
    context.log.info(f"{sum(1 for key in meta if key.endswith('_file'))} chart(s) drawn")
    return dg.MaterializeResult(metadata=meta)


MART_ASSETS = [_mart_asset(name) for name in sqlmodels.MARTS]
ON_DEMAND_ASSETS = [fx_cross_rates, charts_asset]  # unpartitioned: what they show is drawn from the warehouse when asked
ON_DEMAND = [a.key.to_user_string() for a in ON_DEMAND_ASSETS]
MODEL_ASSETS = [*(a.key.to_user_string() for a in MART_ASSETS), *ON_DEMAND]
# fx_cross_rates is a view: materializing it only records its metadata, so `mdw run` and the UI do it,
# not every scheduled run or backfill chunk
def models_for(datasets) -> list[str]:
    """The partitioned model assets built from ``datasets`` (rates, tickers), in build order: the marts whose SQL
    header names the dataset (``-- dataset: rates``)."""
    wanted = {m for d in datasets for m in sqlmodels.marts_of_dataset(d)}
    return [m for m in MODEL_ASSETS if m in wanted]
