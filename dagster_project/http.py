"""HTTP(S) fetching with a timeout and retries with backoff (httpx + stamina).

Retried: timeouts, connection errors, 5xx, 429 (honouring Retry-After, capped). Not retried: other 4xx.
Secrets in query strings (``access_key=…``) never appear in errors or logs: URLs are redacted first.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

import httpx
import stamina

SECRET_PARAMS = re.compile(r"((?:access_key|apikey|api_key|app_id|token|key)=)[^&#\s]+", re.IGNORECASE)
MAX_RETRY_AFTER = 30.0


class FetchError(RuntimeError):
    """A fetch that failed for good (after retries): the message names the redacted URL and the reason."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def redact(text: str) -> str:
    return SECRET_PARAMS.sub(r"\1***", text)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(float(value), MAX_RETRY_AFTER)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, min((when - dt.datetime.now(dt.UTC)).total_seconds(), MAX_RETRY_AFTER))
        except (TypeError, ValueError):
            return None


def _backoff(exc: Exception) -> bool | float:
    if isinstance(exc, _Retryable):
        return exc.retry_after if exc.retry_after is not None else True
    return isinstance(exc, (httpx.TimeoutException, httpx.TransportError))


def fetch(url: str, *, params: dict[str, str] | None = None, timeout: float = 20.0, attempts: int = 4,
          expect: tuple[str, ...] = ()) -> tuple[bytes, str]:
    """GET ``url``; return (body, content type). ``expect`` lists acceptable content-type fragments."""
    shown = redact(str(httpx.URL(url, params=params)))
    tries = 0

    @stamina.retry(on=_backoff, attempts=attempts, timeout=max(60.0, timeout * attempts), wait_initial=0.5, wait_max=8.0)
    def once() -> tuple[bytes, str]:
        nonlocal tries
        tries += 1
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            resp = client.get(url, params=params)
            if resp.status_code == 429 or resp.status_code >= 500:
                raise _Retryable(f"HTTP {resp.status_code}", _retry_after(resp.headers.get("retry-after")))
            if resp.status_code >= 400:
                raise FetchError(f"{shown}: HTTP {resp.status_code}")
            body = resp.read()  # raises on a body shorter than Content-Length (truncated transfer)
            return body, resp.headers.get("content-type", "")

    try:
        body, ctype = once()
    except FetchError:
        raise
    except _Retryable as exc:
        raise FetchError(f"{shown}: {exc} after {tries} attempts") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{shown}: {type(exc).__name__}: {redact(str(exc)) or 'no detail'} after {tries} attempts") from None
    if expect and not any(e in ctype.lower() for e in expect):
        raise FetchError(f"{shown}: unexpected content type {ctype!r} (expected {' or '.join(expect)})")
    return body, ctype
