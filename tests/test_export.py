"""``promisetrack export``: the week's CSV (read back with csv), XLSX (read back with openpyxl: typed cells, never a
formula), Markdown summary and .ics feed (unfolded and parsed); formula-like text comes out inert."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from promisetrack.cli import main
from promisetrack.clock import FixedClock
from promisetrack.export import (
    FORMULA_STARTS,
    columns,
    flatten,
    fold,
    ics_escape,
    inert,
    md,
    write_xlsx,
)
from promisetrack.metrics import figures, parse_period
from promisetrack.model import Customer, Promise
from promisetrack.service import Desk, Row, promise_json
from promisetrack.store import FileStore
from tests.conftest import TZ, at

HYPERLINK = '=HYPERLINK("x")'
LONG = "Ünïcødé ✓ replacement for the cracked glass panel, fitted on site; bring the ladder \\ ask at reception"
EXPORT_NOW = "2026-12-01 10:00"


@pytest.fixture
def week(desk: Desk, clock: FixedClock) -> dict[str, int]:
    """Promises around week 48 of 2026: two open at its end, three closed in it, one before, one after."""
    ids: dict[str, int] = {}
    clock.set(at(16, 10))
    ids["before"] = desk.add("Old", "Last week's parcel", "2026-11-17 17:00")[0].id
    clock.set(at(17, 12))
    desk.done(ids["before"])
    clock.set(at(23, 10, 30))
    ids["formula"] = desk.add("@evil", HYPERLINK, "2026-11-25 17:00", phone="+44 7700 900101",
                              owner="ben", category="repair")[0].id
    ids["kept"] = desk.add("Maria, Lopez", "Deliver the sofa; then \\ the chair", "2026-11-24 17:00",
                           category="delivery")[0].id
    ids["broken"] = desk.add("Tom", "-5 pounds refund", "2026-11-24 10:00", owner="ben", category="refund",
                             complaint=True)[0].id
    ids["long"] = desk.add("Zoë", LONG, "2026-12-02 17:00", category="repair")[0].id
    ids["cancelled"] = desk.add("Priya", "Order the lamp", "2026-11-27 17:00", category="order")[0].id
    clock.set(at(24, 9))
    desk.cancel(ids["cancelled"], "Customer found one")
    clock.set(at(24, 15))
    desk.done(ids["kept"], csat=5)
    clock.set(at(25, 9))
    desk.done(ids["broken"], csat=2)
    clock.set(at(30, 9))
    ids["after"] = desk.add("New", "Next week's parcel", "2026-12-03 17:00")[0].id
    return ids


@pytest.fixture
def exported(desk: Desk, week: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "out"
    code = main(["--data", str(desk.store.data_dir), "--now", EXPORT_NOW, "--user", "ana", "export", "--out",
                 str(out)])
    printed, err = capsys.readouterr()
    assert code == 0, err
    assert printed.splitlines() == [str(out / name) for name in (
        "promises-2026-W48.csv", "promises-2026-W48.xlsx", "summary-2026-W48.md", "open-2026-W48.ics")]
    return out


def in_week(week: dict[str, int]) -> set[int]:
    return {week[k] for k in ("formula", "kept", "broken", "long", "cancelled")}


# ---------------------------------------------------------------- CSV


def test_csv_has_a_row_per_promise_closed_in_the_week_or_open_at_its_end(
    exported: Path, week: dict[str, int]
) -> None:
    assert (exported / "promises-2026-W48.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")  # a BOM, for Excel
    with open(exported / "promises-2026-W48.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {int(r["id"]) for r in rows} == in_week(week)
    assert list(rows[0]) == columns()
    assert {"customer_name", "customer_phone", "customer_email", "events", "last_event_kind", "outcome",
            "risk", "risk_reasons", "original_due", "closed_at"} <= rows[0].keys()
    by_id = {int(r["id"]): r for r in rows}
    formula = by_id[week["formula"]]
    assert formula["what"] == "'" + HYPERLINK and formula["customer_name"] == "'@evil"
    assert formula["customer_phone"] == "'+44 7700 900101"
    assert formula["status"] == "open" and formula["risk"] == "overdue" and formula["outcome"] == ""
    assert by_id[week["broken"]]["what"] == "'-5 pounds refund"
    kept = by_id[week["kept"]]
    assert kept["customer_name"] == "Maria, Lopez" and kept["what"] == "Deliver the sofa; then \\ the chair"
    assert kept["outcome"] == "kept" and kept["csat"] == "5" and kept["complaint"] == "false"
    assert kept["events"] == "2" and kept["last_event_kind"] == "done" and kept["last_event_detail"] == "csat=5"
    assert datetime.fromisoformat(kept["closed_at"]) == at(24, 15)
    assert by_id[week["long"]]["what"] == LONG
    assert by_id[week["cancelled"]]["outcome"] == "cancelled"
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA_STARTS), value


# ---------------------------------------------------------------- XLSX


def test_xlsx_has_typed_cells_and_no_formula(exported: Path, week: dict[str, int]) -> None:
    book = openpyxl.load_workbook(exported / "promises-2026-W48.xlsx")
    assert book.sheetnames == ["Promises", "Summary", "Praise"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                if isinstance(cell.value, str):  # a string cell (never run), so text shows as typed, without '
                    assert cell.data_type == "s" and not cell.value.startswith("'"), (sheet.title, cell.coordinate)
    sheet = book["Promises"]
    header = [c.value for c in sheet[1]]
    assert header == columns()
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == in_week(week)
    kept = rows[week["kept"]]
    assert kept["created_at"] == datetime(2026, 11, 23, 10, 30)  # a real (naive, local) datetime
    assert kept["closed_at"] == datetime(2026, 11, 24, 15, 0) and kept["csat"] == 5
    assert kept["complaint"] is False and kept["events"] == 2
    assert rows[week["formula"]]["what"] == HYPERLINK and rows[week["formula"]]["closed_at"] is None
    assert rows[week["formula"]]["customer_phone"] == "+44 7700 900101"  # the CSV's "'" guard is not needed here
    assert rows[week["long"]]["what"] == LONG
    created_col = header.index("created_at") + 1
    cell = sheet.cell(row=2, column=created_col)
    assert cell.is_date and "yyyy" in cell.number_format

    summary = book["Summary"]
    table = list(summary.iter_rows(values_only=True))
    heads = next(r for r in table if r[0] == "group")
    overall = dict(zip(heads, next(r for r in table if r[0] == "overall"), strict=True))
    assert (overall["closed"], overall["kept"], overall["broken"], overall["cancelled"]) == (2, 1, 1, 1)
    assert overall["on_time_rate"] == 0.5 and overall["proactive_contact_rate"] == 0.0
    assert overall["csat_mean"] == 3.5 and overall["open_overdue"] == 1
    owners = {r[1]: dict(zip(heads, r, strict=True)) for r in table if r[0] == "owner"}
    assert set(owners) == {"ana", "ben"} and owners["ben"]["broken_rate"] == 1.0
    assert owners["ana"]["proactive_contact_rate"] is None  # an empty denominator is a blank cell
    assert {r[1] for r in table if r[0] == "category"} == {"delivery", "order", "refund", "repair"}
    assert summary["B2"].value == datetime(2026, 11, 23, 0, 0)


def test_xlsx_dates_are_the_desks_wall_time(tmp_path: Path) -> None:
    summer = datetime(2026, 7, 6, 10, 30, tzinfo=TZ)  # 09:30 UTC
    p = Promise(7, Customer(1, "Maria"), "Part", "ana", "delivery", summer, summer, summer)
    period = parse_period(summer, TZ, week="2026-W28")
    from promisetrack.calendar import BusinessCalendar
    from promisetrack.config import Settings

    report = figures([], period, BusinessCalendar.from_settings(Settings(timezone="Europe/London")))
    path = write_xlsx(tmp_path / "summer.xlsx", [Row(p, None)], report, TZ)
    sheet = openpyxl.load_workbook(path)["Promises"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("due") + 1).value == datetime(2026, 7, 6, 10, 30)


# ---------------------------------------------------------------- Markdown


def test_summary_markdown_has_the_figures_and_the_broken_promises(exported: Path, week: dict[str, int]) -> None:
    text = (exported / "summary-2026-W48.md").read_text(encoding="utf-8")
    assert text.startswith("# Promises: 2026-W48 (Mon 23 Nov 2026 – Sun 29 Nov 2026)")
    assert "**Closed: 2** — kept 1, renegotiated 0, late but told 0, broken 1. Cancelled 1" in text
    assert "- On time: **50%** (original date 50%)" in text
    # the formula one was overdue; the glass panel had gone a week without a word to the customer
    assert "- Open at the end (Mon 30 Nov 00:00): 1 overdue, 1 at risk" in text
    broken = text.split("## Broken promises", 1)[1]
    assert f"**{week['broken']}** Tom: -5 pounds refund (ben, refund)" in broken
    assert str(week["kept"]) not in broken
    assert "| ben | 1 | 0 |" in text


def test_markdown_shows_user_text_as_typed() -> None:
    assert md("a|b *c* [x](y) <b>") == r"a\|b \*c\* \[x\](y) \<b\>"


# ---------------------------------------------------------------- iCalendar


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(ch)
    return "".join(out)


def parse_ics(raw: bytes) -> list[dict[str, str]]:
    """Unfold the content lines and read the VEVENTs as {name: value} (parameters dropped)."""
    text = raw.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), "every line ends with CRLF"
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, line
    lines = text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            assert current is None
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name.split(";")[0]] = value
    assert current is None
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == len(events)
    return events


def desk_uid(exported: Path, pid: int) -> str:
    """The UID of promise ``pid`` on the exporting desk (its random id is in the store's meta)."""
    desk_id = FileStore(exported.parent / "desk").read().meta["desk_id"]
    return f"promise-{pid}-{desk_id}@promisetrack"


def test_ics_has_one_event_per_open_promise(exported: Path, week: dict[str, int]) -> None:
    events = parse_ics((exported / "open-2026-W48.ics").read_bytes())
    uids = {k: desk_uid(exported, week[k]) for k in ("formula", "long")}
    assert sorted(e["UID"] for e in events) == sorted(uids.values())
    for event in events:
        assert {"DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION"} <= event.keys()
        assert event["DTSTAMP"] == "20261201T100000Z"
    by_uid = {e["UID"]: e for e in events}
    formula = by_uid[uids["formula"]]
    assert formula["DTSTART"] == "20261125T170000Z"
    assert unescape(formula["SUMMARY"]) == f"{week['formula']} @evil: {HYPERLINK}"
    assert "Owner: ben\nCategory: repair" in unescape(formula["DESCRIPTION"])
    assert "Risk: overdue: overdue 4d 7h" in unescape(formula["DESCRIPTION"])  # in words, as the board says it
    long = by_uid[uids["long"]]
    assert unescape(long["SUMMARY"]) == f"{week['long']} Zoë: {LONG}"
    assert "\\;" in long["SUMMARY"] and "\\," in long["SUMMARY"] and "\\\\" in long["SUMMARY"]


def test_folding_never_splits_a_character() -> None:
    line = "SUMMARY:" + "✓é" * 60
    folded = fold(line)
    parts = folded.split("\r\n ")
    assert len(parts) > 2 and "".join(parts) == line
    assert all(len(p.encode("utf-8")) <= (75 if i == 0 else 74) for i, p in enumerate(parts))
    assert fold("short") == "short"
    assert ics_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


# ---------------------------------------------------------------- the shared helper, the CLI


@pytest.mark.parametrize("text", ["=1+1", "+44 7700", "-5", "@SUM(A1)", "\tx", "\rx", "\0x", HYPERLINK])
def test_formula_like_text_gets_a_quote(text: str) -> None:
    assert inert(text) == "'" + text


@pytest.mark.parametrize("text", ["Maria", "", "1+1", "a=b", " =1"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert inert(text) == text


def test_flatten_has_every_field_of_the_json(desk: Desk) -> None:
    promise, _ = desk.add("Maria", "Part", "fri", phone="+44 1", email="m@example.com")
    doc = promise_json(desk.row(promise.id))
    flat = flatten(doc)
    for key, value in doc.items():
        if isinstance(value, dict):
            assert all(f"{key}_{sub}" in flat for sub in value)
        elif key != "events":
            assert key in flat
    assert flat["events"] == 1 and flat["last_event_kind"] == "created"
    assert isinstance(flat["due"], datetime) and list(flat) == columns()


def test_export_defaults_to_the_week_just_ended_in_the_current_dir(
    desk: Desk, week: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--data", str(desk.store.data_dir), "--now", "2026-11-25 12:00", "export"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "promises-2026-W47.csv"
    with open(tmp_path / "promises-2026-W47.csv", encoding="utf-8-sig", newline="") as fh:
        assert [int(r["id"]) for r in csv.DictReader(fh)] == [week["before"]]


def test_a_bad_week_writes_nothing(desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nothing"
    code = main(["--data", str(desk.store.data_dir), "export", "--week", "2026-W60", "--out", str(out)])
    assert code == 2 and "no ISO week 2026-W60" in capsys.readouterr().err
    assert not out.exists()


# ---------------------------------------------------------------- a real spreadsheet program


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_files(exported: Path, tmp_path: Path, week: dict[str, int]) -> None:
    profile = (tmp_path / "lo-profile").as_uri()
    converted = tmp_path / "converted"

    def soffice(*args: str) -> None:
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore", *args,
                        "--outdir", str(converted)], check=True, capture_output=True, timeout=180)

    # every sheet of the XLSX back to CSV, as LibreOffice reads (and would calculate) it
    soffice("--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1',
            str(exported / "promises-2026-W48.xlsx"))
    with open(converted / "promises-2026-W48-Promises.csv", encoding="utf-8", newline="") as fh:
        rows = {int(r["id"]): r for r in csv.DictReader(fh)}
    assert set(rows) == in_week(week)
    assert rows[week["formula"]]["what"] == HYPERLINK  # still text: nothing was evaluated
    assert rows[week["kept"]]["created_at"].startswith("2026-11-23 10:30")
    summary = (converted / "promises-2026-W48-Summary.csv").read_text(encoding="utf-8")
    assert "overall,all,2,1,0,0,1,1" in summary
    soffice("--convert-to", "pdf", str(exported / "promises-2026-W48.csv"))
    assert (converted / "promises-2026-W48.pdf").stat().st_size > 0
