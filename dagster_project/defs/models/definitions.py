import dagster as dg

from dagster_project.defs.models.assets import MART_ASSETS, charts_asset, fx_cross_rates

defs = dg.Definitions(assets=[*MART_ASSETS, fx_cross_rates, charts_asset])
