"""The risk rules remember what was archived (issue 10): the lead-time window and repeat breakers.

Lead times and the last outcomes of each customer survive the move to the archive in a small summary kept in the
live file, so that ``add``, ``list``, ``show``, the board, the report and the export give the same risk and reasons
for the same promise at the same moment — without reading the archive.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from promisetrack.clock import FixedClock
from promisetrack.config import DataError, settings_from_toml
from promisetrack.history import Closing, in_window, is_repeat_breaker
from promisetrack.measures import Measures
from promisetrack.model import Risk
from promisetrack.risk import REPEAT_BREAKER
from promisetrack.service import Desk, open_desk, promise_json
from promisetrack.store import FileStore
from tests.conftest import MONDAY, at, write_settings

LEAD_REASON = "repair usually takes 3.0 business days (p80); 6.5 business hours left"
OLU = "+44 7700 900200"


def archived_repairs(desk: Desk, clock: FixedClock) -> None:
    """Six repairs made Mon 2 Nov 09:00 and done Thu 5 Nov 09:00 (3 business days each), then the clock at Mon 23
    Nov 10:30: more than ``archive_after_days`` (14) later, so the next save archives them."""
    clock.set(at(2, 9))
    pids = [desk.add(f"Customer {n}", "Fix the washer", "2026-11-05 17:00", phone=f"+44 7700 90030{n}",
                     category="repair")[0].id for n in range(6)]
    clock.set(at(5, 9))
    for pid in pids:
        desk.done(pid)
    clock.set(MONDAY)


def same_day_repair(desk: Desk) -> tuple[int, list[str]]:
    promise, warnings = desk.add("Jo Bloggs", "Fix the kettle", "today 17:00", category="repair")
    return promise.id, warnings


def cli(data: Path, *args: str) -> str:
    env = {**os.environ, "PROMISETRACK_USER": "ana"}
    env.pop("PROMISETRACK_DATA", None)
    done = subprocess.run([sys.executable, "-m", "promisetrack", "--data", str(data), "--now", "2026-11-23 10:30",
                           *args], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def live_tables(desk: Desk) -> dict:
    return orjson.loads(desk.store.path.read_bytes())


# ---------------------------------------------------------------- A. the lead-time rule remembers


def test_every_view_gives_the_archived_lead_time_the_same_way(desk: Desk, clock: FixedClock, tmp_path: Path
                                                              ) -> None:
    archived_repairs(desk, clock)
    pid, warnings = same_day_repair(desk)  # this save archives the six repairs
    assert desk.store.archive_months() == ["2026-11"]
    assert not any(doc["status"] == "done" for doc in desk.store.read().promises.values())
    assert warnings == [LEAD_REASON]

    def check(risk: str | None, reasons: list[str]) -> None:
        assert (risk, reasons) == (Risk.AT_RISK.value, [LEAD_REASON])

    listed = [r for r in desk.listing() if r.promise.id == pid]
    check(listed[0].risk, list(listed[0].assessment.reasons))
    row = desk.row(pid)
    check(row.risk, list(row.assessment.reasons))
    board = {r.promise.id: r for r in desk.board()}
    check(board[pid].risk, list(board[pid].assessment.reasons))
    measures = Measures(desk)
    detail = measures.period_detail(measures.period(week="2026-W48"))
    opened = {r.promise.id: r for r in detail.open}
    check(opened[pid].risk, list(opened[pid].assessment.reasons))
    doc = promise_json(opened[pid])
    check(doc["risk"], doc["risk_reasons"])

    data = desk.store.data_dir
    listed_json = {d["id"]: d for d in json.loads(cli(data, "list", "--json"))}
    check(listed_json[pid]["risk"], listed_json[pid]["risk_reasons"])
    shown = json.loads(cli(data, "show", str(pid), "--json"))
    check(shown["risk"], shown["risk_reasons"])
    out = tmp_path / "export"
    out.mkdir()
    cli(data, "export", "--week", "2026-W48", "--out", str(out))
    (csv_path,) = out.glob("*.csv")
    exported = {int(r["id"]): r for r in csv.DictReader(csv_path.open(encoding="utf-8-sig"))}
    assert (exported[pid]["risk"], exported[pid]["risk_reasons"]) == ("at_risk", LEAD_REASON)  # "; "-joined


def test_the_summary_holds_the_archived_lead_times(desk: Desk, clock: FixedClock) -> None:
    archived_repairs(desk, clock)
    same_day_repair(desk)
    history = desk.store.read().history
    assert history is not None and history["version"] == 1
    leads = history["leads"]["repair"]
    assert len(leads) == 6 and {seconds for _, _, seconds in leads} == {24 * 3600.0}
    assert {closed for _, closed, _ in leads} == {at(5, 9).isoformat()}
    assert history["breakers"] == {}  # kept promises leave no customer behind


def test_a_past_moment_uses_the_window_ending_then_from_the_pool(desk: Desk, clock: FixedClock) -> None:
    archived_repairs(desk, clock)
    pid, _ = same_day_repair(desk)
    clock.set(at(24, 9))
    rows = {r.promise.id: r for r in Measures(desk).open_rows_at(at(23, 10, 45))}
    assert rows[pid].risk is Risk.AT_RISK
    assert rows[pid].assessment.reasons == ("repair usually takes 3.0 business days (p80); 6.2 business hours left",)
    # Before the repairs were done there was no lead time to go by.
    early = {r.promise.id: r for r in Measures(desk).open_rows_at(at(4, 10))}
    assert all("usually takes" not in " ".join(r.assessment.reasons) for r in early.values())


def test_lead_times_older_than_the_window_are_forgotten(desk: Desk, clock: FixedClock) -> None:
    archived_repairs(desk, clock)
    pid, _ = same_day_repair(desk)
    short = Desk(desk.store, replace(desk.settings, lead_window_days=10), clock, "ana")
    assert short.row(pid).risk is Risk.OK  # the repairs closed 18 days ago
    assert short.check_promise(at(23, 17), "ana", "repair") == []
    assert desk.check_promise(at(23, 17), "ana", "repair") == [LEAD_REASON]


def test_the_window_keeps_the_newest_lead_times_up_to_its_size() -> None:
    settings = replace(settings_from_toml(""), lead_window_days=30, lead_window_max=3)
    end = datetime(2026, 11, 23, 12, tzinfo=UTC)
    closings = [Closing(n, end - timedelta(days=n * 5), float(n)) for n in range(1, 9)]  # 5, 10, ... 40 days ago
    assert in_window(closings, end, settings) == [1.0, 2.0, 3.0]
    assert in_window(closings, end, replace(settings, lead_window_max=200)) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert in_window(closings, end - timedelta(days=12), settings, upto=True) == [3.0, 4.0, 5.0]


def test_an_old_data_dir_builds_the_summary_once(desk: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    archived_repairs(desk, clock)
    pid, _ = same_day_repair(desk)
    tables = live_tables(desk)  # as a version from before the summary left it
    del tables["history"]
    desk.store.path.write_bytes(orjson.dumps(tables))

    fresh = open_desk(desk.store.data_dir, user="ana", clock=clock)
    assert fresh.store.read().history is None
    assert fresh.row(pid).assessment.reasons == (LEAD_REASON,)  # read from the archive until a save keeps it
    fresh.contact(pid, "on the way")  # the first save builds it, once
    assert len(live_tables(fresh)["history"]["1"]["leads"]["repair"]) == 6

    touched: list[str] = []
    monkeypatch.setattr(FileStore, "_archived_promises", lambda self, months: touched.append("archive") or {})
    again = open_desk(desk.store.data_dir, user="ana", clock=clock)
    assert again.row(pid).assessment.reasons == (LEAD_REASON,)
    assert again.add("Kim Lee", "Fix the toaster", "today 17:00", category="repair")[1] == [LEAD_REASON]
    assert touched == []  # neither reading nor saving reads the archive any more


def test_a_crash_between_archive_and_live_write_counts_nothing_twice(data_dir: Path, desk: Desk, clock: FixedClock,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    archived_repairs(desk, clock)
    real_replace = os.replace

    def crash(source: str, target: object) -> None:
        if Path(target) == desk.store.path:  # type: ignore[arg-type]
            raise OSError(5, "Input/output error")
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(DataError):
        same_day_repair(desk)
    monkeypatch.undo()
    assert len(desk.store.read_archive(["2026-11"])) == 6  # the archive was written, the live file not
    assert desk.store.read().history is None or not desk.store.read().history["leads"]

    # Six samples, whether in the live file, the summary, or both after the crash: with 7 needed, never enough.
    write_settings(data_dir, **{"lead_samples = 5": "lead_samples = 7"})
    strict = open_desk(data_dir, user="ana", clock=clock)
    pid, warnings = same_day_repair(strict)
    # no lead-time warning; the crashed save had written Jo Bloggs's customer file (customers go before the live
    # file), and a name typed alone is matched to the known customer of that name (issue 12)
    assert warnings == ["matched to customer #7 Jo Bloggs; use --new-customer to make another"]
    assert len(strict.store.read().history["leads"]["repair"]) == 6
    assert strict.row(pid).risk is Risk.OK


def test_the_lead_window_settings(tmp_path: Path) -> None:
    assert (settings_from_toml("").lead_window_days, settings_from_toml("").lead_window_max) == (180, 200)
    chosen = settings_from_toml("[risk]\nlead_window_days = 90\nlead_window_max = 50\n")
    assert (chosen.lead_window_days, chosen.lead_window_max) == (90, 50)
    for text, message in [
        ("[risk]\nlead_window_days = 0\n", "lead_window_days is out of range"),
        ("[risk]\nlead_window_days = 1.5\n", "lead_window_days is not a whole number"),
        ("[risk]\nlead_window_max = 20000\n", "lead_window_max is out of range"),
        ('[risk]\nlead_window_max = "all"\n', "lead_window_max is not a number"),
        ("[risk]\nlead_window_max = 3\n", "lead_window_max (3) is below lead_samples (5)"),
    ]:
        with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
            settings_from_toml(text)


# ---------------------------------------------------------------- B. repeat breakers


def broken_promise(desk: Desk, clock: FixedClock, made: datetime, due: str, done: datetime, **kw: str) -> int:
    """A promise for Olu whose due passes with no contact: broken when done."""
    clock.set(made)
    pid = desk.add("Olu Ade", "Swap the kettle", due, phone=OLU, **kw)[0].id
    clock.set(done)
    desk.done(pid)
    return pid


def test_two_archived_broken_promises_make_a_repeat_breaker(desk: Desk, clock: FixedClock) -> None:
    broken_promise(desk, clock, at(2, 9), "2026-11-02 12:00", at(3, 9))
    broken_promise(desk, clock, at(3, 10), "2026-11-03 12:00", at(4, 9))
    clock.set(MONDAY)
    promise, warnings = desk.add("Olu Ade", "Replace the lid", "fri 5pm", phone=OLU)
    assert desk.store.read().history["breakers"][str(promise.customer.id)][0][2] == "broken"
    assert {1001, 1002}.isdisjoint(desk.store.read().promises)  # both archived
    assert warnings == [REPEAT_BREAKER]
    row = desk.row(promise.id)
    assert row.risk is Risk.AT_RISK and row.assessment.reasons == (REPEAT_BREAKER,)
    assert {r.promise.id: r.assessment.reasons for r in desk.board()}[promise.id] == (REPEAT_BREAKER,)
    shown = json.loads(cli(desk.store.data_dir, "show", str(promise.id), "--json"))
    assert (shown["risk"], shown["risk_reasons"]) == ("at_risk", [REPEAT_BREAKER])
    assert desk.reschedule(promise.id, "2026-11-30 17:00", "parts are late")[1] == [REPEAT_BREAKER]
    other, others_warnings = desk.add("Kim Lee", "Replace the lid", "fri 5pm", phone="+44 7700 900999")
    assert others_warnings == [] and desk.row(other.id).risk is Risk.OK


def test_one_archived_and_one_live_broken_promise_count_together(desk: Desk, clock: FixedClock) -> None:
    broken_promise(desk, clock, at(2, 9), "2026-11-02 12:00", at(3, 9))
    broken_promise(desk, clock, at(19, 9), "2026-11-19 12:00", at(20, 9))
    clock.set(MONDAY)
    promise, warnings = desk.add("Olu Ade", "Replace the lid", "fri 5pm", phone=OLU)
    assert 1001 not in desk.store.read().promises and 1002 in desk.store.read().promises
    assert warnings == [REPEAT_BREAKER]
    assert desk.row(promise.id).assessment.reasons == (REPEAT_BREAKER,)


def test_a_kept_promise_since_clears_the_customer_and_a_cancelled_one_does_not(desk: Desk, clock: FixedClock) -> None:
    broken_promise(desk, clock, at(2, 9), "2026-11-02 12:00", at(3, 9))
    broken_promise(desk, clock, at(3, 10), "2026-11-03 12:00", at(4, 9))
    clock.set(at(19, 9))
    cancelled = desk.add("Olu Ade", "Order a filter", "2026-11-20 12:00", phone=OLU)[0].id
    desk.cancel(cancelled, "no longer needed")
    clock.set(MONDAY)
    still, warnings = desk.add("Olu Ade", "Replace the lid", "fri 5pm", phone=OLU)
    assert warnings == [REPEAT_BREAKER]  # the cancelled one is not a closed promise for this rule
    clock.set(at(23, 11))
    desk.done(still.id)  # kept
    fresh, warnings = desk.add("Olu Ade", "Descale it", "fri 5pm", phone=OLU)
    assert warnings == [] and desk.row(fresh.id).risk is Risk.OK


def test_an_open_promise_turns_at_risk_when_the_second_break_closes(desk: Desk, clock: FixedClock) -> None:
    clock.set(at(16, 9))
    waiting = desk.add("Olu Ade", "Refund the deposit", "2026-11-30 17:00", phone=OLU)[0].id
    broken_promise(desk, clock, at(16, 10), "2026-11-16 12:00", at(17, 9))
    assert desk.row(waiting).risk is Risk.OK
    broken_promise(desk, clock, at(17, 10), "2026-11-17 12:00", at(18, 9))
    clock.set(MONDAY)
    desk.contact(waiting, "called about the refund")
    assert desk.row(waiting).assessment.reasons == (REPEAT_BREAKER,)
    measures = Measures(desk)
    rows = {r.promise.id: r for r in measures.open_rows_at(at(19, 9))}  # a past moment, from the pool
    assert REPEAT_BREAKER in rows[waiting].assessment.reasons
    earlier = {r.promise.id: r for r in measures.open_rows_at(at(17, 12))}
    assert REPEAT_BREAKER not in earlier[waiting].assessment.reasons


def test_the_rule_itself() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)

    def c(days: int, outcome: str) -> Closing:
        return Closing(days, now - timedelta(days=days), outcome)

    assert is_repeat_breaker([c(1, "broken"), c(2, "broken"), c(3, "kept")])
    assert is_repeat_breaker([c(1, "cancelled"), c(2, "broken"), c(3, "broken")])
    assert not is_repeat_breaker([c(1, "kept"), c(2, "broken"), c(3, "broken")])
    assert not is_repeat_breaker([c(1, "broken")])
    assert not is_repeat_breaker([c(1, "broken"), c(2, "late_notified")])


def test_customer_history_includes_the_archive(desk: Desk, clock: FixedClock) -> None:
    first = broken_promise(desk, clock, at(2, 9), "2026-11-02 12:00", at(3, 9))
    clock.set(MONDAY)
    promise = desk.add("Olu Ade", "Replace the lid", "fri 5pm", phone=OLU)[0]
    assert first not in desk.store.read().promises
    history = desk.customer_history(promise.customer.id)
    assert [p.id for p in history] == [promise.id, first]
    assert [p.id for p in desk.customer_history(promise.customer.id, archived=False)] == [promise.id]
