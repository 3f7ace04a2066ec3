import dagster as dg

from dagster_project.defs.sources import assets, schedules, sensors
from dagster_project.defs.sources.resources import RESOURCES

defs = dg.Definitions(
    assets=[*assets.RAW.values(), *assets.PARSED.values()],
    jobs=schedules.JOBS,
    schedules=schedules.SCHEDULES,
    sensors=[sensors.inbox_sensor, sensors.catch_up_sensor],
    resources=RESOURCES,
)
