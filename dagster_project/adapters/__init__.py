"""One adapter per source; every adapter returns a :class:`~dagster_project.rows.Snapshot` (same row shape).

An adapter module has ``parse(data, *, captured_at, file=None) -> Snapshot`` (``WINDOWED = True`` and a
``window`` argument for a history that can keep only some dates) and ``looks_like(suffix, head) -> bool``
(does a dropped file with this name suffix and these first bytes belong to it). The registry of sources,
which dispatches to them, is ``dagster_project.sources``.
"""

from __future__ import annotations

import os


def max_input_bytes() -> int:
    """The largest input read (MDW_MAX_INPUT_MB, default 256 MB): a runaway download fails clearly, not by memory."""
    return int(float(os.environ.get("MDW_MAX_INPUT_MB", "256")) * 1024 * 1024)
