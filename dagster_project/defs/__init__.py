"""The Dagster wiring of the core library, one folder per domain (sources, models, quality).

We use Dagster 1.13 features marked beta or preview (backfill policies, partition mappings that allow
missing upstream partitions, partitioned asset checks) knowingly, pinned to the 1.13 line: their warnings
are silenced here, once, for every module of the wiring.
"""

import warnings

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
