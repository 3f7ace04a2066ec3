"""The code location: merges each domain's definitions (sources, models, quality).

Only one ``Definitions`` object may live at module scope here, so the domains are imported as modules.
"""

import dagster as dg

from dagster_project.defs.models import definitions as models
from dagster_project.defs.quality import definitions as quality
from dagster_project.defs.sources import definitions as sources

defs = dg.Definitions.merge(sources.defs, models.defs, quality.defs)
