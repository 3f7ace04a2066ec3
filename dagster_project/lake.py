"""Where the lake lives: ``raw/``, ``warehouse/`` (and the derived ``parsed_inputs/``, ``quarantine/``).

``MDW_STORAGE_URL`` is a local path (the default: ``MDW_DATA_DIR``) or ``s3://bucket/prefix`` on any
S3-compatible store (AWS, MinIO, R2). Endpoint and credentials come from the standard variables
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``), read by the engines
themselves: s3fs (through universal_pathlib, so the code keeps its pathlib idiom) for Python, DuckDB's
``httpfs`` extension (loaded from its pinned wheel, offline) for SQL. Nothing here copies the lake locally.

A local lake is a plain ``pathlib.Path``: the default path pays nothing for object storage. On object storage,
a write is one PUT of a complete object (readers see the old object or the new one), a "folder" is only a key
prefix (nothing to create or remove), and listings are never cached (another run may have written meanwhile).
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REMOTE_SCHEMES = ("s3", "s3a")


class LakeUnavailable(RuntimeError):
    """The lake cannot be used: no such bucket, credentials refused, endpoint unreachable (one line, no secret)."""


def storage_url() -> str:
    """``MDW_STORAGE_URL``, else ``MDW_DATA_DIR`` (the local default)."""
    return os.environ.get("MDW_STORAGE_URL") or os.environ["MDW_DATA_DIR"]


def root(url: str | None = None) -> Any:
    """The lake's root: a resolved ``Path`` for a local lake, an ``upath.UPath`` for ``s3://bucket/prefix``."""
    url = url or storage_url()
    scheme = urlparse(url).scheme
    if scheme in REMOTE_SCHEMES:
        from upath import UPath  # only a remote lake imports s3fs (and aiobotocore)

        return UPath(url.rstrip("/"), use_listings_cache=False)
    if scheme not in ("", "file"):
        raise LakeUnavailable(f"MDW_STORAGE_URL: unsupported scheme {scheme!r} (a local path or s3://bucket/prefix)")
    return Path(url.removeprefix("file://")).resolve()


def is_remote(path: Any) -> bool:
    return not isinstance(path, Path) and getattr(path, "protocol", "") in REMOTE_SCHEMES


def shown(path: Any) -> str:
    """A path as DuckDB and messages name it: ``s3://bucket/key`` or an absolute local path."""
    return str(path) if is_remote(path) else Path(path).resolve().as_posix()


def endpoint() -> str:
    """Where the store is, for messages (never with credentials)."""
    return os.environ.get("AWS_ENDPOINT_URL") or f"AWS S3 ({os.environ.get('AWS_REGION', 'default region')})"


