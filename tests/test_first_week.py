"""A front desk's first week (issue 12, "Done means"), driven through the CLI's real entry point (``cli.main``
in-process, a fixed ``--now`` per step) as the desk would type it, then checked against figures worked out by hand.

The desk: Europe/London (GMT in November: every time below is +00:00), open Mon–Fri 09:00–17:00, staff Ana, Ben and
Chloe. The week is ISO 2026-W48, Mon 23 – Sun 29 Nov 2026; late scores arrive the week after.

| id | customer as typed | owner | what happens | outcome |
|---|---|---|---|---|
| 1001 | Maria Lopez (no phone: #1) | Ana | done Mon 11:00, csat 2; corrected to 5 next Mon | kept |
| 1002 | maria lopez (matched: #1) | Ana | Tue: rescheduled to Thu before its due; done Thu; complaint | renegotiated |
|      |                           |     | set and cleared; rated 4 next Mon | |
| 1003 | María López (matched: #1) | Ben | Wed: told it slips, before the due; done Thu, csat 3 | late_notified |
| 1004 | María López +44 7700 900101 | Ana | a new #2, the real duplicate; waits on the customer Tue 10:30 to | kept |
|      |                           |     | Wed 10:30 (due Thu → Fri); done Fri 12:00, csat 5 | |
| 1005 | Tom Baker | Ben | due Tue 12:00 passes in silence; done Wed; complaint Fri; rated 1 Tue 1 Dec | broken |
| 1006 | 王小明 | Ana | cancelled Tue | cancelled |
| 1007 | Zoë Quinn, with a complaint | Chloe | due Mon 30 Nov: open when the week ends | — |
| 1008 | MARIA LOPEZ (after the merge: #2) | Ana | done Fri 16:00, csat 4 | kept |

Customer #1 is merged into #2 on Monday (1001–1003 follow it), so the desk has four customers, each listed once.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from promisetrack.cli import main
from promisetrack.commands.output import text_width as _width
from tests.conftest import write_settings

MARIA_PHONE = "+44 7700 900101"


class Desk:
    """The desk's terminal: ``promisetrack --data DIR --now WHEN --user WHO COMMAND …``, in-process."""

    def __init__(self, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data, self.capsys = data, capsys

    def run(self, when: str, who: str, *args: str) -> tuple[int, str, str]:
        code = main(["--data", str(self.data), "--now", when, "--user", who, *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, when: str, who: str, *args: str) -> str:
        code, out, err = self.run(when, who, *args)
        assert code == 0, err
        return out

    def json(self, when: str, who: str, *args: str) -> Any:
        return json.loads(self.ok(when, who, *args, "--json"))

    def add(self, when: str, who: str, customer: str, what: str, due: str, *more: str) -> tuple[int, list[str]]:
        """``add --json``: the new promise's id (read from the JSON, not guessed) and its warnings."""
        doc = self.json(when, who, "add", "--customer", customer, "--what", what, "--due", due, *more)
        return doc["id"], doc["warnings"]


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Desk:
    write_settings(tmp_path / "desk", **{"staff = []": 'staff = ["Ana", "Ben", "Chloe"]'})
    return Desk(tmp_path / "desk", capsys)


def test_a_first_week_at_the_desk(desk: Desk, tmp_path: Path) -> None:
    # ------------------------------------------------------------ Monday 23: four Marias, one of them real
    quote, _ = desk.add("2026-11-23 09:05", "Ana", "Maria Lopez", "Call back about the quote", "today 12:00",
                        "--category", "callback")
    cable, warnings = desk.add("2026-11-23 09:10", "Ana", "maria lopez", "Send the spare cable", "tue",
                               "--category", "delivery")
    assert warnings == ["matched to customer #1 Maria Lopez; use --new-customer to make another"]
    hinge, warnings = desk.add("2026-11-23 09:15", "Ben", "María López", "Order the replacement hinge", "wed",
                               "--category", "order")
    assert warnings == ["matched to customer #1 Maria Lopez; use --new-customer to make another"]  # accents too
    laptop, _ = desk.add("2026-11-23 09:20", "Ana", "María López", "Repair her laptop", "thu",
                         "--phone", MARIA_PHONE, "--category", "repair")
    deposit, _ = desk.add("2026-11-23 09:30", "Ben", "Tom Baker", "Refund the deposit", "tue 12:00",
                          "--phone", "0161 496 0000", "--category", "refund")
    sofa, _ = desk.add("2026-11-23 09:40", "Ana", "王小明", "Deliver the sofa", "wed",
                       "--email", "wang@example.com", "--category", "delivery")
    screen, _ = desk.add("2026-11-23 09:45", "Chloe", "Zoë Quinn", "Quote for a new screen", "2026-11-30",
                         "--category", "order", "--complaint")
    assert [quote, cable, hinge, laptop, deposit, sofa, screen] == list(range(1001, 1008))
    by_id = {p["id"]: p["customer_id"] for p in desk.json("2026-11-23 09:50", "Ana", "list")}
    assert by_id == {quote: 1, cable: 1, hinge: 1, laptop: 2, deposit: 3, sofa: 4, screen: 5}

    assert desk.ok("2026-11-23 11:00", "Ana", "done", str(quote), "--csat", "2") == f"{quote} done — kept\n"
    # The phone says #2 is the Maria of #1: fold #1 into #2, which has the phone.
    merged = desk.ok("2026-11-23 11:05", "Ana", "customer", "merge", "2", "1")
    assert merged == f"customer 1 merged into 2 María López: 3 promises moved ({quote}, {cable}, {hinge})\n"
    charger, warnings = desk.add("2026-11-23 11:10", "Ana", "MARIA LOPEZ", "Collect the charger", "fri",
                                 "--category", "repair")
    assert warnings == [f"matched to customer #2 María López ({MARIA_PHONE}); use --new-customer to make another"]

    # ------------------------------------------------------------ Tuesday 24
    desk.ok("2026-11-24 10:00", "Ana", "reschedule", str(cable), "--due", "thu", "--note", "cable out of stock")
    desk.ok("2026-11-24 10:30", "Ana", "wait", str(laptop), "--note", "bring the charger", "--until", "wed 10:30")
    desk.ok("2026-11-24 11:00", "Ana", "cancel", str(sofa), "--reason", "bought one elsewhere")
    waiting = desk.json("2026-11-24 14:00", "Ana", "list", "--status", "waiting")
    assert [p["id"] for p in waiting] == [laptop]
    overdue = desk.json("2026-11-24 14:00", "Ben", "list", "--status", "overdue")
    assert [p["id"] for p in overdue] == [deposit]  # 12:00 passed and nobody rang Tom

    # ------------------------------------------------------------ Wednesday 25
    assert desk.ok("2026-11-25 10:00", "Ben", "done", str(deposit)) == f"{deposit} done — broken\n"
    resumed = desk.json("2026-11-25 10:30", "Ana", "resume", str(laptop), "--note", "charger brought in")
    # waited Tue 10:30 – Wed 10:30: 6.5 + 1.5 = 8 business hours, so Thu 17:00 moves to Fri 17:00
    assert resumed["due"] == "2026-11-27T17:00:00+00:00" and resumed["original_due"] == "2026-11-26T17:00:00+00:00"
    desk.ok("2026-11-25 14:00", "Ben", "contact", str(hinge), "--note", "hinge delayed to Thursday morning")

    # ------------------------------------------------------------ Thursday 26
    assert desk.ok("2026-11-26 11:00", "Ben", "done", str(hinge), "--csat", "3") == f"{hinge} done — late_notified\n"
    assert desk.ok("2026-11-26 15:00", "Ana", "done", str(cable)) == f"{cable} done — renegotiated\n"
    complained = desk.json("2026-11-26 16:00", "Ana", "complaint", str(cable), "--note", "wrong colour")
    assert (complained["complaint"], complained["message"]) == (True, f"{cable} complaint recorded")
    desk.ok("2026-11-26 16:05", "Ana", "complaint", str(cable), "--clear", "--why", "it was meant for 1008")

    # ------------------------------------------------------------ Friday 27
    # done after its original due (Thu 17:00) but by the due the wait moved it to, never rescheduled: kept
    assert desk.ok("2026-11-27 12:00", "Ana", "done", str(laptop), "--csat", "5") == f"{laptop} done — kept\n"
    assert desk.ok("2026-11-27 16:00", "Ana", "done", str(charger), "--csat", "4") == f"{charger} done — kept\n"
    desk.ok("2026-11-27 16:30", "Ben", "complaint", str(deposit), "--note", "nobody rang about the deposit")
    desk.ok("2026-11-27 16:40", "Ana", "kudos", "ben", "--note", "took Tom's call")
    desk.ok("2026-11-27 16:41", "Ben", "kudos", "Ana", "--note", "sorted out the Marias")
    desk.ok("2026-11-27 16:42", "Chloe", "kudos", "Ana", "--note", "so kind about my laptop",
            "--from-customer", "María López")
    desk.ok("2026-11-27 16:43", "Chloe", "kudos", "chloe", "--note", "patient with my questions",
            "--from-customer", "Zoë Quinn")
    code, out, err = desk.run("2026-11-27 16:44", "Ana", "kudos", "Dave", "--note", "the temp was great")
    assert (code, out) == (2, "") and "Dave is not on the staff list (Ana, Ben, Chloe); use --new-staff" in err

    # ------------------------------------------------------------ the week after: late scores, more praise
    rated = desk.json("2026-11-30 10:00", "Ana", "rate", str(quote), "--csat", "5", "--note", "survey: happy")
    assert (rated["csat"], rated["outcome"]) == (5, "kept")  # corrected from 2; the outcome stays
    desk.ok("2026-11-30 10:05", "Ana", "rate", str(cable), "--csat", "4", "--note", "survey")
    desk.ok("2026-11-30 10:10", "Ana", "kudos", "Chloe", "--note", "covered Monday")  # W49: not this week's
    desk.ok("2026-12-01 09:30", "Ben", "rate", str(deposit), "--csat", "1", "--note", "survey")
    now = "2026-12-01 10:00"

    # ------------------------------------------------------------ the customers list
    customers = desk.json(now, "Ana", "customers")
    assert [(c["id"], c["name"], c["phone"], c["open"], c["closed"], c["broken"]) for c in customers] == [
        (2, "María López", MARIA_PHONE, 0, 5, 0),  # 1001–1004 and 1008: Maria once, not four times
        (3, "Tom Baker", "0161 496 0000", 0, 1, 1),  # 1005
        (5, "Zoë Quinn", "", 1, 0, 0),  # 1007
        (4, "王小明", "", 0, 1, 0),  # 1006, cancelled: closed but not broken
    ]
    maria = customers[0]
    assert maria["last_contact"].startswith("2026-11-25T14:00")  # Ben's call about the hinge (1003)
    assert [n["text"] for n in maria["notes"]] == ["merged customer #1 Maria Lopez into this one"]
    assert customers[1]["last_contact"].startswith("2026-11-23T09:30")  # only the making of 1005
    one = desk.json(now, "Ana", "customer", "1")  # the merged id leads to the customer kept
    assert one["id"] == 2 and [p["id"] for p in one["promises"]] == [charger, laptop, hinge, cable, quote]
    assert all(p["customer"]["phone"] == MARIA_PHONE for p in one["promises"])
    text = desk.ok(now, "Ana", "customers").splitlines()
    assert sum("López" in line or "Lopez" in line for line in text) == 1
    assert len({_width(line[: line.rindex(" 2026-11-")]) for line in text[1:]}) == 1, text  # 王小明 lines up

    # ------------------------------------------------------------ list --status closed
    closed = {p["id"]: (p["outcome"], p["csat"], p["complaint"]) for p in desk.json(now, "Ana", "list", "--status",
                                                                                     "closed")}
    assert closed == {
        quote: ("kept", 5, False), cable: ("renegotiated", 4, False), hinge: ("late_notified", 3, False),
        laptop: ("kept", 5, False), deposit: ("broken", 1, True), sofa: ("cancelled", None, False),
        charger: ("kept", 4, False),
    }
    lines = desk.ok(now, "Ana", "list", "--status", "closed").splitlines()
    rows = {int(line.split()[0]): line for line in lines[1:]}
    assert {pid: line.split()[5] for pid, line in rows.items()} == {pid: o for pid, (o, _, _) in closed.items()}
    starts = {_width(line[: line.index(what)]) for line, what in (
        (rows[sofa], "Deliver the sofa"), (rows[quote], "Call back"), (rows[deposit], "Refund"))}
    assert len(starts) == 1, lines  # 王小明 takes six cells, yet WHAT starts in one column

    # ------------------------------------------------------------ the report of the week
    report = desk.json(now, "Ana", "report", "--week", "2026-W48")
    assert report["label"] == "2026-W48"
    # kept: 1001, 1004 (by its moved due), 1008; renegotiated: 1002; late but told: 1003; broken: 1005;
    # cancelled: 1006 (in no rate); 1007 is still open. Closed = 3 + 1 + 1 + 1 = 6.
    assert report["counts"] == {"closed": 6, "kept": 3, "renegotiated": 1, "late_notified": 1, "broken": 1,
                                "cancelled": 1}
    assert report["on_time_rate"] == pytest.approx(4 / 6)  # kept 3 + renegotiated 1, of 6
    assert report["original_date_rate"] == pytest.approx(3 / 6)  # kept 3 of 6
    assert report["broken_rate"] == pytest.approx(1 / 6)  # 1005
    assert report["proactive_contact_rate"] == pytest.approx(2 / 3)  # 1002 and 1003 told, 1005 not
    # 1001 corrected 2 → 5, 1002 rated 4 and 1005 rated 1 after the week, 1003 3, 1004 5, 1008 4: all by closing day
    assert (report["csat_mean"], report["csat_count"]) == (pytest.approx(22 / 6), 6)
    assert report["complaints"] == 1  # 1005's late one; 1002's was cleared; 1007's is on an open promise
    assert (report["open_overdue"], report["open_at_risk"]) == (0, 1)  # 1007 at the week's end: 8 of 47.25 bh left
    assert report["waited_count"] == 1 and report["waited_total_hours"] == pytest.approx(8)  # 1004
    owners = {name: f["counts"] for name, f in report["by_owner"].items()}
    assert owners == {  # Ana: 1001, 1002, 1004, 1006, 1008; Ben: 1003, 1005; Chloe: only 1007, still open
        "Ana": {"closed": 4, "kept": 3, "renegotiated": 1, "late_notified": 0, "broken": 0, "cancelled": 1},
        "Ben": {"closed": 2, "kept": 0, "renegotiated": 0, "late_notified": 1, "broken": 1, "cancelled": 0},
        "Chloe": {"closed": 0, "kept": 0, "renegotiated": 0, "late_notified": 0, "broken": 0, "cancelled": 0},
    }
    assert report["by_owner"]["Chloe"]["open_at_risk"] == 1  # 1007
    assert report["by_owner"]["Ben"]["proactive_contact_rate"] == pytest.approx(1 / 2)  # 1003 told, 1005 not
    praise = {r["person"]: (r["kudos"], r["colleague_kudos"], r["nominations"]) for r in report["recognition"]}
    # Ana: Ben's thanks and María's nomination; Ben: Ana's thanks; Chloe: Zoë's nomination (Monday's is W49)
    assert praise == {"Ana": (2, 1, 1), "Ben": (1, 1, 0), "Chloe": (1, 0, 1)}

    # ------------------------------------------------------------ the weekly export
    out = tmp_path / "export"
    files = desk.json(now, "Ana", "export", "--week", "2026-W48", "--out", str(out))["files"]
    assert [Path(f["path"]).name for f in files] == [
        "promises-2026-W48.csv", "promises-2026-W48.xlsx", "summary-2026-W48.md", "open-2026-W48.ics"]
    csv_bytes = (out / "promises-2026-W48.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for "María" and "王小明"
    table = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    # the 7 closed in the week and 1007, open at its end
    assert {int(r["id"]): (r["outcome"], r["csat"], r["customer_name"]) for r in table} == {
        quote: ("kept", "5", "María López"), cable: ("renegotiated", "4", "María López"),
        hinge: ("late_notified", "3", "María López"), laptop: ("kept", "5", "María López"),
        deposit: ("broken", "1", "Tom Baker"), sofa: ("cancelled", "", "王小明"), screen: ("", "", "Zoë Quinn"),
        charger: ("kept", "4", "María López"),
    }

    book = openpyxl.load_workbook(out / "promises-2026-W48.xlsx")
    sheet = book["Promises"]
    header = [c.value for c in sheet[1]]
    promises = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert [(p["id"], p["outcome"]) for p in promises] == [(int(r["id"]), r["outcome"] or None) for r in table]
    assert promises[0]["csat"] == 5 and promises[0]["complaint"] is False  # typed cells: numbers, booleans
    summary = book["Summary"]
    heads = [c.value for c in summary[5]]
    overall = dict(zip(heads, (c.value for c in summary[6]), strict=True))
    assert (overall["group"], overall["name"]) == ("overall", "all")
    assert {k: overall[k] for k in ("closed", "kept", "renegotiated", "late_notified", "broken", "cancelled",
                                    "csat_count", "complaints", "open_at_risk")} == {
        "closed": 6, "kept": 3, "renegotiated": 1, "late_notified": 1, "broken": 1, "cancelled": 1,
        "csat_count": 6, "complaints": 1, "open_at_risk": 1}  # as the report, by the same promises
    assert overall["on_time_rate"] == pytest.approx(4 / 6) and overall["csat_mean"] == pytest.approx(22 / 6)
    praise_rows = list(book["Praise"].iter_rows(values_only=True))
    assert praise_rows[0][:4] == ("person", "kudos", "colleague_kudos", "nominations")
    counted = {row[0]: row[1:4] for row in praise_rows[1:4]}
    assert counted == {"Ana": (2, 1, 1), "Ben": (1, 1, 0), "Chloe": (1, 0, 1)}  # as in the report
    said = [(row[1], row[2], row[3], row[4]) for row in praise_rows[6:]]  # the four of the week, oldest first
    assert said == [("Ben", "took Tom's call", None, "Ana"), ("Ana", "sorted out the Marias", None, "Ben"),
                    ("Ana", "so kind about my laptop", "María López", "Chloe"),
                    ("Chloe", "patient with my questions", "Zoë Quinn", "Chloe")]

    markdown = (out / "summary-2026-W48.md").read_text(encoding="utf-8")
    assert ("**Closed: 6** — kept 3, renegotiated 1, late but told 1, broken 1. Cancelled 1 (counted apart, in no "
            "rate).") in markdown
    assert "- On time: **67%** (original date 50%)" in markdown  # 4 of 6, 3 of 6
    assert "- Proactive contact: **67%**" in markdown  # 2 of 3
    assert "- Customer satisfaction: 3.7 from 6 scored" in markdown  # 22 / 6
    assert "- Complaints: 1" in markdown
    assert "- **1005** Tom Baker: Refund the deposit (Ben, refund) — due Tue 24 Nov 12:00, done Wed 25 Nov 10:00" \
        in markdown  # the only broken promise
    praise_md = markdown.split("## Praise", 1)[1]
    assert "- **Ana**: 1 from colleagues, 1 customer nominations" in praise_md
    assert "  - so kind about my laptop (customer María López)" in praise_md
    assert "- **Ben**: 1 from colleagues, 0 customer nominations" in praise_md
    assert "- **Chloe**: 0 from colleagues, 1 customer nominations" in praise_md
    assert "covered Monday" not in praise_md  # recorded in W49
