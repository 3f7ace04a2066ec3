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

ACCESS_KEY = "mdw-test-key"
SECRET_KEY = "mdw-test-Secret/Key+0123456789"  # only for the local endpoint: tests assert it never shows anywhere


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def throwaway_s3(bucket: str | None = "lake", *, check_credentials: bool = False) -> Iterator[dict[str, str]]:
    """Start the endpoint, create ``bucket`` (none when None) and yield the AWS_* variables that reach it.

    With ``check_credentials`` the server authenticates every request against its (empty) IAM: any key is
    refused, as a store refuses wrong credentials."""
    port = _free_port()
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
