"""The raw layer: every fetched or dropped input stored byte for byte, never modified.

Layout: ``<data>/raw/<source>/date=<YYYY-MM-DD>/<captured_at>.<ext>`` where ``date`` is the (last) data
date the input holds and ``captured_at`` is UTC in basic ISO form (``20241128T120000Z``). An input that
covers many dates (a history file) also gets a ``<name>.covers.json`` sidecar naming its first and last
date, so a partition can find it without opening every file. Landing the same bytes twice is a no-op.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from dagster_project import lake

TS_FORMAT = "%Y%m%dT%H%M%SZ"
_TS_NAME = re.compile(r"(\d{8}T\d{6}Z)(?:-[0-9a-f]{8})?")
_EXT = re.compile(r"\.(txt|html?|csv|tsv|xlsx?|zip|xml|json|gz)$", re.IGNORECASE)
# what a capture's name says after its time: ``_DEXUSEU`` in ``20260319T140828Z_DEXUSEU.json`` (a FRED body does not
# name its own series), kept in the raw file's name
_TAIL = re.compile(r"^\d{8}T\d{6}Z(?:-[0-9a-f]{8})?(_[A-Za-z0-9]{1,32})\.")
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
        return "xlsx" if b"[Content_Types].xml" in data[:64] else "zip"
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"<"):
        return "html" if b"html" in data[:512].lower() else "xml"
    return "txt"


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
    tail = name_tail(Path(name_hint).name)
    path = folder / f"{ts_name(captured_at)}{tail}.{ext}"
    if path.exists():
        if sha256(path.read_bytes()) == digest:  # landed meanwhile by a concurrent run: the same snapshot
            return _raw_file(path, source), False
        path = folder / f"{ts_name(captured_at)}-{digest[:8]}{tail}.{ext}"  # same second, other bytes: keep both
    if first != last:
        lake.write_bytes(path.with_name(path.name + COVERS), json.dumps(
            {"first": first.isoformat(), "last": last.isoformat(), "sha256": digest}).encode())
    lake.write_bytes(path, data)
    return RawFile(path, source, captured_at, first, last), True


def find_landed(data_dir: Path, source: str, data: bytes, day: dt.date | None = None, *,
                digest: str | None = None) -> RawFile | None:
    """The raw file already holding exactly ``data``: a history file (its sidecar names its hash, so nothing is
    re-read), or a single-date snapshot of ``day`` of the same size. None when these bytes are new."""
    digest = digest or sha256(data)
    for history in lake.glob(data_dir / "raw" / source, f"date=*/*{COVERS}"):
        if json.loads(history.read_text()).get("sha256") == digest:
            return _raw_file(history.with_name(history.name[: -len(COVERS)]), source)
    for single in raw_files_single(data_dir, source, day) if day is not None else []:
        if single.path.stat().st_size == len(data) and sha256(single.path.read_bytes()) == digest:
            return single
    return None


def _raw_file(path: Path, source: str, *, sidecar: bool | None = None) -> RawFile:
    """The raw file at ``path``; ``sidecar`` says whether it has a covers sidecar when a listing already told."""
    captured = ts_from_name(path.name)
    if captured is None:
        raise ValueError(f"{path}: raw file name is not <captured_at>.<ext>")
    day = dt.date.fromisoformat(path.parent.name.removeprefix("date="))
    covers = path.with_name(path.name + COVERS)
    if sidecar if sidecar is not None else covers.exists():
        cov = json.loads(covers.read_text())
        return RawFile(path, source, captured, dt.date.fromisoformat(cov["first"]), dt.date.fromisoformat(cov["last"]))
    return RawFile(path, source, captured, day, day)


def snapshots_for(data_dir: Path, source: str, dates: list[dt.date], *, every_history: bool = False) -> dict[RawFile, list[dt.date]]:
    """Which raw inputs make up each date's partition.

    Every single-date snapshot of the day is kept (a page captured several times a day keeps each
    capture). Of the history files covering a day, only the newest counts: a later history file
    restates the same published values, and keeping both would double the rows. History files whose names
    say they hold different series (FRED's ``<captured_at>_DEXJPUS.json`` beside ``…_DEXUSEU.json``, the IMF's
    ``_REP`` and ``_SDRCV`` tables) are different streams: the newest of each counts. With ``every_history``
    (a source of dropped exports, one file per symbol: each may be its own series) every history file counts, and
    the models keep the last capture of each quote.
    """
    plan: dict[RawFile, list[dt.date]] = {}
    history = history_files(data_dir, source)
    wanted = set(dates)
    singles = single_snapshots(data_dir, source, wanted)
    for day in sorted(wanted):
        for raw in singles.get(day, []):
            plan.setdefault(raw, []).append(day)
        newest: dict[str, RawFile] = {}
        for h in history:  # oldest capture first: the last of each stream wins
            if h.first <= day <= h.last:
                newest[h.path.name if every_history else name_tail(h.path.name)] = h
        for raw in newest.values():
            plan.setdefault(raw, []).append(day)
    return plan


def name_tail(name: str) -> str:
    """What a raw file's name says after its capture time (``_DEXUSEU``), or "": the stream it belongs to."""
    m = _TAIL.match(name)
    return m.group(1) if m else ""


