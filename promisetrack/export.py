"""Weekly export: the week's promises as CSV and XLSX, a Markdown summary ready for an email, and an iCalendar
feed of the open promises' dues.

Spreadsheet cells never hold a formula. A CSV cell is read by guesswork, so every text cell a spreadsheet could read
as a formula gets a leading ``'`` (``inert``); an XLSX cell has a type, and a string cell written with
``write_string`` is never run, so XLSX text is written as typed, without the visible ``'``. The CSV starts with a
UTF-8 byte-order mark: without it Excel reads the file in the machine's legacy code page ("JoÃ£o" for "João").
Files are written to a temp file beside the target and renamed over it, so a failed export never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from promisetrack import __version__
from promisetrack.errors import PromiseError
from promisetrack.measures import PeriodDetail
from promisetrack.metrics import TABLE_HEADINGS, Figures, Report, percent, table_cells
from promisetrack.model import Customer, Outcome, Promise
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk, Row, promise_json

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
DATE_FIELDS = frozenset({"created_at", "original_due", "due", "closed_at", "last_event_at"})
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def inert(text: str) -> str:
    """Text a spreadsheet will show, never evaluate: a leading ``=``, ``+``, ``-``, ``@``, tab, CR or NUL gets ``'``."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# ---------------------------------------------------------------- flattening


def _event_detail(data: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in data.items() if v not in (None, "", False))


