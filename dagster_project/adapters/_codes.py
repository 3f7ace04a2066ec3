"""Which currency codes were in use on a date: one rule for every provider adapter.

A provider's quote of a code on a day the code did not exist is not a rate anyone could trade: it is
rejected with the file, line and reason, never kept. Two facts decide, both from
``data/reference/defunct_currencies.csv`` (with its sources):

- a withdrawn code (``withdrawn_from``) quoted on or after that day (HRK in 2023, BGN from 2026-01-01);
- a successor code of a redenomination (VES, BYN, MRU, SLE, ZWG…) quoted before the day it replaced its
  predecessor, and EUR before 1999-01-01.

Codes the reference data does not date (most of ISO 4217) are accepted on every day; whether a code is
known at all is judged by the ``valid_values`` check, as for every source.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache

from dagster_project.settings import REPO

EURO_FROM = dt.date(1999, 1, 1)


@lru_cache(maxsize=1)
def _dates() -> tuple[dict[str, dt.date], dict[str, dt.date]]:
    withdrawn: dict[str, dt.date] = {}
    introduced: dict[str, dt.date] = {"EUR": EURO_FROM}
    with open(REPO / "data" / "reference" / "defunct_currencies.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            day = dt.date.fromisoformat(row["withdrawn_from"])
            withdrawn[row["code"]] = day
            if row["successor"] and row["successor"] != "EUR":
                introduced[row["successor"]] = min(day, introduced.get(row["successor"], day))
    return withdrawn, introduced


def not_in_use(code: str, day: dt.date) -> str | None:
    """Why ``code`` cannot be quoted on ``day`` (withdrawn, or not yet introduced), or None when it can."""
    withdrawn, introduced = _dates()
    if code in withdrawn and day >= withdrawn[code]:
        return f"{code} quoted on {day}, but it was withdrawn from {withdrawn[code]} (defunct_currencies.csv)"
    if code in introduced and day < introduced[code]:
        return f"{code} quoted on {day}, before it was introduced on {introduced[code]} (defunct_currencies.csv)"
    return None
