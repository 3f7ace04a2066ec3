"""The raw layer: every fetched or dropped input stored byte for byte, never modified.

Layout: ``<data>/raw/<source>/date=<YYYY-MM-DD>/<captured_at>.<ext>`` where ``date`` is the (last) data
date the input holds and ``captured_at`` is UTC in basic ISO form (``20241128T120000Z``). An input that
covers many dates (a history file) also gets a ``<name>.covers.json`` sidecar naming its first and last
date, so a partition can find it without opening every file. Landing the same bytes twice is a no-op.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TS_FORMAT = "%Y%m%dT%H%M%SZ"
_TS_NAME = re.compile(r"(\d{8}T\d{6}Z)(?:-[0-9a-f]{8})?")
_EXT = re.compile(r"\.(txt|html?|csv|zip|xml|json)$", re.IGNORECASE)
COVERS = ".covers.json"


def ts_name(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime(TS_FORMAT)


def ts_from_name(name: str) -> dt.datetime | None:
    m = _TS_NAME.match(Path(name).name)
    return dt.datetime.strptime(m.group(1), TS_FORMAT).replace(tzinfo=dt.UTC) if m else None


def extension(name: str, data: bytes) -> str:
    m = _EXT.search(name)
    if m:
        return m.group(1).lower()
    head = data.lstrip()[:16]
    if head.startswith(b"PK"):
        return "zip"
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"<"):
        return "html" if b"html" in data[:512].lower() else "xml"
    return "txt"


@contextmanager
def replacing(path: Path, *, sidecars: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a hidden temp path beside ``path``; when the block succeeds, fsync it and rename it over ``path``.

    Readers see the old file or the new one, never half of either; on failure the temp file (and any
    ``sidecars`` suffixes of it, such as a DuckDB ``.wal``) is removed and ``path`` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in sidecars)):
            if leftover.exists():
                leftover.unlink()


def atomic_write(path: Path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


@dataclass(frozen=True)
class RawFile:
    path: Path
    source: str
    captured_at: dt.datetime
    first: dt.date
    last: dt.date

    @property
    def multi_date(self) -> bool:
        return self.first != self.last

    @property
    def rel_key(self) -> str:
        """A stable key for this raw file (source, date folder, name)."""
        return f"{self.source}/{self.path.parent.name}/{self.path.name}"

    def rel(self, data_dir: Path) -> str:
        return self.path.relative_to(data_dir).as_posix()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def land(data_dir: Path, source: str, data: bytes, *, captured_at: dt.datetime, dates: list[dt.date],
         name_hint: str = "") -> tuple[RawFile, bool]:
    """Store ``data`` immutably; return (the raw file, whether it was new). Same bytes already landed -> reuse."""
    if not dates:
        raise ValueError("refusing to land an input that holds no dated rows")
    first, last = min(dates), max(dates)
    digest = sha256(data)
    folder = data_dir / "raw" / source / f"date={last.isoformat()}"
    existing = find_landed(data_dir, source, data, last, digest=digest)
    if existing is not None:
        return existing, False
    ext = extension(name_hint, data)
    path = folder / f"{ts_name(captured_at)}.{ext}"
    if path.exists():
        if sha256(path.read_bytes()) == digest:  # landed meanwhile by a concurrent run: the same snapshot
            return _raw_file(path, source), False
        path = folder / f"{ts_name(captured_at)}-{digest[:8]}.{ext}"  # same second, other bytes: keep both
    if first != last:
        atomic_write(path.with_name(path.name + COVERS), json.dumps(
            {"first": first.isoformat(), "last": last.isoformat(), "sha256": digest}).encode())
    atomic_write(path, data)
    return RawFile(path, source, captured_at, first, last), True


def find_landed(data_dir: Path, source: str, data: bytes, day: dt.date | None = None, *,
                digest: str | None = None) -> RawFile | None:
    """The raw file already holding exactly ``data``: a history file (its sidecar names its hash, so nothing is
    re-read), or a single-date snapshot of ``day`` of the same size. None when these bytes are new."""
    digest = digest or sha256(data)
    for history in (data_dir / "raw" / source).glob(f"date=*/*{COVERS}"):
        if json.loads(history.read_text()).get("sha256") == digest:
            return _raw_file(history.with_name(history.name[: -len(COVERS)]), source)
    for single in raw_files_single(data_dir, source, day) if day is not None else []:
        if single.path.stat().st_size == len(data) and sha256(single.path.read_bytes()) == digest:
            return single
    return None


def _raw_file(path: Path, source: str) -> RawFile:
    captured = ts_from_name(path.name)
    if captured is None:
        raise ValueError(f"{path}: raw file name is not <captured_at>.<ext>")
    day = dt.date.fromisoformat(path.parent.name.removeprefix("date="))
    sidecar = path.with_name(path.name + COVERS)
    if sidecar.exists():
        cov = json.loads(sidecar.read_text())
        return RawFile(path, source, captured, dt.date.fromisoformat(cov["first"]), dt.date.fromisoformat(cov["last"]))
    return RawFile(path, source, captured, day, day)


def snapshots_for(data_dir: Path, source: str, dates: list[dt.date]) -> dict[RawFile, list[dt.date]]:
    """Which raw inputs make up each date's partition.

    Every single-date snapshot of the day is kept (a page captured several times a day keeps each
    capture). Of the history files covering a day, only the newest counts: a later history file
    restates the same published values, and keeping both would double the rows.
    """
    plan: dict[RawFile, list[dt.date]] = {}
    history = history_files(data_dir, source)
    wanted = set(dates)
    for day in sorted(wanted):
        for raw in raw_files_single(data_dir, source, day):
            plan.setdefault(raw, []).append(day)
        covering = [h for h in history if h.first <= day <= h.last]
        if covering:
            plan.setdefault(covering[-1], []).append(day)
    return plan


def history_files(data_dir: Path, source: str) -> list[RawFile]:
    """Inputs that hold many dates (they carry a covers sidecar), oldest capture first."""
    root = data_dir / "raw" / source
    found = [_raw_file(s.with_name(s.name[: -len(COVERS)]), source) for s in root.glob(f"date=*/*{COVERS}")]
    return sorted(found, key=lambda r: (r.captured_at, r.path.name))


def raw_files_single(data_dir: Path, source: str, day: dt.date) -> list[RawFile]:
    folder = data_dir / "raw" / source / f"date={day.isoformat()}"
    if not folder.is_dir():
        return []
    return [r for r in (_raw_file(p, source) for p in sorted(folder.iterdir())
                        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(COVERS))
            if not r.multi_date]


# --------------------------------------------------------------------------------------------- quarantine
# A raw file found to be wrong is never deleted: `mdw quarantine` moves it (and its sidecar) to
# <data>/quarantine/<source>/date=…/<name>, beside a <name>.reason.json (why, when, its hash). Landing the
# same bytes again is refused, so a feed that still offers the file does not bring it back.

QUARANTINE = "quarantine"
REASON = ".reason.json"


class Quarantined(Exception):
    """These bytes were quarantined: they are not landed again."""

    def __init__(self, record: dict):
        self.record = record
        super().__init__(f"quarantined on {record['quarantined_at']} ({record['raw_file']}): {record['reason']}")


def raw_file_at(data_dir: Path, path: Path) -> RawFile:
    """The raw file at ``path`` (absolute, or relative to the data dir); ValueError if it is not one."""
    path = (path if path.is_absolute() else data_dir / path).resolve()
    raw_root = (data_dir / "raw").resolve()
    if raw_root not in path.parents or not path.is_file() or path.name.endswith((COVERS, REASON)):
        raise ValueError(f"{path}: not a file of the raw layer ({raw_root})")
    source = path.relative_to(raw_root).parts[0]
    return _raw_file(path, source)


def quarantine(data_dir: Path, raw: RawFile, reason: str, *, now: dt.datetime | None = None) -> Path:
    """Move ``raw`` (and its covers sidecar) out of the raw layer into the quarantine, with its reason."""
    if not reason.strip():
        raise ValueError("a reason is required")
    rel = raw.path.resolve().relative_to((data_dir / "raw").resolve())
    target = data_dir / QUARANTINE / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {"raw_file": f"raw/{rel.as_posix()}", "reason": reason.strip(), "sha256": sha256(raw.path.read_bytes()),
              "first": raw.first.isoformat(), "last": raw.last.isoformat(),
              "quarantined_at": (now or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()}
    atomic_write(target.with_name(target.name + REASON), json.dumps(record, indent=1).encode())
    sidecar = raw.path.with_name(raw.path.name + COVERS)
    os.replace(raw.path, target)  # same file system: an atomic move; readers see it in raw/ or not at all
    if sidecar.exists():
        os.replace(sidecar, target.with_name(target.name + COVERS))
    with contextlib.suppress(OSError):
        raw.path.parent.rmdir()  # an empty date folder goes too (a non-empty one stays)
    return target


def quarantined(data_dir: Path, data: bytes) -> dict | None:
    """The quarantine record of these bytes, if they were quarantined."""
    root = data_dir / QUARANTINE
    if not root.is_dir():
        return None
    digest = sha256(data)
    for reason in root.glob(f"*/date=*/*{REASON}"):
        record = json.loads(reason.read_text())
        if record.get("sha256") == digest:
            return record
    return None