def flatten(doc: dict[str, Any]) -> dict[str, Any]:
    """One promise's JSON as flat columns: ``customer`` becomes ``customer_name, customer_phone, ...``, lists are
    joined with ``; ``, the events become their count and the last one; dates become aware datetimes."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "events":
            last = value[-1] if value else {}
            out["events"] = len(value)
            out["last_event_at"] = last.get("at")
            out["last_event_kind"] = last.get("kind")
            out["last_event_by"] = last.get("by")
            out["last_event_detail"] = _event_detail(last.get("data") or {}) if last else None
        elif isinstance(value, dict):
            out.update((f"{key}_{sub}", v) for sub, v in value.items())
        elif isinstance(value, list):
            out[key] = "; ".join(str(v) for v in value)
        else:
            out[key] = value
    for key in DATE_FIELDS & out.keys():
        if isinstance(out[key], str):
            out[key] = datetime.fromisoformat(out[key])
    return out


def columns(*, shops: bool = False) -> list[str]:
    """The flat columns of every promise, in the order of ``promise_json`` (so a new field is exported too); with
    ``shops`` (a chain's rows together) a ``shop`` column after the id, as ids are the chain's, not a shop's."""
    now = datetime(2000, 1, 1, tzinfo=UTC)
    probe = Promise(0, Customer(0, ""), "", "", "", now, now, now)
    found = [key for key in flatten(promise_json(Row(probe, None))) if key != "shop"]
    return [found[0], "shop", *found[1:]] if shops else found


def week_rows(detail: PeriodDetail) -> list[Row]:
    """The promises closed in the period and those open at its end, by id."""
    return sorted([*detail.closed, *detail.open], key=lambda row: row.promise.id)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    return inert(str(value))


# ---------------------------------------------------------------- files


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through ``write(temp)`` and rename the temp file over ``path``."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        write(temp)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def write_csv(path: Path, rows: Sequence[Row], *, shops: bool = False) -> Path:
    """``promises-W.csv``: a header and one row per promise, UTF-8 with a byte-order mark (``utf-8-sig``, what
    Excel needs to read it as UTF-8), every field of the JSON flattened."""
    header = columns(shops=shops)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        flat = flatten(promise_json(row))
        writer.writerow([_csv_text(flat.get(key)) for key in header])
    return _atomic(path, lambda temp: temp.write_text(buffer.getvalue(), encoding="utf-8-sig", newline=""))


def _local(moment: datetime, tz: tzinfo) -> datetime:
    """A spreadsheet date: the desk's wall time, without a zone (spreadsheets have none)."""
    return moment.astimezone(tz).replace(tzinfo=None)


SUMMARY_FIELDS = (
    "closed", "kept", "renegotiated", "late_notified", "broken", "cancelled", "on_time_rate", "original_date_rate",
    "broken_rate", "proactive_contact_rate", "csat_mean", "csat_count", "complaints", "lead_time_p50_hours",
    "lead_time_p80_hours", "open_overdue", "open_at_risk",
)
_RATE_FIELDS = frozenset({"on_time_rate", "original_date_rate", "broken_rate", "proactive_contact_rate"})


def _summary_values(f: Figures) -> dict[str, Any]:
    doc = f.as_json()
    return {**doc.pop("counts"), **doc}


def write_xlsx(path: Path, rows: Sequence[Row], report: Report, tz: tzinfo,
               kudos: Sequence[dict[str, Any]] = (), *, shops: bool = False) -> Path:
    """``promises-W.xlsx``: a Promises sheet with typed cells (dates, numbers, booleans, text), a Summary sheet
    with the week's figures overall, per owner and per category, and a Praise sheet: per person the kudos of the
    week, colleagues' and customers' nominations counted apart, then each one said. No cell is a formula: text is
    written with ``write_string`` (a string cell, never evaluated), so it needs no ``'`` and shows as typed."""
    import xlsxwriter

    def write(temp: Path) -> None:
        options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        book = xlsxwriter.Workbook(str(temp), options)
        bold = book.add_format({"bold": True})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        share = book.add_format({"num_format": "0.0%"})
        decimal = book.add_format({"num_format": "0.00"})

        def cell(sheet: Any, r: int, c: int, value: Any, number_format: Any = None) -> None:
            if value is None:
                sheet.write_blank(r, c, None)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, c, _local(value, tz), when)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value, number_format)
            else:
                sheet.write_string(r, c, str(value))

        promises = book.add_worksheet("Promises")
        header = columns(shops=shops)
        for c, key in enumerate(header):
            promises.write_string(0, c, key, bold)
            width = 17 if key in DATE_FIELDS else min(40, max(8, len(key) + 2))
            promises.set_column(c, c, width)
        for r, row in enumerate(rows, start=1):
            flat = flatten(promise_json(row))
            for c, key in enumerate(header):
                cell(promises, r, c, flat.get(key))
        promises.freeze_panes(1, 0)
        promises.autofilter(0, 0, max(1, len(rows)), len(header) - 1)

        summary = book.add_worksheet("Summary")
        summary.write_string(0, 0, "period", bold)
        summary.write_string(0, 1, report.period.label)
        summary.write_string(1, 0, "from", bold)
        summary.write_datetime(1, 1, _local(report.period.start, tz), when)
        summary.write_string(2, 0, "to (not included)", bold)
        summary.write_datetime(2, 1, _local(report.period.end, tz), when)
        top = 4
        for c, key in enumerate(("group", "name", *SUMMARY_FIELDS)):
            summary.write_string(top, c, key, bold)
        groups = [("overall", "all", report.overall)]
        groups += [("shop", name, f) for name, f in report.by_shop.items()]
        groups += [("owner", name, f) for name, f in report.by_owner.items()]
        groups += [("category", name, f) for name, f in report.by_category.items()]
        for r, (group, name, f) in enumerate(groups, start=top + 1):
            summary.write_string(r, 0, group)
            summary.write_string(r, 1, name)
            values = _summary_values(f)
            for c, key in enumerate(SUMMARY_FIELDS, start=2):
                fmt = share if key in _RATE_FIELDS else decimal if isinstance(values[key], float) else None
                cell(summary, r, c, values[key], fmt)
        summary.set_column(0, 0, 17)
        summary.set_column(1, 1, 18)
        summary.set_column(2, len(SUMMARY_FIELDS) + 1, 12)
        summary.freeze_panes(top + 1, 2)
        _praise_sheet(book.add_worksheet("Praise"), kudos, bold, when, tz)
        book.close()

    return _atomic(path, write)


