"""Issue 12: customers as records (name matching, list, edit, merge), late complaints and scores (archived ones
too), readable kudos counted apart by source. Fixed clock throughout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from promisetrack.clock import FixedClock
from promisetrack.customers import name_key
from promisetrack.errors import PromiseError
from promisetrack.export import summary_markdown
from promisetrack.measures import Measures
from promisetrack.model import EventKind
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk, open_desk
from tests.conftest import MONDAY, TZ, at, write_settings

ROOT = Path(__file__).resolve().parent.parent


def test_name_key_ignores_case_accents_and_spaces() -> None:
    assert name_key("  María   LÓPEZ ") == name_key("maria lopez") == "maria lopez"
    assert name_key("Straße") == name_key("STRASSE")


def test_a_name_alone_is_matched_to_the_known_customer_with_a_warning(desk: Desk) -> None:
    first, _ = desk.add("María López", "Call back", "fri", phone="+44 7700 900101")
    again, warnings = desk.add("maria lopez", "Send the cable", "fri")
    assert again.customer == first.customer
    assert warnings[-1] == ("matched to customer #1 María López (+44 7700 900101); use --new-customer to make "
                           "another")
    other, warnings = desk.add("Maria Lopez", "Another Maria", "fri", new_customer=True)
    assert other.customer.id != first.customer.id and not any("matched" in w for w in warnings)


def test_thirty_three_cs_make_one_customer_and_suggestions_show_no_duplicates(desk: Desk) -> None:
    ids = {desk.add("C", f"thing {n}", "fri")[0].customer.id for n in range(33)}
    assert len(ids) == 1
    desk.add("C", "second C on purpose", "fri", new_customer=True)
    assert [c.name for c in desk.find_customers("c")] == ["C"]  # alike in name, phone and email: shown once
    assert [c.id for c in desk.customers()] == [1, 2]


def test_customers_count_open_closed_broken_and_the_archive(desk: Desk, clock: FixedClock) -> None:
    clock.set(at(2, 10))
    old, _ = desk.add("Ann", "Old repair", "2026-11-03 12:00", phone="0101")
    clock.set(at(4, 10))
    desk.done(old.id)  # after the due, nobody told: broken
    clock.set(MONDAY)
    desk.add("Ann", "New repair", "fri", phone="0101")  # archives the November 4th one (14 days)
    assert old.id not in desk.store.read().promises
    [ann] = desk.customer_summaries()
    assert (ann.open, ann.closed, ann.broken) == (1, 1, 1)
    assert ann.last_contact == MONDAY
    _, history = desk.customer(ann.customer.id)
    assert [p.id for p in history] == [1002, old.id]


def test_edit_a_customer_and_add_notes(desk: Desk, clock: FixedClock) -> None:
    p, _ = desk.add("Jon Smiht", "Refund", "fri")
    desk.edit_customer(p.customer.id, name="Jon Smith", phone="0202")
    clock.set(at(23, 11))
    desk.edit_customer(p.customer.id, note="prefers a call after 5pm")
    summary, _ = desk.customer(p.customer.id)
    assert (summary.customer.name, summary.customer.phone) == ("Jon Smith", "0202")
    assert [(n.by, n.text, n.at) for n in summary.notes] == [("ana", "prefers a call after 5pm", at(23, 11))]
    assert desk.get(p.id).customer.name == "Jon Smith"  # the board shows the corrected name
    assert desk.add("jon smith", "Second", "fri")[0].customer.id == p.customer.id  # matched by the new name
    with pytest.raises(PromiseError, match="nothing to change"):
        desk.edit_customer(p.customer.id)
    with pytest.raises(PromiseError, match="no customer 99"):
        desk.edit_customer(99, note="x")


def test_merge_moves_live_and_archived_promises_with_an_event(desk: Desk, clock: FixedClock) -> None:
    clock.set(at(2, 10))
    archived, _ = desk.add("Bob Ray", "Old thing", "2026-11-03 12:00", email="bob@example.com")
    desk.done(archived.id)
    clock.set(MONDAY)
    keep, _ = desk.add("Robert Ray", "New thing", "fri", phone="0303")
    dup, _ = desk.add("Bob Ray", "Other thing", "fri", email="bob@example.com")
    assert archived.id not in desk.store.read().promises and dup.customer.id != keep.customer.id
    desk.edit_customer(dup.customer.id, note="calls from work")
    kept, moved = desk.merge_customers(keep.customer.id, dup.customer.id)
    assert moved == [archived.id, dup.id]
    assert (kept.phone, kept.email) == ("0303", "bob@example.com")
    for pid in moved:
        p = desk.get(pid)
        assert p.customer == kept
        merge = p.events[-1]
        assert merge.kind is EventKind.NOTE and merge.data["merged_from"] == dup.customer.id
    assert archived.id not in desk.store.read().promises  # saved back to the archive
    assert [c.id for c in desk.customers()] == [keep.customer.id]
    assert desk.find_customers("bob") == [kept]
    summary, history = desk.customer(dup.customer.id)  # the old id leads to the customer kept
    assert summary.customer.id == keep.customer.id and {p.id for p in history} == {keep.id, dup.id, archived.id}
    assert summary.notes[0].text == "calls from work"
    assert desk.add("Bob", "x", "fri", email="BOB@example.com")[0].customer.id == keep.customer.id
    with pytest.raises(PromiseError, match="no customer"):
        desk.merge_customers(keep.customer.id, dup.customer.id)
    assert "undid" in desk.undo() and desk.get(dup.id).customer == kept  # undo passes over the merge


def test_complaint_and_clear_on_open_and_closed(desk: Desk, clock: FixedClock) -> None:
    p, _ = desk.add("Ann", "Refund", "fri")
    desk.complaint(p.id, "nobody rang back")
    assert desk.get(p.id).complaint
    with pytest.raises(PromiseError, match="already has a complaint"):
        desk.complaint(p.id, "again")
    desk.done(p.id)
    desk.clear_complaint(p.id, "wrong promise")
    q = desk.get(p.id)
    assert not q.complaint and [e.kind for e in q.events][-1] is EventKind.COMPLAINT
    with pytest.raises(PromiseError, match="no complaint to clear"):
        desk.clear_complaint(p.id)


def test_rate_a_closed_promise_keeps_the_outcome(desk: Desk) -> None:
    p, _ = desk.add("Ann", "Refund", "fri")
    with pytest.raises(PromiseError, match="only a done promise can be rated"):
        desk.rate(p.id, 4)
    desk.done(p.id, csat=2)
    before = derive_outcome(desk.get(p.id))
    q = desk.rate(p.id, 5, "survey came back")
    assert q.csat == 5 and derive_outcome(q) is before and q.events[-1].data["previous"] == 2
    with pytest.raises(PromiseError, match="already rated 5"):
        desk.rate(p.id, 5)
    with pytest.raises(PromiseError, match="from 1 to 5"):
        desk.rate(p.id, 6)


def test_a_late_score_and_complaint_on_an_archived_promise_count_once_by_its_closing_day(
        desk: Desk, clock: FixedClock) -> None:
    clock.set(at(2, 10))
    p, _ = desk.add("Ann", "Old repair", "2026-11-03 12:00")
    desk.done(p.id, csat=2)  # closed Mon 2 Nov
    clock.set(MONDAY)
    desk.add("Bo", "Today", "fri")  # archives it
    assert p.id not in desk.store.read().promises
    desk.rate(p.id, 5, "survey")
    desk.complaint(p.id, "the repair failed again")
    assert p.id not in desk.store.read().promises  # saved back where it lives, not left in the live file
    assert [d["csat"] for d in desk.store.read_archived() if d["id"] == p.id] == [5]
    measures = Measures(desk)
    november = measures.period_report(measures.period(month="2026-11")).overall
    assert (november.counts["closed"], november.csat_mean, november.csat_count, november.complaints) == (1, 5, 1, 1)
    week = measures.period_report(measures.period(week="2026-W48")).overall
    assert week.csat_count == 0 and week.complaints == 0  # counted by the closing day, not the day of the score


def test_an_archived_copy_left_behind_is_not_counted_twice(desk: Desk, clock: FixedClock) -> None:
    clock.set(at(2, 10))
    p, _ = desk.add("Ann", "Old repair", "2026-11-03 12:00")
    desk.done(p.id, csat=2)
    clock.set(MONDAY)
    desk.add("Bo", "Today", "fri")
    doc = desk.store.fetch(p.id)
    assert doc is not None
    with desk.store.transaction() as tx:  # a changed copy in the live file beside the archived one
        tx.put_promise({**doc, "csat": 4})
    assert p.id in desk.store.read().promises
    measures = Measures(desk)
    report = measures.period_report(measures.period(month="2026-11")).overall
    assert (report.counts["closed"], report.csat_mean) == (1, 4)


def test_kudos_staff_list_listing_and_nominations_apart(data_dir: Path, clock: FixedClock) -> None:
    write_settings(data_dir, **{"staff = []": 'staff = ["Ana", "Ben"]'})
    desk = open_desk(data_dir, user="ana", clock=clock)
    with pytest.raises(PromiseError, match=r"Chloe is not on the staff list \(Ana, Ben\); use --new-staff"):
        desk.kudos("Chloe", "great")
    assert desk.kudos("ben", "rang back early")["person"] == "Ben"  # the staff list's spelling
    desk.kudos("Ben", "lovely", "Maria Lopez")
    desk.kudos("Chloe", "covered a shift", new_staff=True)
    clock.set(at(2, 10, month=12))
    desk.kudos("Ana", "December")
    measures = Measures(desk)
    assert [k["note"] for k in desk.kudos_list(person="BEN")] == ["rang back early", "lovely"]
    assert [k["note"] for k in measures.kudos(person="BEN")] == ["rang back early", "lovely"]
    assert [k["note"] for k in measures.kudos(month="2026-12")] == ["December"]
    people = {r.person: r for r in measures.recognition(measures.period(month="2026-11"))}
    assert (people["Ben"].kudos, people["Ben"].colleague_kudos, people["Ben"].nominations) == (2, 1, 1)
    assert people["Ben"].as_json()["nominations"] == 1
    text = summary_markdown(measures.period_detail(measures.period(week="2026-W48")), TZ)
    assert "- **Ben**: 1 from colleagues, 1 customer nominations" in text
    assert "  - lovely (customer Maria Lopez)" in text


# ---------------------------------------------------------------- through the real entry point


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROMISETRACK_USER": "ana", "PYTHONPATH": str(ROOT)}
    env.pop("PROMISETRACK_DATA", None)
    return subprocess.run([sys.executable, "-m", "promisetrack", "--data", str(data), "--now", "2026-11-23 10:30",
                           *args], capture_output=True, text=True, env=env, timeout=60)


def ok(data: Path, *args: str) -> str:
    result = run(data, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cli_customers_customer_merge_complaint_rate_kudos(tmp_path: Path) -> None:
    data = tmp_path / "desk"
    write_settings(data)
    ok(data, "add", "--customer", "María López", "--what", "Quote", "--due", "fri", "--phone", "+44 7700 900101")
    result = run(data, "add", "--customer", "maria lopez", "--what", "Cable", "--due", "fri")
    assert result.stdout == "1002\n" and "matched to customer #1 María López (+44 7700 900101)" in result.stderr
    ok(data, "add", "--customer", "Maria Lopez", "--what", "Other", "--due", "fri", "--new-customer")
    listed = json.loads(ok(data, "customers", "--json"))
    assert [(c["id"], c["open"]) for c in listed] == [(2, 1), (1, 2)]
    assert set(listed[0]) == {"id", "name", "phone", "email", "open", "closed", "broken", "last_contact", "notes"}
    assert ok(data, "customer", "merge", "1", "2") == "customer 2 merged into 1 María López: 1 promises moved (1003)\n"
    ok(data, "add", "--customer", "Maria Lopez", "--what", "Box", "--due", "fri", "--new-customer")
    assert json.loads(ok(data, "customer", "merge", "1", "#3", "--json")) == {
        "message": "customer 3 merged into 1 María López: 1 promises moved (1004)", "kept": 1, "merged": 3,
        "moved": [1004]}
    ok(data, "customer", "1", "--note", "prefers email", "--email", "maria@example.com")
    one = json.loads(ok(data, "customer", "1", "--json"))
    assert one["email"] == "maria@example.com" and [n["text"] for n in one["notes"]][-1] == "prefers email"
    assert sorted(p["id"] for p in one["promises"]) == [1001, 1002, 1003, 1004]
    assert "prefers email" in ok(data, "customer", "1")
    assert ok(data, "done", "1001", "--csat", "2") == "1001 done — kept\n"
    assert ok(data, "rate", "1001", "--csat", "5", "--note", "survey") == "1001 rated 5 (the outcome is unchanged)\n"
    assert ok(data, "complaint", "1001", "--note", "rude") == "1001 complaint recorded\n"
    assert ok(data, "complaint", "1001", "--clear") == "1001 complaint cleared\n"
    bad = run(data, "rate", "1002", "--csat", "4")
    assert bad.returncode == 2 and "only a done promise can be rated" in bad.stderr
    ok(data, "kudos", "Ben", "--note", "sorted it", "--from-customer", "Maria Lopez")
    assert json.loads(ok(data, "kudos", "--list", "--person", "ben", "--json"))[0]["from_customer"] == "Maria Lopez"
    assert "sorted it  (from customer Maria Lopez)" in ok(data, "kudos", "--list", "--month", "2026-11")
    assert run(data, "kudos", "--note", "x").returncode == 2