def history_files(data_dir: Path, source: str) -> list[RawFile]:
    """Inputs that hold many dates (they carry a covers sidecar), oldest capture first."""
    root = data_dir / "raw" / source
    found = [_raw_file(s.with_name(s.name[: -len(COVERS)]), source, sidecar=True) for s in lake.glob(root, f"date=*/*{COVERS}")]
    return sorted(found, key=lambda r: (r.captured_at, r.path.name))


def raw_files_single(data_dir: Path, source: str, day: dt.date) -> list[RawFile]:
    """The single-date snapshots of ``day``: one listing of its folder (one request on object storage)."""
    return _singles(lake.glob(data_dir / "raw" / source / f"date={day.isoformat()}", "*"), source)


def _singles(listed: list, source: str) -> list[RawFile]:
    names = {p.name for p in listed}
    return [_raw_file(p, source, sidecar=False) for p in listed
            if not p.name.startswith(".") and not p.name.endswith(COVERS) and p.name + COVERS not in names
            and (lake.is_remote(p) or p.is_file())]


REMOTE_LIST_ALL_FROM = 8  # on object storage, more days than this: one listing of the source, not one per day


def single_snapshots(data_dir: Path, source: str, days: set[dt.date]) -> dict[dt.date, list[RawFile]]:
    """The single-date snapshots of each of ``days``. Locally a listing per day folder; on object storage, for more
    than a few days, one listing of the whole source (a request per thousand objects instead of one per day)."""
    root = data_dir / "raw" / source
    if not (lake.is_remote(root) and len(days) > REMOTE_LIST_ALL_FROM):
        return {day: raw_files_single(data_dir, source, day) for day in days}
    folders: dict[str, list] = {}
    for path in lake.glob(root, "date=*/*"):
        folders.setdefault(path.parent.name, []).append(path)
    return {day: _singles(folders.get(f"date={day.isoformat()}", []), source) for day in days}


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


def raw_file_at(data_dir, path: Path | str) -> RawFile:
    """The raw file at ``path`` (relative to the lake, or absolute/``s3://…`` inside it); ValueError if it is not one."""
    text = str(path)
    raw_root = lake.shown(data_dir / "raw")
    if lake.is_remote(data_dir):
        full = data_dir / text.removeprefix(lake.shown(data_dir) + "/")  # s3://bucket/prefix/raw/… or raw/…
    else:
        full = (Path(text) if Path(text).is_absolute() else data_dir / text).resolve()
    rel = lake.shown(full).removeprefix(raw_root + "/")
    if rel == lake.shown(full) or not full.is_file() or full.name.endswith((COVERS, REASON)):
        raise ValueError(f"{lake.shown(full)}: not a file of the raw layer ({raw_root})")
    return _raw_file(full, rel.split("/", 1)[0])


def quarantine(data_dir, raw: RawFile, reason: str, *, now: dt.datetime | None = None):
    """Move ``raw`` (and its covers sidecar) out of the raw layer into the quarantine, with its reason."""
    if not reason.strip():
        raise ValueError("a reason is required")
    rel = lake.shown(raw.path).removeprefix(lake.shown(data_dir / "raw") + "/")
    target = data_dir / QUARANTINE / rel
    record = {"raw_file": f"raw/{rel}", "reason": reason.strip(), "sha256": sha256(raw.path.read_bytes()),
              "first": raw.first.isoformat(), "last": raw.last.isoformat(),
              "quarantined_at": (now or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()}
    lake.write_bytes(target.with_name(target.name + REASON), json.dumps(record, indent=1).encode())
    sidecar = raw.path.with_name(raw.path.name + COVERS)
    # on disk an atomic rename (readers see the file in raw/ or not at all); on object storage a copy, then the delete
    lake.move(raw.path, target)
    if sidecar.exists():
        lake.move(sidecar, target.with_name(target.name + COVERS))
    lake.remove_empty_dirs(raw.path.parent, stop=data_dir / "raw")  # an empty date folder goes too
    return target


def quarantined(data_dir: Path, data: bytes) -> dict | None:
    """The quarantine record of these bytes, if they were quarantined."""
    root = data_dir / QUARANTINE
    if not root.is_dir():
        return None
    digest = sha256(data)
    for reason in lake.glob(root, f"*/date=*/*{REASON}"):
        record = json.loads(reason.read_text())
        if record.get("sha256") == digest:
            return record
    return None