def _praise_sheet(sheet: Any, kudos: Sequence[dict[str, Any]], bold: Any, when: Any, tz: tzinfo) -> None:
    """Per person (as the Markdown's Praise section): kudos, from colleagues, customer nominations; below, each
    kudos with when, who it praises, what was said, the customer who gave it (if one did) and who recorded it."""
    people: dict[str, list[dict[str, Any]]] = {}
    for k in kudos:
        people.setdefault(str(k["person"]), []).append(k)
    for c, key in enumerate(("person", "kudos", "colleague_kudos", "nominations")):
        sheet.write_string(0, c, key, bold)
    ordered = sorted(people.items(), key=lambda item: item[0].casefold())
    for r, (person, found) in enumerate(ordered, start=1):
        nominations = sum(1 for k in found if k.get("from_customer"))
        sheet.write_string(r, 0, person)
        for c, value in enumerate((len(found), len(found) - nominations, nominations), start=1):
            sheet.write_number(r, c, value)
    top = len(ordered) + 2
    for c, key in enumerate(("at", "person", "note", "from_customer", "by")):
        sheet.write_string(top, c, key, bold)
    for r, k in enumerate(kudos, start=top + 1):
        sheet.write_datetime(r, 0, _local(datetime.fromisoformat(k["at"]), tz), when)
        for c, key in enumerate(("person", "note", "from_customer", "by"), start=1):
            if k.get(key):  # a colleague's kudos has no customer: an empty cell, not an empty string
                sheet.write_string(r, c, str(k[key]))
    sheet.set_column(0, 1, 17)
    sheet.set_column(2, 2, 40)
    sheet.set_column(3, 4, 17)


# ---------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(text: str) -> str:
    """User text that Markdown shows as typed (no emphasis, links, HTML or table breaks)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_table(first: str, groups: dict[str, Figures]) -> list[str]:
    if not groups:
        return ["(none)"]
    lines = [
        "| " + " | ".join((first, *TABLE_HEADINGS)) + " |",
        "|---" + "|---:" * len(TABLE_HEADINGS) + "|",
    ]
    lines += ["| " + " | ".join((md(name), *table_cells(f))) + " |" for name, f in groups.items()]
    return lines


def _day_span(report: Report) -> str:
    start, last = report.period.start.date(), report.period.last_day
    return f"{start:%a %d %b %Y} – {last:%a %d %b %Y}"


def summary_markdown(detail: PeriodDetail, tz: tzinfo) -> str:
    """The week's figures and its broken promises, as Markdown ready to paste into an email."""
    report, f = detail.report, detail.report.overall
    c = f.counts
    csat = "no scores" if f.csat_mean is None else f"{f.csat_mean:.1f} from {f.csat_count} scored"
    lead = "—" if f.lead_time_p50_hours is None else (
        f"p50 {f.lead_time_p50_hours:.1f} h, p80 {f.lead_time_p80_hours:.1f} h (business hours)"
    )
    as_of = detail.as_of.astimezone(tz)
    open_when = "at the end" if detail.as_of >= report.period.end else "now"
    lines = [
        f"# Promises: {report.period.label} ({_day_span(report)})",
        "",
        f"**Closed: {c['closed']}** — kept {c['kept']}, renegotiated {c['renegotiated']}, "
        f"late but told {c['late_notified']}, broken {c['broken']}. "
        f"Cancelled {c['cancelled']} (counted apart, in no rate).",
        "",
        f"- On time: **{percent(f.on_time_rate)}** (original date {percent(f.original_date_rate)})",
        f"- Broken: **{percent(f.broken_rate)}**",
        f"- Proactive contact: **{percent(f.proactive_contact_rate)}**",
        f"- Customer satisfaction: {csat}",
        f"- Complaints: {f.complaints}",
        f"- Lead time: {lead}",
        f"- Open {open_when} ({as_of:%a %d %b %H:%M}): {f.open_overdue} overdue, {f.open_at_risk} at risk",
        "",
        *(["## By shop", "", *_md_table("Shop", report.by_shop), ""] if report.by_shop else []),
        "## By owner",
        "",
        *_md_table("Owner", report.by_owner),
        "",
        "## By category",
        "",
        *_md_table("Category", report.by_category),
        "",
        "## Broken promises",
        "",
    ]
    broken = [row.promise for row in detail.closed if derive_outcome(row.promise) is Outcome.BROKEN]
    if not broken:
        lines.append("None this period.")
    for p in broken:
        closed = p.closed_at or p.due
        lines.append(
            f"- **{p.id}** {md(p.customer.name)}: {md(p.what)} ({md(p.owner)}, {md(p.category)}) — "
            f"due {p.due.astimezone(tz):%a %d %b %H:%M}, done {closed.astimezone(tz):%a %d %b %H:%M}"
        )
    lines += ["", "## Praise", "", *_praise_lines(detail.kudos)]
    lines += ["", "Definitions: on time = (kept + renegotiated) / closed; proactive contact = (renegotiated + "
              "late but told) / (renegotiated + late but told + broken). Generated by promisetrack."]
    return "\n".join(lines) + "\n"


