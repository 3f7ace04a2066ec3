"""What every relation of the catalog and each of its columns means, as DuckDB comments (``COMMENT ON``), so
``duckdb_views()``, ``duckdb_columns()``, the DuckDB CLI and ``mdw sql --describe`` show them.

Models document themselves in their SQL file's header: the leading comment lines describe the relation,
``-- grain: a, b`` names the columns that are unique together (tested), ``-- column name: text`` documents a
column. Relations not defined by a SQL file (the parsed data, the findings, the reference tables) and the
meaning of a column name shared across relations (``rate``: units of `currency` per 1 `base`) are in
``sql/catalog.csv``; a relation's own ``column`` line wins over the shared one.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

import duckdb

from dagster_project.lake import sql_literal
from dagster_project.settings import REPO

SQL_DIR = REPO / "sql"
_GRAIN = re.compile(r"^--\s*grain:\s*(.+)$")
_COLUMN = re.compile(r"^--\s*column\s+(\w+):\s*(.+)$")
# a mart's configuration, in its header: what it is keyed by and built from (sqlmodels.mart_config)
_SETTING = re.compile(r"^--\s*(time key|subject|dataset|reads|closed periods):\s*(.+)$")


@dataclass
class RelationDoc:
    description: str = ""
    grain: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)


def fingerprint() -> str:
    """A hash of everything the catalog's comments come from: ``sql/catalog.csv`` and the models' SQL files."""
    digest = hashlib.sha256()
    for path in sorted(SQL_DIR.rglob("*")):
        if path.suffix in (".sql", ".csv"):
            digest.update(path.relative_to(SQL_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _model_path(name: str):
    for folder in ("staging", "marts", "views", "macros"):
        path = SQL_DIR / folder / f"{name}.sql"
        if path.exists():
            return path
    return None


def parse_header(sql: str) -> RelationDoc:
    """The description, grain and column docs of a SQL model's leading comment block."""
    doc, prose = RelationDoc(), []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        if m := _GRAIN.match(line):
            doc.grain = tuple(c.strip() for c in m.group(1).split(","))
        elif m := _COLUMN.match(line):
            doc.columns[m.group(1)] = m.group(2).strip()
        elif m := _SETTING.match(line):
            doc.settings[m.group(1)] = m.group(2).strip()
        else:
            prose.append(line.removeprefix("--").strip())
    doc.description = " ".join(p for p in prose if p)
    return doc


@lru_cache(maxsize=1)
def _catalog_csv() -> tuple[dict[str, str], dict[str, RelationDoc]]:
    shared: dict[str, str] = {}
    relations: dict[str, RelationDoc] = {}
    with open(SQL_DIR / "catalog.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["relation"] == "*":
                shared[row["column"]] = row["description"]
            elif not row["column"]:
                relations.setdefault(row["relation"], RelationDoc()).description = row["description"]
            else:
                relations.setdefault(row["relation"], RelationDoc()).columns[row["column"]] = row["description"]
    return shared, relations


def relation_doc(name: str) -> RelationDoc:
    """The documentation of ``name``: its SQL header (a model) or its sql/catalog.csv rows."""
    path = _model_path(name)
    if path is not None:
        return parse_header(path.read_text())
    return _catalog_csv()[1].get(name, RelationDoc())


def column_doc(relation: str, column: str) -> str:
    return relation_doc(relation).columns.get(column) or _catalog_csv()[0].get(column, "")


def comment_statements(con: duckdb.DuckDBPyConnection) -> list[str]:
    """COMMENT ON statements for every view of ``con`` (the warehouse's) and every column of each."""
    stmts = []
    views = [r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()]
    for view in views:
        doc = relation_doc(view)
        if doc.description:
            grain = f" Grain: one row per {', '.join(doc.grain)}." if doc.grain else ""
            stmts.append(f"comment on view {view} is {sql_literal(doc.description + grain)}")
        for (column,) in con.execute("select column_name from duckdb_columns() where table_name = ? order by column_index",
                                     [view]).fetchall():
            text = column_doc(view, column)
            if text:
                stmts.append(f"comment on column {view}.{column} is {sql_literal(text)}")
    macros = con.execute("select distinct function_name, function_type from duckdb_functions() "
                         "where function_type in ('macro', 'table_macro') and not internal").fetchall()
    for name, kind in macros:
        doc = relation_doc(name)
        if doc.description:
            stmts.append(f"comment on macro {'table ' if kind == 'table_macro' else ''}{name} is {sql_literal(doc.description)}")
    return stmts


def describe(con: duckdb.DuckDBPyConnection) -> None:
    """Comment every view and column of ``con``."""
    for stmt in comment_statements(con):
        con.execute(stmt)
