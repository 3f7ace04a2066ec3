"""A throwaway S3-compatible endpoint for the tests and the bench: moto's server on a free port of 127.0.0.1, in
its own process (so its request handling does not share the caller's interpreter), with a bucket created.

It speaks the S3 API the engines use (ListObjectsV2, PutObject, ranged GetObject, HEAD, copy, delete); it is
not a performance stand-in for AWS: figures on it are for comparisons made on the same machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from bench.postgres import free_port

ACCESS_KEY = "mdw-test-key"
SECRET_KEY = "mdw-test-Secret/Key+0123456789"  # only for the local endpoint: tests assert it never shows anywhere


@contextlib.contextmanager
def throwaway_s3(bucket: str | None = "lake", *, check_credentials: bool = False) -> Iterator[dict[str, str]]:
    """Start the endpoint, create ``bucket`` (none when None) and yield the AWS_* variables that reach it.

    With ``check_credentials`` the server authenticates every request against its (empty) IAM: any key is
    refused, as a store refuses wrong credentials."""
    port = free_port()
    env = {**os.environ, **({"INITIAL_NO_AUTH_ACTION_COUNT": "0"} if check_credentials else {})}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    variables = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                 "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": "us-east-1"}
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the moto S3 server did not start")
            time.sleep(0.05)
        if bucket:
            client(variables).create_bucket(Bucket=bucket)
        yield variables
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def client(variables: dict[str, str]):
    """A boto3 S3 client for the endpoint (to look at the bucket from outside the project's code)."""
    import boto3

    return boto3.client("s3", endpoint_url=variables["AWS_ENDPOINT_URL"], region_name=variables["AWS_REGION"],
                        aws_access_key_id=variables["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=variables["AWS_SECRET_ACCESS_KEY"])


def keys(variables: dict[str, str], bucket: str, prefix: str = "") -> list[str]:
    """Every object key under ``prefix``."""
    pages = client(variables).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


QUERIES = {
    "open a session (views over every file)": None,
    "scan: count and mean of every parsed rate (334 files)": "select count(*), avg(rate) from parsed_rates",
    "one pair over 27 years (fx_cross_rates USD/JPY)": "select date, rate from fx_cross_rates where source = 'ecb' "
                                                        "and base = 'USD' and quote = 'JPY' order by date",
    "one day's cross matrix (fx_cross_rates)": "select base, quote, rate from fx_cross_rates where source = 'ecb' "
                                               "and date = date '2024-11-28'",
}


def _query_ms(lake_url: str, repeat: int = 5) -> dict[str, float]:
    """Median warm milliseconds of each query through the project's own session (sqlmodels.connect)."""
    import statistics

    from dagster_project import lake, sqlmodels

    root = lake.root(lake_url)
    out = {}
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        con = sqlmodels.connect(root)
        samples.append(time.perf_counter() - started)
    out["open a session (views over every file)"] = statistics.median(samples) * 1000
    for name, sql in QUERIES.items():
        if sql is None:
            continue
        con.execute(sql).fetchall()  # warm
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            con.execute(sql).fetchall()
            samples.append(time.perf_counter() - started)
        out[name] = statistics.median(samples) * 1000
    con.close()
    return out


def lake_s3_vs_local() -> list[tuple]:
    """`mdw run` and the full ECB backfill with the lake on local disk and on the S3 endpoint (SQLite Dagster home for
    both), then reading the lake: the same queries through the project's DuckDB session on each."""
    import tempfile
    from pathlib import Path

    from bench.history import daily_runs, env_for, timed_mdw

    rows = []
    backfill = ["backfill", "--from", "1999-01-04", "--to", "2026-10-30", "--source", "ecb"]
    with tempfile.TemporaryDirectory(prefix="mdw-bench-") as tmp, throwaway_s3("bench") as s3:
        local, remote = Path(tmp) / "local", Path(tmp) / "s3"
        env_local = env_for(local)
        env_s3 = {**env_for(remote), **s3, "MDW_STORAGE_URL": "s3://bench/lake"}
        for label, args in (("`mdw run`", ["run"]), ("full ECB backfill (334 months)", backfill)):
            a, _, _ = timed_mdw(args, env_local, local)
            b, rss, _ = timed_mdw(args, env_s3, remote)
            rows.append((f"{label}: local disk vs S3 (moto on 127.0.0.1)", f"{a:.1f} s vs {b:.1f} s wall ({b / a:.1f}x); "
                         f"{len(keys(s3, 'bench', 'lake/'))} objects in the bucket, {rss:.0f} MB peak RSS on S3"))
        # the scheduled run's cost: one month again (checks and models) on the 27-year lake, and on a 2-year one
        short = Path(tmp) / "s3short"
        env_short = {**env_for(short), **s3, "MDW_STORAGE_URL": "s3://bench/short"}
        timed_mdw(["backfill", "--from", "2024-11-01", "--to", "2026-10-30", "--source", "ecb"], env_short, short)
        daily = {label: daily_runs(env, cwd, "2026-10-01", "2026-10-30")[0] for label, env, cwd in
                 (("local", env_local, local), ("s3", env_s3, remote), ("s3 short", env_short, short))}
        rows.append(("one daily ECB run (1 month, checks and models) after the 27-year history: local disk vs S3",
                     f"{daily['local']:.1f} s vs {daily['s3']:.1f} s of run (median of 3)"))
        rows.append(("the same daily run on S3: after 2 years vs after 27 years of history",
                     f"{daily['s3 short']:.1f} s vs {daily['s3']:.1f} s of run (median of 3; "
                     f"{daily['s3'] / daily['s3 short']:.2f}x for 14x the history)"))
        saved = {k: os.environ.get(k) for k in s3}
        os.environ.update(s3)
        try:
            on_disk, on_s3 = _query_ms(str(local / "data")), _query_ms("s3://bench/lake")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        for name in QUERIES:
            rows.append((f"read the lake, {name}", f"{on_disk[name]:.1f} ms local vs {on_s3[name]:.1f} ms S3 (median of 5, warm)"))
    return rows


def main() -> None:
    for name, value in lake_s3_vs_local():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
