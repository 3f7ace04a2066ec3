"""Exchange sessions (exchange_calendars): which trading session a quote captured at a moment shows.

A snapshot captured on a non-session day (a weekend, or 2024-11-28, US Thanksgiving) repeats the
last session; one captured before the open shows the previous session's close.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

CALENDAR_START = "1990-01-02"


@lru_cache(maxsize=8)
def calendar(exchange: str = "XNYS"):
    today = dt.date.today()
    return xcals.get_calendar(exchange, start=CALENDAR_START, end=f"{today.year + 1}-12-31")


def session_at(captured_at: dt.datetime, exchange: str = "XNYS") -> dt.date:
    """The session whose prices a capture at ``captured_at`` shows: the session in progress, else the last one."""
    cal = calendar(exchange)
    minute = pd.Timestamp(captured_at).tz_convert("UTC").floor("min")
    if minute < cal.first_minute:
        raise ValueError(f"{captured_at} is before the {exchange} calendar starts ({cal.first_session.date()})")
    if minute >= cal.opens.iloc[-1]:
        return cal.last_session.date()
    if cal.is_trading_minute(minute):
        return cal.minute_to_session(minute).date()
    return cal.minute_to_past_session(minute).date()
