import dagster as dg

from dagster_project.defs.quality.checks import ASSET_CHECKS

defs = dg.Definitions(asset_checks=ASSET_CHECKS)
