"""The code location: merges each domain's definitions (sources, models, quality).

Only one ``Definitions`` object may live at module scope here, so the domains are imported as modules.
This is the code location's entry point (``dagster dev -m dagster_project.definitions``, the code server,
``mdw``): the one place that fills in the MDW_* defaults the resources' ``dg.EnvVar`` read at run time.
"""

import dagster as dg

from dagster_project import sources as registry
from dagster_project.defs import sqlite_home
from dagster_project.defs.models import definitions as models
from dagster_project.defs.quality import definitions as quality
from dagster_project.defs.sources import definitions as sources
from dagster_project.settings import apply_env_defaults

apply_env_defaults(registry.env_defaults())  # each feed's variable: its bundled recordings, or "not configured"
sqlite_home.apply()  # the runs' events without an fsync each on the default SQLite home (MDW_DAGSTER_SQLITE_SYNCHRONOUS)
# Every run executes its steps in its own process, one after another: the steps are a chain (raw -> parsed ->
# models) over the same files, so a process per step (Dagster's multiprocess default) would only add ~3 s of imports
# to each. Runs still run side by side when launched side by side (the run queue, `mdw backfill --parallel`).
defs = dg.Definitions.merge(sources.defs, models.defs, quality.defs, dg.Definitions(executor=dg.in_process_executor))
