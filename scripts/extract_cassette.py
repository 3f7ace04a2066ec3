"""Extract the recorded HTTP responses of one Frankfurter VCR cassette into test fixtures.

Frankfurter (lineofflight/frankfurter, MIT licence) records the real responses of central banks in
``spec/vcr_cassettes/<name>.yml``. This writes each response body, byte for byte as the provider served
it, to ``tests/fixtures/providers/<key>/<stem>.<ext>`` with a sidecar ``<stem>.<ext>.json`` holding the
request URL, the content type, the HTTP status and when it was recorded. Usage (the repository brought
in by the search tool's ``fetch``, read with git, no work tree needed):

    python scripts/extract_cassette.py --git-dir /work/.mirror/lineofflight+frankfurter/repo \
        --cassette boe --key boe [--index 0] [--stem name]

Files are named ``<recorded_at>_<index>.<ext>`` by default (``20260331T100407Z_0.csv``), a name landing reads
as the capture time.

``--list`` prints the interactions (index, status, type, size, URL) without writing anything.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import email.utils
import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures" / "providers"
_EXT = {"spreadsheetml": "xlsx", "excel": "xls", "json": "json", "xml": "xml", "csv": "csv", "html": "html", "plain": "txt",
        "zip": "zip"}  # in order: a workbook's type names "xml" too


class _Loader(yaml.SafeLoader):
    """Ruby's VCR writes binary bodies as ``!binary`` (base64)."""


_Loader.add_constructor("!binary", lambda loader, node: base64.b64decode(loader.construct_scalar(node)))


def interactions(git_dir: str, cassette: str) -> list[dict]:
    text = subprocess.run(["git", "--git-dir", git_dir, "show", f"HEAD:spec/vcr_cassettes/{cassette}.yml"],
                          check=True, capture_output=True).stdout
    return yaml.load(text, Loader=_Loader)["http_interactions"]


def body_bytes(response: dict) -> bytes:
    body = response["body"]
    if "base64_string" in body:
        return base64.b64decode(body["base64_string"])
    string = body.get("string", "")
    if isinstance(string, bytes):
        return string
    encoding = body.get("encoding")
    return string.encode(encoding if encoding not in (None, "ASCII-8BIT") else "utf-8")


def content_type(response: dict) -> str:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return (headers.get("content-type") or [""])[0]


def extension(ctype: str) -> str:
    for key, ext in _EXT.items():
        if key in ctype.lower():
            return ext
    return "bin"


def _stamp(interaction: dict) -> str:
    """The recording time as a capture-time file name stem (``20260331T100407Z``): landing reads it back as
    the capture's ``captured_at``."""
    when = email.utils.parsedate_to_datetime(interaction["recorded_at"])
    return when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--git-dir", required=True)
    p.add_argument("--cassette", required=True)
    p.add_argument("--key", help="the provider's source key (the fixture folder)")
    p.add_argument("--index", type=int, action="append", help="interaction(s) to extract (default: all)")
    p.add_argument("--stem", help="file name stem (default: <cassette>_<index>)")
    p.add_argument("--list", action="store_true")
    args = p.parse_args(argv)
    found = interactions(args.git_dir, args.cassette)
    if args.list:
        for k, it in enumerate(found):
            r = it["response"]
            print(k, r["status"]["code"], content_type(r), len(body_bytes(r)), it["request"]["uri"][:160])
        return 0
    if not args.key:
        p.error("--key is needed to write fixtures")
    folder = OUT / args.key
    folder.mkdir(parents=True, exist_ok=True)
    for k in args.index or range(len(found)):
        it = found[k]
        r = it["response"]
        ctype = content_type(r)
        stem = args.stem if args.stem and len(args.index or []) == 1 else f"{args.stem or _stamp(it)}_{k}"
        path = folder / f"{stem}.{extension(ctype)}"
        path.write_bytes(body_bytes(r))
        meta = {"url": it["request"]["uri"], "content_type": ctype, "status": r["status"]["code"],
                "recorded_at": it.get("recorded_at"), "cassette": f"spec/vcr_cassettes/{args.cassette}.yml"}
        Path(f"{path}.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(path.relative_to(REPO), len(body_bytes(r)), "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
