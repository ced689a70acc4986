"""A country's public holidays (``[holidays] country``, optional ``subdivision``) from the ``holidays`` package,
resolved once for a fixed span of years and cached in the data dir, so that no command pays the package's import
(tens of milliseconds) once the cache is written.

The span is fixed, not "around today": nothing but ``clock.SystemClock`` reads the wall clock, and a desk's dues,
history and reports all fall well within it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import date
from pathlib import Path

from promisetrack.errors import DataError

YEARS = range(2000, 2061)
CACHE_NAME = "holidays-cache.json"


def country_holidays(country: str, subdivision: str, cache_dir: Path | None) -> dict[date, str]:
    """Every public holiday of ``country`` (and ``subdivision``) in ``YEARS``, with its name."""
    key = f"{country}/{subdivision}/{YEARS.start}-{YEARS.stop - 1}"
    cached = _read_cache(cache_dir, key)
    if cached is not None:
        return cached
    found = _from_package(country, subdivision)
    if cache_dir is not None:
        _write_cache(cache_dir, key, found)
    return found


def _from_package(country: str, subdivision: str) -> dict[date, str]:
    try:
        import holidays
    except ImportError:  # pragma: no cover - a dependency; a broken install says so
        raise DataError("[holidays] country needs the 'holidays' package: pip install holidays") from None
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise DataError(f"settings.toml: [holidays] country {country!r} is not known to the holidays package "
                        "(use an ISO code like \"PT\", \"GB\", \"DE\")")
    if subdivision and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or "none"
        raise DataError(f"settings.toml: [holidays] subdivision {subdivision!r} of {country} is not known "
                        f"(known: {known})")
    days = holidays.country_holidays(country, subdiv=subdivision or None, years=YEARS)
    return {d: str(name) for d, name in sorted(days.items())}


def _read_cache(cache_dir: Path | None, key: str) -> dict[date, str] | None:
    if cache_dir is None:
        return None
    import orjson

    try:
        doc = orjson.loads((cache_dir / CACHE_NAME).read_bytes())
        if doc.get("key") != key:
            return None
        return {date.fromisoformat(d): str(name) for d, name in doc["days"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # missing or damaged: made again from the package


def _write_cache(cache_dir: Path, key: str, days: dict[date, str]) -> None:
    """Atomically (temp file, rename); a desk that cannot write it still works, only slower to start."""
    import orjson

    payload = orjson.dumps({"key": key, "days": {d.isoformat(): name for d, name in days.items()}})
    with contextlib.suppress(OSError):
        fd, temp = tempfile.mkstemp(prefix=".holidays.", suffix=".tmp", dir=cache_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(temp, cache_dir / CACHE_NAME)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
