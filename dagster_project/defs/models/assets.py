"""SQL models (``sql/marts/*.sql``) as assets: each one rebuilt from all parsed partitions into Parquet.

The marts are small next to DuckDB's speed (the whole ECB history is ~230k rates), so each is rebuilt
whole rather than per partition: no partition bookkeeping, and a late-arriving partition can never
leave a stale window. ``fx_cross_rates`` is a view computed on demand (see README).
"""

import os

import dagster as dg

from dagster_project import charts, sqlmodels
from dagster_project.defs.sources.resources import Warehouse

UPSTREAM = {
    "stg_rates_daily": ["ecb_rates", "fixer_rates", "page_rates"],
    "stg_ticker_sessions": ["page_tickers", "ticker_csv_tickers"],
}


def _deps(name: str) -> list[str]:
    out = []
    for dep in sqlmodels.MART_DEPS[name]:
        out += UPSTREAM.get(dep, [dep])
    return out


def _pictures(name: str, data_dir) -> dict:
    """Charts for the UI: a currency's history with its findings marked (fx_rates), the biggest movers (fx_daily_change)."""
    draw = {
        "fx_rates": lambda con, source: charts.currency_history(con, data_dir, source, os.environ.get("MDW_CHART_CURRENCY", "CHF")),
        "fx_daily_change": lambda con, source: charts.biggest_movers(con, data_dir, source),
    }.get(name)
    if draw is None:
        return {}
    con = sqlmodels.connect(data_dir)
    out = {}
    try:
        sources = [r[0] for r in con.execute(
            "select source from fx_rates group by source having count(distinct date) > 1 order by count(*) desc").fetchall()]
        for source in sources[:2]:
            made = draw(con, source)
            if made:
                path, png = made
                out[f"chart_{source}"] = dg.MetadataValue.md(charts.markdown_image(png, path.stem))
                out[f"chart_{source}_file"] = dg.MetadataValue.path(str(path))
    finally:
        con.close()
    return out


def _mart_asset(name: str) -> dg.AssetsDefinition:
    first_line = sqlmodels.model_sql(name).splitlines()[0].lstrip("- ")

    @dg.asset(name=name, group_name="models", kinds={"duckdb", "parquet"}, deps=_deps(name), description=first_line)
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        stats = sqlmodels.build_mart(warehouse.path, name)
        context.log.info(f"{name}: {stats.rows} rows in {stats.seconds:.2f}s")
        return dg.MaterializeResult(metadata={
            "dagster/row_count": stats.rows,
            "first": stats.first or "",
            "last": stats.last or "",
            "seconds": round(stats.seconds, 3),
            "newest_rows": dg.MetadataValue.md(stats.preview),
            "path": dg.MetadataValue.path(str(sqlmodels.mart_path(warehouse.path, name))),
            "sql": dg.MetadataValue.md(f"```sql\n{sqlmodels.model_sql(name)}\n```"),
            **_pictures(name, warehouse.path),
        })

    return _asset


@dg.asset(name="fx_cross_rates", group_name="models", kinds={"duckdb"}, deps=["fx_rates"],
          description="Every pair of a source's currencies per date (units of quote per 1 base), a view computed on demand.")
def fx_cross_rates(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    con = sqlmodels.connect(warehouse.path)
    pairs = con.execute(
        "select source, max(date)::varchar as date, count(*) as pairs from fx_cross_rates "
        "where (source, date) in (select source, max(date) from fx_rates group by source) group by source order by source"
    ).pl()
    con.close()
    return dg.MaterializeResult(metadata={
        "pairs_on_newest_date": dg.MetadataValue.md(sqlmodels.markdown_table(pairs)),
        "sql": dg.MetadataValue.md(f"```sql\n{sqlmodels.model_sql('fx_cross_rates')}\n```"),
    })


MART_ASSETS = [_mart_asset(name) for name in sqlmodels.MARTS]
MODEL_ASSETS = [*(a.key.to_user_string() for a in MART_ASSETS), "fx_cross_rates"]
