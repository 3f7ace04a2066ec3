import dagster as dg

from dagster_project.defs.sources import assets, schedules, sensors
from dagster_project.defs.sources.resources import RESOURCES

defs = dg.Definitions(
    assets=[assets.raw_ecb, assets.raw_page, assets.raw_fixer, assets.raw_ticker_csv,
            assets.ecb_rates, assets.fixer_rates, assets.page_parsed, assets.ticker_csv_tickers],
    jobs=schedules.JOBS,
    schedules=schedules.SCHEDULES,
    sensors=[sensors.inbox_sensor, sensors.catch_up_sensor],
    resources=RESOURCES,
)