def _praise_lines(kudos: Iterable[dict[str, Any]]) -> list[str]:
    """Per person: kudos from colleagues and nominations from customers, counted apart (a customer who took the
    trouble to name someone is a different signal from a colleague's thanks), then what was said."""
    people: dict[str, list[dict[str, Any]]] = {}
    for k in kudos:
        people.setdefault(str(k["person"]), []).append(k)
    if not people:
        return ["None this period."]
    lines = []
    for person, found in sorted(people.items(), key=lambda item: item[0].casefold()):
        nominated = [k for k in found if k.get("from_customer")]
        lines.append(f"- **{md(person)}**: {len(found) - len(nominated)} from colleagues, "
                     f"{len(nominated)} customer nominations")
        lines += [f"  - {md(str(k['note']))} (" + (f"customer {md(str(k['from_customer']))}" if k.get("from_customer")
                  else f"from {md(str(k.get('by', '')))}") + ")" for k in found]
    return lines


def write_markdown(path: Path, detail: PeriodDetail, tz: tzinfo) -> Path:
    text = summary_markdown(detail, tz)
    return _atomic(path, lambda temp: temp.write_text(text, encoding="utf-8"))


# ---------------------------------------------------------------- iCalendar (RFC 5545)


def ics_escape(text: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped; other control characters dropped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return _CONTROL.sub(" ", text)


def fold(line: str) -> str:
    """Fold a content line at 75 octets (continuations start with a space), never inside a UTF-8 character."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74
        current += ch
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def risk_words(row: Row) -> str:
    """``at risk: only 1.9 business hours left; blocked: bank`` — the level and its reasons, as the board says them."""
    a = row.assessment
    if a is None:
        return ""
    level = a.level.value.replace("_", " ")
    return f"{level}: {'; '.join(a.reasons)}" if a.reasons else level


def event_uid(pid: int, desk_id: str) -> str:
    """``promise-1001-<desk id>@promisetrack``: unique per desk, so two desks' promise 1001 do not overwrite each
    other in one calendar app, and stable across rewrites, so an update replaces the event rather than adding one."""
    return f"promise-{pid}-{desk_id}@promisetrack"


def calendar_text(rows: Iterable[Row], label: str, now: datetime, tz: tzinfo, *, desk_id: str) -> str:
    """One VEVENT per open promise, at its due (a 15-minute slot, in UTC), with CRLF line ends."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//promisetrack//promisetrack {__version__}//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_escape(f'Open promises {label}'.strip())}",
    ]
    for row in rows:
        p = row.promise
        about = [f"Customer: {p.customer.name}"]
        about += [f"Phone: {p.customer.phone}"] * bool(p.customer.phone)
        about += [f"Email: {p.customer.email}"] * bool(p.customer.email)
        about += [f"Owner: {p.owner}", f"Category: {p.category}"]
        if p.original_due != p.due:
            about.append(f"Originally due: {p.original_due.astimezone(tz):%a %d %b %Y %H:%M}")
        if row.assessment is not None:
            about.append(f"Risk: {risk_words(row)}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event_uid(p.id, desk_id)}",
            f"DTSTAMP:{_ics_time(now)}",
            f"DTSTART:{_ics_time(p.due)}",
            f"DTEND:{_ics_time(p.due + timedelta(minutes=15))}",
            f"SUMMARY:{ics_escape(f'{p.id} {p.customer.name}: {p.what}')}",
            f"DESCRIPTION:{ics_escape(chr(10).join(about))}",
            f"CATEGORIES:{ics_escape(p.category)}",
            "STATUS:CONFIRMED",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def write_calendar(path: Path, rows: Sequence[Row], label: str, now: datetime, tz: tzinfo, *, desk_id: str) -> Path:
    text = calendar_text(rows, label, now, tz, desk_id=desk_id)
    return _atomic(path, lambda temp: temp.write_bytes(text.encode("utf-8")))


def write_open_calendar(desk: Desk, target: Path) -> tuple[Path, int]:
    """``ics --out FILE``: the open promises as the board shows them now, written atomically; (path, events)."""
    path, count, _ = _write_open(desk, target)
    return path, count


def _write_open(desk: Desk, target: Path) -> tuple[Path, int, datetime | None]:
    """Write the open promises' calendar; also when the first of them next reads differently by time alone."""
    now = desk.now()
    rows = desk.board(now)
    try:
        write_calendar(target, rows, "", now, desk.calendar.tz, desk_id=desk.desk_id())
    except OSError as exc:
        raise PromiseError(f"cannot write {target}: {exc.strerror or exc}") from None
    rechecks = [r.assessment.recheck_at for r in rows if r.assessment and r.assessment.recheck_at]
    return target, len(rows), min(rechecks, default=None)


def follow_calendar(desk: Desk, target: Path, *, on_write: Callable[[Path, int], None],
                    wait: Callable[[float], None] = time.sleep, every: float = 1.0) -> None:
    """``ics --out FILE --follow``: write the file, then rewrite it whenever a promise changes (the store's version,
    asked ``every`` second, as the board's file watch does) or a risk's words change with time (``recheck_at``).
    Runs until ``wait`` raises (Ctrl+C: KeyboardInterrupt); tests pass a ``wait`` that moves a fixed clock on."""
    seen: object = object()  # never equal to a version: the first pass writes
    desk.desk_id()  # made (and saved) before the loop, so its own save is not taken for a change
    next_change: datetime | None = None
    while True:
        version = desk.version()
        if version != seen or (next_change is not None and desk.now() >= next_change):
            seen = version
            path, count, next_change = _write_open(desk, target)
            on_write(path, count)
        wait(every)


# ---------------------------------------------------------------- the week's files


def export_week(detail: PeriodDetail, out_dir: Path, now: datetime, tz: tzinfo, *, desk_id: str) -> list[Path]:
    """Write the period's four files into ``out_dir`` (made if missing); returns their paths."""
    label = detail.report.period.label
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PromiseError(f"cannot make the folder {out_dir}: {exc.strerror or exc}") from None
    if not out_dir.is_dir():
        raise PromiseError(f"{out_dir} is not a folder")
    rows = week_rows(detail)
    try:
        return [
            write_csv(out_dir / f"promises-{label}.csv", rows, shops=bool(detail.shops)),
            write_xlsx(out_dir / f"promises-{label}.xlsx", rows, detail.report, tz, detail.kudos,
                       shops=bool(detail.shops)),
            write_markdown(out_dir / f"summary-{label}.md", detail, tz),
            write_calendar(out_dir / f"open-{label}.ics", detail.open, label, now, tz, desk_id=desk_id),
        ]
    except OSError as exc:
        raise PromiseError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
