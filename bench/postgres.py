"""Dagster on Postgres against the default SQLite home: the full 27-year ECB backfill through `mdw`, measured
on a throwaway Postgres 15 server (Debian's, /usr/lib/postgresql/15/bin; initdb runs as the `postgres` user
when we are root).

    python -m bench.postgres
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.history import env_for, run_seconds, timed_mdw

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "bench-Pa55word"


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for the throwaway servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> None:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, capture_output=True, text=True, check=True)


@contextlib.contextmanager
def throwaway_postgres(password: str = PASSWORD) -> Iterator[str]:
    """A fresh Postgres server on a free port of 127.0.0.1 with a database `dagster`; yields its URL."""
    if not (PG_BIN / "initdb").exists():
        raise FileNotFoundError(f"no Postgres server binaries at {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="mdw-pg-"))
    data, sock, pwfile = root / "data", root / "sock", root / "pw"
    sock.mkdir()
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        for path in (root, sock, pwfile):
            shutil.chown(path, "postgres")
    port = free_port()
    _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "mdw", "--auth=scram-sha-256", f"--pwfile={pwfile}"])
    _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "start",
                  "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1"])
    try:
        createdb = PG_BIN / "createdb" if (PG_BIN / "createdb").exists() else Path(shutil.which("createdb") or "createdb")
        subprocess.run([str(createdb), "-h", "127.0.0.1", "-p", str(port), "-U", "mdw", "dagster"],
                       env={**os.environ, "PGPASSWORD": password}, check=True, capture_output=True)
        yield f"postgresql://mdw:{password}@127.0.0.1:{port}/dagster"
    finally:
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(url: str) -> str:
    """A new empty database on the server of ``url`` (its URL): one Dagster instance per test or measure."""
    import uuid

    import psycopg2

    name = f"t{uuid.uuid4().hex[:10]}"
    con = psycopg2.connect(url)
    con.autocommit = True
    con.cursor().execute(f"create database {name}")
    con.close()
    return url.rsplit("/", 1)[0] + "/" + name


def backfill_postgres_vs_sqlite() -> list[tuple]:
    args = ["backfill", "--from", "1999-01-04", "--to", "2026-10-30", "--source", "ecb"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mdw-bench-") as tmp:
        lite = Path(tmp) / "sqlite"
        wall, rss, out = timed_mdw(args, env_for(lite), lite)
        rows.append(("full ECB backfill, SQLite Dagster home (default)", f"{wall:.1f} s wall, {run_seconds(out):.1f} s of runs, "
                     f"{rss:.0f} MB peak RSS"))
        with throwaway_postgres() as url:
            pg = Path(tmp) / "postgres"
            env = {k: v for k, v in env_for(pg).items() if k != "DAGSTER_HOME"}
            env["MDW_DATA_DIR"] = str(pg / "data")
            for batch in ("1", "100"):
                run = pg / f"batch{batch}"
                run.mkdir(parents=True, exist_ok=True)
                env = {**env, "MDW_DATA_DIR": str(run / "data"), "MDW_DAGSTER_PG_URL": url, "DAGSTER_EVENT_BATCH_SIZE": batch}
                subprocess.run(["psql" if not (PG_BIN / "psql").exists() else str(PG_BIN / "psql"), url, "-c",
                                "drop schema public cascade; create schema public;"], capture_output=True, check=False)
                wall, rss, out = timed_mdw(args, env, run)
                rows.append((f"full ECB backfill, Dagster on Postgres, DAGSTER_EVENT_BATCH_SIZE={batch}",
                             f"{wall:.1f} s wall, {run_seconds(out):.1f} s of runs, {rss:.0f} MB peak RSS"))
    return rows


def main() -> None:
    for name, value in backfill_postgres_vs_sqlite() + parallel_vs_one():
        print(f"| {name} | {value} |")



def parallel_vs_one(parallel: tuple[int, ...] = (2, 4)) -> list[tuple]:
    """The full ECB backfill on Postgres as runs one after another in one process (`mdw backfill`) against N queued
    runs side by side, each in its own process (`mdw backfill --parallel N`), each in a fresh data dir and database."""
    args = ["backfill", "--from", "1999-01-04", "--to", "2026-10-30", "--source", "ecb"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mdw-bench-") as tmp:
        for n in (0, *parallel):
            with throwaway_postgres() as url:
                root = Path(tmp) / f"parallel{n}"
                env = {k: v for k, v in env_for(root).items() if k != "DAGSTER_HOME"}
                env |= {"MDW_DATA_DIR": str(root / "data"), "MDW_DAGSTER_PG_URL": url}
                wall, rss, _ = timed_mdw(args + (["--parallel", str(n)] if n else []), env, root)
                what = (f"--parallel {n}: {n} queued runs side by side, then {n - 1} seam run(s)" if n
                        else "one process, 3 runs of 120 months one after another")
                rows.append((f"full ECB backfill on Postgres, {what}", f"{wall:.1f} s wall, {rss:.0f} MB peak RSS (mdw)"))
    return rows


if __name__ == "__main__":
    main()
