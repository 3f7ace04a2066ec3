"""The duplicate-code rule applied per currency pair, for providers that quote several bases.

``rows.rates_frame`` applies the one duplicate rule (same text twice: keep the first; different texts: keep
none) to rows of the same ``date`` and ``currency``. For a provider whose rows are "PKR per 1 USD", "PKR per
1 EUR"… (``currency`` is the provider's own currency on every row, ``base`` varies) that key makes every row
of a date a "duplicate" of the others. A quote is identified by its pair, so this applies the same rule to
the rows of each ``base`` separately and puts the results back together: a code quoted twice *on the same
side* on a date is still caught.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from dagster_project.rows import RATE_SCHEMA, Reject, empty, rates_frame


def rates_by_pair(source: str, captured_at: dt.datetime, bases: list[str], dates: list[dt.date],
                  currencies: list[str], texts: list[str], lines: list[int | None],
                  units: list[float] | None = None) -> tuple[pl.DataFrame, list[Reject]]:
    per = units or [1.0] * len(texts)
    groups: dict[str, list[int]] = {}
    for k, base in enumerate(bases):
        groups.setdefault(base, []).append(k)
    frames, rejects = [], []
    for base, idx in groups.items():
        kept, dropped = rates_frame(source, captured_at, base, [dates[k] for k in idx], [currencies[k] for k in idx],
                                    [texts[k] for k in idx], [lines[k] for k in idx], [per[k] for k in idx])
        frames.append(kept)
        # the shared rule names only the currency: name the pair (``USD/KES 129.8194``)
        rejects += [Reject(r.line, f"{base}/{r.text}", f"{base}/{r.reason}", r.date) for r in dropped]
    if not frames:
        return empty(RATE_SCHEMA), []
    return pl.concat(frames).sort(["date", "line"], nulls_last=True, maintain_order=True), rejects
