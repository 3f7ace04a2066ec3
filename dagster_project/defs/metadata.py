"""Frames as Dagster metadata: ``MetadataValue.table`` with a typed schema, which the UI renders as a sortable
table with its column types; Markdown where a table must carry a trailing note (the findings' "and N more")."""

import datetime as dt

import dagster as dg
import polars as pl

_TYPES = {pl.Date: "date", pl.Datetime: "datetime", pl.Float64: "float", pl.Float32: "float", pl.Int64: "int",
          pl.Int32: "int", pl.UInt32: "int", pl.Boolean: "bool"}


def _cell(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def table(frame: pl.DataFrame | None) -> dg.MetadataValue:
    """``frame`` as a typed table (dates as ISO text)."""
    frame = frame if frame is not None else pl.DataFrame()
    schema = dg.TableSchema(columns=[dg.TableColumn(name, _TYPES.get(dtype.base_type(), "string"))
                                     for name, dtype in frame.schema.items()])
    records = [dg.TableRecord({k: _cell(v) for k, v in row.items()}) for row in frame.iter_rows(named=True)]
    return dg.MetadataValue.table(records=records, schema=schema)


def markdown(frame: pl.DataFrame) -> str:
    """``frame`` as a Markdown table."""
    if frame.height == 0:
        return "(no rows)"
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)