def probe(lake: Any) -> None:
    """One request that proves a remote lake usable: the bucket exists and the credentials are accepted."""
    if not is_remote(lake):
        return
    bucket = lake.path.split("/", 1)[0]
    try:
        lake.fs.ls(bucket, refresh=True)
    except FileNotFoundError:
        raise LakeUnavailable(f"the lake's bucket {bucket!r} does not exist at {endpoint()} (MDW_STORAGE_URL={lake})") from None
    except PermissionError as exc:
        raise LakeUnavailable(f"the store at {endpoint()} refused the credentials for bucket {bucket!r} "
                              f"(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY): {_reason(exc)}") from None
    except OSError as exc:
        raise LakeUnavailable(f"cannot reach the lake {lake} at {endpoint()}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else type(exc).__name__
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    return message.replace(secret, "***") if secret else message


# -------------------------------------------------------------------------------------------------- reads

def matches(root: Any, pattern: str, *, between: tuple[str, str] | None = None) -> list[str]:
    """The paths below ``root`` (relative, ``/``-separated, sorted) of the files and folders matching ``pattern`` (``*``
    within one path segment): names only, so a caller that keeps a few of many makes no path object for the rest.

    On object storage, one listing of the whole prefix (ListObjectsV2, a thousand keys a page) instead of
    fsspec's walk, which lists every matching "folder" again: a month glob over 27 years is one or a few
    requests, not 334. Folders are the key prefixes of the objects found. A one-segment pattern is one listing of
    the folder's children; with ``between`` (``lo``, ``hi``), only the keys whose path below ``root`` sorts between
    them are listed, from ``lo`` on: a window of recent months is one short request, whatever the history."""
    if not is_remote(root):
        found = sorted(p.relative_to(root).as_posix() for p in root.glob(pattern))
    else:
        base = root.path.rstrip("/")
        keys = _keys(root.fs, base, children="/" not in pattern, between=between)
        depth = pattern.count("/") + 1
        segments = pattern.split("/")
        prefixes = {"/".join(parts[:depth]) for key in keys if len(parts := key[len(base) + 1:].split("/")) >= depth}
        found = [rel for rel in sorted(prefixes) if all(fnmatch.fnmatchcase(a, b) for a, b in zip(rel.split("/"), segments, strict=True))]
    return found if between is None else [rel for rel in found if between[0] <= rel <= between[1]]


_SNAPSHOT: ContextVar[tuple[str, list[str]] | None] = ContextVar("lake_snapshot", default=None)


def _keys(fs: Any, base: str, *, children: bool = False, between: tuple[str, str] | None = None) -> list[str]:
    """The object keys below ``base`` (``children``: its immediate children, objects and folders; ``between``: only those
    whose path below ``base`` sorts from ``lo`` to ``hi``): from the block's snapshot (``snapshot``) when it covers
    ``base``, else listed."""
    taken = _SNAPSHOT.get()
    if taken is not None and (base == taken[0] or base.startswith(taken[0] + "/")):
        return [key for key in taken[1] if key.startswith(base + "/")]
    try:
        if children:
            return fs.ls(base, detail=False, refresh=True)  # one request with a delimiter
        if between is not None:
            return _keys_between(fs, base, *between)
        return fs.find(base)
    except FileNotFoundError:
        return []


def _keys_between(fs: Any, base: str, lo: str, hi: str) -> list[str]:
    """The keys below ``base`` whose path below it sorts from ``lo`` to ``hi``: ListObjectsV2 from ``lo`` on (StartAfter),
    page after page until a key passes ``hi``."""
    bucket, _, key_prefix = base.partition("/")
    prefix = f"{key_prefix}/" if key_prefix else ""
    request = {"Bucket": bucket, "Prefix": prefix, "StartAfter": prefix + lo}
    out = []
    while True:
        page = fs.call_s3("list_objects_v2", **request)
        for obj in page.get("Contents", []):
            if obj["Key"][len(prefix):] > hi:
                return out
            out.append(f"{bucket}/{obj['Key']}")
        if not page.get("IsTruncated"):
            return out
        request = {"Bucket": bucket, "Prefix": prefix, "ContinuationToken": page["NextContinuationToken"]}


@contextmanager
def snapshot(root: Any) -> Iterator[None]:
    """Within the block, answer every listing below ``root`` from one listing of it taken now (object storage; a local
    lake lists as it goes). A DuckDB session over the whole history defines a dozen views over the warehouse: they then
    see the lake as it was when the session opened, at the cost of one listing (a thousand keys a request), not one per
    view."""
    if not is_remote(root):
        yield
        return
    base = root.path.rstrip("/")
    token = _SNAPSHOT.set((base, _keys(root.fs, base)))
    try:
        yield
    finally:
        _SNAPSHOT.reset(token)


def glob(root: Any, pattern: str, keep: Callable[[str], bool] | None = None, *,
         between: tuple[str, str] | None = None) -> list[Any]:
    """The files and folders under ``root`` matching ``pattern`` (and sorting ``between``, see ``matches``), sorted, as
    paths; with ``keep``, only those whose relative path it accepts (tested before a path object is made: on object
    storage each costs ~0.1 ms)."""
    return [root / rel for rel in matches(root, pattern, between=between) if keep is None or keep(rel)]


def readable(path: Any) -> Any:
    """What polars and pyarrow read a file of the lake from: the local path, or the remote object's bytes (small:
    a month of one dataset)."""
    return io.BytesIO(path.read_bytes()) if is_remote(path) else path


# ------------------------------------------------------------------------------------------------- writes

@contextmanager
def replacing(path: Any, *, sidecars: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a local temp path; when the block succeeds, it becomes ``path`` whole.

    Local: a hidden temp file beside ``path``, fsynced and renamed over it. Remote: a temp file on local disk,
    uploaded in one PUT of the complete object. Either way readers see the old content or the new one, never half
    of either; on failure nothing is written and the temp file (and its ``sidecars``, such as a ``.wal``) goes.
    """
    if is_remote(path):
        handle, name = tempfile.mkstemp(prefix=".mdw-", suffix=".tmp")
        os.close(handle)
        tmp = Path(name)
        try:
            yield tmp
            path.fs.put_file(name, path.path)  # s3fs: one PutObject below its multipart threshold (50 MB)
        finally:
            for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in sidecars)):
                leftover.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.urandom(4).hex()}.tmp"
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in sidecars)):
            if leftover.exists():
                leftover.unlink()


def write_bytes(path: Any, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


LOCK_LEASE_S = 600  # a lock object older than this was left by a dead holder (object storage: no kernel to release it)


@contextmanager
def lock(path: Any, *, poll_s: float = 0.05) -> Iterator[None]:
    """Hold an exclusive lock named by ``path`` for the block (``periods``: one closed period's rebuild at a time).

    Local: ``flock`` on the file ``path`` (created if needed, never deleted): the kernel releases it when the holder
    exits or is killed. Remote: the object ``path`` created by a conditional PUT (``If-None-Match: *``: only one
    writer can create it), naming its holder (host and process id), and deleted at the end. A lock whose holder is gone
    (a process of this host that no longer runs) or older than ``LOCK_LEASE_S`` (a holder elsewhere) was left by a
    killed run: it is deleted with ``If-Match`` on its ETag (only that object, not one a live holder created since)."""
    if not is_remote(path):
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return
    import datetime as dt
    import time

    bucket, _, key = path.path.partition("/")
    fs = path.fs
    while True:
        try:
            fs.call_s3("put_object", Bucket=bucket, Key=key, Body=_holder().encode(), IfNoneMatch="*")
            break
        except FileExistsError:  # s3fs's name for 412 PreconditionFailed: another holder created it
            pass
        except OSError as exc:  # 409 ConditionalRequestConflict: a concurrent conditional PUT of the same key
            if "409" not in str(exc) and "Conflict" not in str(exc):
                raise
        try:
            held = fs.call_s3("head_object", Bucket=bucket, Key=key)  # its ETag first: the delete is of this object only
            if (_gone(fs.cat_file(path.path).decode(errors="replace"))
                    or (dt.datetime.now(dt.UTC) - held["LastModified"]).total_seconds() > LOCK_LEASE_S):
                fs.call_s3("delete_object", Bucket=bucket, Key=key, IfMatch=held["ETag"])
        except (OSError, ValueError, FileNotFoundError):
            pass  # released meanwhile (or the store refuses If-Match on delete): try again
        time.sleep(poll_s)
    try:
        yield
    finally:
        fs.call_s3("delete_object", Bucket=bucket, Key=key)


def _holder() -> str:
    """Who holds a remote lock: this host and process."""
    import socket

    return f"{socket.gethostname()} {os.getpid()}"


def _gone(holder: str) -> bool:
    """Whether a remote lock's holder (``_holder``) is a process of this host that no longer runs."""
    import socket

    host, _, pid = holder.strip().rpartition(" ")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_empty_dirs(folder: Any, stop: Any) -> None:
    """Remove ``folder`` and its parents up to ``stop`` while they are empty (local only: a prefix has no object)."""
    if is_remote(folder):
        return
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def remove_tree(path: Any) -> None:
    if is_remote(path):
        with contextlib.suppress(FileNotFoundError):
            path.fs.rm(path.path, recursive=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def replace_tree(new: Any, target: Any) -> None:
    """Put the folder ``new`` in the place of ``target``. Local: two renames (``target`` is whole at every moment but
    one between them). Remote: each object of ``new`` copied over its namesake (each copy is whole), then the objects
    of ``target`` that ``new`` lacks deleted, then ``new``."""
    if is_remote(new):
        fs = new.fs
        fresh = {key[len(new.path) + 1:] for key in fs.find(new.path)}
        for rel in sorted(fresh):
            fs.copy(f"{new.path}/{rel}", f"{target.path}/{rel}")
        for key in fs.find(target.path):
            if key[len(target.path) + 1:] not in fresh:
                fs.rm(key)
        remove_tree(new)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def move(source: Any, target: Any) -> None:
    """Move one file. Local: an atomic rename (same file system). Remote: a server-side copy, then the delete."""
    if is_remote(source):
        source.fs.mv(source.path, target.path)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)


# ---------------------------------------------------------------------------------------------------- DuckDB

def httpfs_extension() -> Path:
    """The ``httpfs`` extension of the pinned wheel ``duckdb-extension-httpfs`` (same DuckDB release): no download."""
    import duckdb
    import duckdb_extension_httpfs

    folder = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path = folder / "httpfs.duckdb_extension"
    if not path.exists():
        raise LakeUnavailable(f"no httpfs extension for DuckDB {duckdb.__version__} in {folder.parent}: "
                              "pin duckdb and duckdb-extension-httpfs to the same release")
    return path


def _endpoint_parts() -> tuple[str | None, bool]:
    url = os.environ.get("AWS_ENDPOINT_URL")
    if not url:
        return None, True
    parsed = urlparse(url)
    return parsed.netloc + parsed.path.rstrip("/"), parsed.scheme == "https"


def duckdb_setup(con: Any, lake: Any) -> None:
    """Let ``con`` read and write a remote lake: the httpfs extension from its wheel and a temporary S3 secret
    built from the AWS_* variables (bound as parameters; DuckDB shows it redacted and never stores it)."""
    if not is_remote(lake):
        return
    con.execute(f"load {sql_literal(httpfs_extension().as_posix())}")
    host, ssl = _endpoint_parts()
    options = {"key_id": os.environ.get("AWS_ACCESS_KEY_ID", ""), "secret": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
               "region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    if os.environ.get("AWS_SESSION_TOKEN"):
        options["session_token"] = os.environ["AWS_SESSION_TOKEN"]
    if host:
        options |= {"endpoint": host, "url_style": "path"}
    names = ", ".join(f"{k} ${k}" for k in options)
    con.execute(f"create or replace temporary secret mdw_lake (type s3, {names}, use_ssl {str(ssl).lower()})", options)


def duckdb_session(lake: Any) -> Any:
    """An in-memory DuckDB that reads and writes ``lake`` (``duckdb_setup``), its memory capped by MDW_DUCKDB_MEMORY_LIMIT
    (default 1GB: larger sorts and windows spill to disk instead of growing the process; DuckDB's own default is 80% of
    the machine's RAM), no progress bar (runs log to files)."""
    import duckdb

    con = duckdb.connect(":memory:", config={"memory_limit": os.environ.get("MDW_DUCKDB_MEMORY_LIMIT", "1GB")})
    con.execute("set enable_progress_bar = false")
    duckdb_setup(con, lake)
    return con


def duckdb_cli_init(lake: Any) -> str:
    """The same for the DuckDB CLI (``make sql``), as SQL it runs at start: the credentials are read there with
    ``getenv``, so they appear neither in the command line nor in a file."""
    if not is_remote(lake):
        return ""
    host, ssl = _endpoint_parts()
    endpoint_sql = (f", endpoint {sql_literal(host)}, url_style 'path'" if host else "")
    token = ", session_token getenv('AWS_SESSION_TOKEN')" if os.environ.get("AWS_SESSION_TOKEN") else ""
    return (f"load {sql_literal(httpfs_extension().as_posix())};\n"
            "create or replace temporary secret mdw_lake (type s3, key_id getenv('AWS_ACCESS_KEY_ID'), "
            "secret getenv('AWS_SECRET_ACCESS_KEY'), "
            f"region coalesce(nullif(getenv('AWS_REGION'), ''), 'us-east-1'){token}{endpoint_sql}, "
            f"use_ssl {str(ssl).lower()});\n")


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal (for what DuckDB cannot bind parameters into: paths, comments, CLI start-up
    SQL)."""
    return "'" + text.replace("'", "''") + "'"
