"""The code location: merges each domain's definitions (sources, models)."""

import dagster as dg

from dagster_project.defs.models.definitions import defs as models_defs
from dagster_project.defs.sources.definitions import defs as sources_defs

defs = dg.Definitions.merge(sources_defs, models_defs)
