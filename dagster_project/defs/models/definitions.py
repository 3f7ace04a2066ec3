import dagster as dg

from dagster_project.defs.models.assets import MART_ASSETS, ON_DEMAND_ASSETS

defs = dg.Definitions(assets=[*MART_ASSETS, *ON_DEMAND_ASSETS])
