"""Resources for the sources: where the warehouse lives and where each feed is read from.

One resource class per feed kind (``dagster_project.sources``: history, snapshots, api, files), one resource
per source (``<source>_feed``), configured with ``dg.EnvVar``: ``MDW_<SOURCE>_LOCATION`` (an HTTP(S) URL or a
local path), or ``MDW_<SOURCE>_BASE_URL`` and ``MDW_<SOURCE>_ACCESS_KEY`` for an API (see
``dagster_project.settings`` for the defaults that point at the bundled data).
"""


import datetime as dt
import logging
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg

from dagster_project import http, lake, landing, pipeline, sources

log = logging.getLogger("mdw.feeds")


class Warehouse(dg.ConfigurableResource):
    """Where the data lives. The lake (raw/ immutable inputs, warehouse/ Parquet) at ``storage_url``: a local path or
    s3://bucket/prefix (empty: the data dir). The catalog and the inbox stay in the local ``data_dir``."""

    data_dir: str
    storage_url: str = ""

    @property
    def lake(self):
        """The lake's root: a local ``Path``, or an ``upath.UPath`` on object storage (``dagster_project.lake``)."""
        return lake.root(self.storage_url or self.data_dir)

    @property
    def inbox(self) -> Path:
        return Path(self.data_dir).resolve() / "inbox"


def _land(data_dir: Path, data: bytes, **kwargs) -> list[pipeline.Landed]:
    """Land an input the feed offers; one that was quarantined (`mdw quarantine`) is skipped with a warning."""
    try:
        return [pipeline.land_input(data_dir, data, **kwargs)]
    except landing.Quarantined as exc:
        log.warning("%s not landed: %s", kwargs.get("name"), exc)
        return []


def _is_url(location: str) -> bool:
    return urlparse(location).scheme in ("http", "https")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _read(location: str, timeout: float) -> tuple[bytes, str, dt.datetime]:
    """Bytes, a file name and a capture time for a URL or a local file."""
    if _is_url(location):
        body, _ = http.fetch(location, timeout=timeout)
        return body, Path(urlparse(location).path).name or "download", _now()
    path = Path(location)
    captured = landing.ts_from_name(path.name) or dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(microsecond=0)
    return path.read_bytes(), path.name, captured


class LocationFeed(dg.ConfigurableResource):
    """A feed read from one location, MDW_<SOURCE>_LOCATION: an HTTP(S) URL or a local path (empty: not configured)."""

    source: str
    location: str
    access_key: str = ""  # a live URL's {api_key}: from the environment only (the registry's key_env)
    timeout: float = 20.0

    @property
    def configured(self) -> bool:
        return bool(self.location) and ("{api_key}" not in self.location or bool(self.access_key))

    @property
    def needs(self) -> str:
        return f"set MDW_{self.source.upper()}_LOCATION"


class HistoryFeed(LocationFeed):
    """A publisher's history: a file (the ECB's .zip/.csv, its daily XML), a folder of recorded answers named
    ``<captured_at>.<ext>`` (a central bank's bundled recordings: each file landed once, by its hash), or a URL.
    A URL may name the dates it is asked for, ``{start:%Y-%m-%d}`` and ``{end:…}`` (``str.format`` fields): it is
    asked for the partition dates the raw layer lacks. Dates the raw layer holds are not fetched again; a later
    capture of the same dates (a revision) lands when it is offered as a new file."""

    def land(self, data_dir: Path, dates: list[dt.date]) -> list[pipeline.Landed]:
        if not self.location:
            return []
        if not _is_url(self.location) and Path(self.location).is_dir():
            files = sorted(p for p in Path(self.location).iterdir() if p.is_file() and not p.name.startswith("."))
            return [landed for f in files
                    for landed in _land(data_dir, f.read_bytes(), name=f.name, source=self.source,
                                        captured_at=landing.ts_from_name(f.name))]
        plan = landing.snapshots_for(data_dir, self.source, dates)
        covered = {d for ds in plan.values() for d in ds}
        missing = sorted(set(dates) - covered)
        if not missing:
            return []  # what is landed stays
        if not (_is_url(self.location) and "{" in self.location):
            body, name, captured = _read(self.location, self.timeout)
            return _land(data_dir, body, name=name, source=self.source, captured_at=captured)
        # a URL template: the missing dates, one request per series where it names one (FRED: {series}), the key from
        # the environment ({api_key}; redacted from every error)
        series = getattr(sources.SOURCES[self.source].adapter, "SERIES", ()) if "{series}" in self.location else ("",)
        out = []
        for one in series:
            url = self.location.format(start=missing[0], end=min(missing[-1], _now().date()), series=one, api_key=self.access_key)
            body, _ = http.fetch(url, timeout=self.timeout)
            captured = _now()
            name = f"{landing.ts_name(captured)}{'_' + one if one else ''}.{landing.extension(urlparse(url).path, body)}"
            out += _land(data_dir, body, name=name, source=self.source, captured_at=captured)
        return out


class SnapshotFeed(LocationFeed):
    """Snapshots of a page: a URL (fetched for today's partition only) or a folder of ``<captured_at>.txt|html``."""

    def land(self, data_dir: Path, dates: list[dt.date]) -> list[pipeline.Landed]:
        if not self.location:
            return []
        if _is_url(self.location):
            if _now().date() not in dates:
                return []  # a page shows only the present: past partitions come from landed snapshots
            body, _, captured = _read(self.location, self.timeout)
            return _land(data_dir, body, name=f"{landing.ts_name(captured)}.html", source=self.source, captured_at=captured)
        folder = Path(self.location)
        wanted = set(dates)
        out = []
        for path in sorted(folder.glob("*")) if folder.is_dir() else [folder]:
            captured = landing.ts_from_name(path.name)
            if path.is_file() and captured and captured.date() in wanted:
                out += _land(data_dir, path.read_bytes(), name=path.name, source=self.source, captured_at=captured)
        return out


class ApiFeed(dg.ConfigurableResource):
    """A Fixer-style API: ``<base_url>/latest`` and ``<base_url>/YYYY-MM-DD`` with ``access_key`` (from the
    environment only; it never appears in a log, a file name or an error)."""

    source: str
    base_url: str = ""
    access_key: str = ""
    timeout: float = 20.0

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.access_key)

    @property
    def needs(self) -> str:
        name = self.source.upper()
        return f"set MDW_{name}_BASE_URL and MDW_{name}_ACCESS_KEY"

    def land(self, data_dir: Path, dates: list[dt.date]) -> list[pipeline.Landed]:
        if not self.configured:
            return []
        today = _now().date()
        out = []
        for day in dates:
            if day > today or landing.raw_files_single(data_dir, self.source, day):
                continue
            endpoint = "latest" if day == today else day.isoformat()
            body, _ = http.fetch(f"{self.base_url.rstrip('/')}/{endpoint}", params={"access_key": self.access_key},
                                 timeout=self.timeout, expect=("json",))
            captured = _now()
            out += _land(data_dir, body, name=f"{landing.ts_name(captured)}.json", source=self.source, captured_at=captured)
        return out


class FilesFeed(LocationFeed):
    """A folder (or file) of vendor exports named ``<captured_at>.csv`` or anything ``.csv``: every file landed (one
    already landed is recognised by its hash)."""

    location: str = ""

    def land(self, data_dir: Path, dates: list[dt.date]) -> list[pipeline.Landed]:
        folder = Path(self.location) if self.location else None
        if folder is None or not folder.exists():
            return []
        files = sorted(folder.glob("*.csv")) if folder.is_dir() else [folder]
        return [landed for f in files for landed in _land(data_dir, f.read_bytes(), name=f.name, source=self.source)]


FEED_TYPES = {"history": HistoryFeed, "snapshots": SnapshotFeed, "api": ApiFeed, "files": FilesFeed}


def feed_key(source: str) -> str:
    return f"{source}_feed"


def feed_env_vars(source: sources.Source) -> list[str]:
    """The variables configuring a source's feed: MDW_<SOURCE>_LOCATION, or _BASE_URL and _ACCESS_KEY for an API."""
    env = f"MDW_{source.name.upper()}"
    return [f"{env}_BASE_URL", f"{env}_ACCESS_KEY"] if source.feed == "api" else [f"{env}_LOCATION"]


def feed_resource(source: sources.Source) -> dg.ConfigurableResource:
    """The source's feed, configured from the environment (an unset variable: the feed is not configured)."""
    names = feed_env_vars(source)
    if source.feed == "api":
        return ApiFeed(source=source.name, base_url=dg.EnvVar(names[0]), access_key=dg.EnvVar(names[1]))
    if source.key_env:
        return FEED_TYPES[source.feed](source=source.name, location=dg.EnvVar(names[0]), access_key=dg.EnvVar(source.key_env))
    return FEED_TYPES[source.feed](source=source.name, location=dg.EnvVar(names[0]))


RESOURCES = {
    "warehouse": Warehouse(data_dir=dg.EnvVar("MDW_DATA_DIR"), storage_url=dg.EnvVar("MDW_STORAGE_URL")),
    **{feed_key(name): feed_resource(source) for name, source in sources.SOURCES.items()},
}
