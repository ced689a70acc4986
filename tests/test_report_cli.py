"""``promisetrack report`` and ``kudos`` through the real entry point: a week built with the real commands and a
clock moved per command, then its figures checked against counts written out by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from promisetrack.cli import main
from promisetrack.clock import FixedClock
from promisetrack.measures import Measures
from promisetrack.service import Desk, open_desk
from tests.conftest import TZ, write_settings


class Cli:
    """``promisetrack --data DIR --now WHEN --user NAME ...`` in this process; returns stdout, checks the exit."""

    def __init__(self, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data, self.capsys = data, capsys

    def run(self, now: str, *args: str, user: str = "ana") -> tuple[int, str, str]:
        code = main(["--data", str(self.data), "--now", now, "--user", user, *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def __call__(self, now: str, *args: str, user: str = "ana") -> str:
        code, out, err = self.run(now, *args, user=user)
        assert code == 0, err
        return out

    def add(self, now: str, what: str, due: str, *, owner: str, category: str, complaint: bool = False) -> str:
        extra = ["--complaint"] if complaint else []
        out = self(now, "add", "--customer", f"Customer of {what}", "--what", what, "--due", due,
                   "--owner", owner, "--category", category, *extra, user=owner)
        return out.strip()


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    write_settings(tmp_path / "desk")
    return Cli(tmp_path / "desk", capsys)


@pytest.fixture
def week(cli: Cli) -> dict[str, str]:
    """Week 48 of 2026 (Mon 23 – Sun 29 Nov, Europe/London, open Mon–Fri 09:00–17:00), one promise per fate."""
    ids = {}
    ids["kept"] = cli.add("2026-11-23 09:05", "Deliver the sofa", "2026-11-24 17:00", owner="ana", category="delivery")
    ids["reneg"] = cli.add("2026-11-23 09:10", "Refund the deposit", "2026-11-24 12:00", owner="ana",
                           category="refund")
    ids["late"] = cli.add("2026-11-23 09:15", "Fix the boiler", "2026-11-25 12:00", owner="ben", category="repair")
    ids["broken"] = cli.add("2026-11-23 09:20", "Refund the fridge", "2026-11-24 10:00", owner="ben",
                            category="refund", complaint=True)
    ids["cancelled"] = cli.add("2026-11-23 09:25", "Deliver the lamp", "2026-11-27 17:00", owner="ana",
                               category="delivery")
    ids["overdue"] = cli.add("2026-11-23 09:30", "Deliver the table", "2026-11-25 17:00", owner="ben",
                             category="delivery")
    cli("2026-11-24 09:00", "cancel", ids["cancelled"], "--reason", "Customer collected it", user="ana")
    cli("2026-11-24 10:00", "reschedule", ids["reneg"], "--due", "2026-11-26 12:00", "--note", "Bank delay, agreed")
    cli("2026-11-24 15:00", "done", ids["kept"], "--csat", "5")
    cli("2026-11-25 09:30", "done", ids["broken"], user="ben")  # its due (Tue 10:00) passed in silence
    cli("2026-11-25 10:00", "contact", ids["late"], "--note", "Part is late, will be this afternoon", user="ben")
    cli("2026-11-25 11:00", "done", ids["reneg"], "--csat", "4")
    cli("2026-11-25 16:00", "done", ids["late"], "--csat", "2", user="ben")
    ids["ok"] = cli.add("2026-11-26 10:00", "Call back about the warranty", "2026-12-02 17:00", owner="ana",
                        category="callback")
    ids["at_risk"] = cli.add("2026-11-27 14:00", "Repair the kettle", "2026-11-30 10:00", owner="ana",
                             category="repair")
    # the next week: closed outside week 48 and made after its end
    ids["next"] = cli.add("2026-11-30 09:00", "Deliver the chairs", "2026-11-30 17:00", owner="ben",
                          category="delivery")
    cli("2026-11-30 10:00", "done", ids["next"], user="ben")
    return ids


def counts(kept: int = 0, renegotiated: int = 0, late: int = 0, broken: int = 0, cancelled: int = 0) -> dict:
    return {"kept": kept, "renegotiated": renegotiated, "late_notified": late, "broken": broken,
            "cancelled": cancelled, "closed": kept + renegotiated + late + broken}


def test_report_json_of_a_week_built_through_the_cli(cli: Cli, week: dict[str, str]) -> None:
    doc = json.loads(cli("2026-12-01 10:00", "report", "--week", "2026-W48", "--json"))
    assert doc["period"] == {"from": "2026-11-23T00:00:00+00:00", "to": "2026-11-30T00:00:00+00:00"}
    assert doc["counts"] == counts(kept=1, renegotiated=1, late=1, broken=1, cancelled=1)
    assert doc["on_time_rate"] == 0.5  # (1 kept + 1 renegotiated) / 4 closed
    assert doc["original_date_rate"] == 0.25
    assert doc["broken_rate"] == 0.25
    assert doc["proactive_contact_rate"] == pytest.approx(2 / 3)  # (1 + 1) / (1 + 1 + 1)
    assert doc["csat_mean"] == pytest.approx((5 + 4 + 2) / 3) and doc["csat_count"] == 3
    assert doc["complaints"] == 1
    # open when the week ended (Mon 30 00:00): the table was overdue; the kettle had 1 business hour left
    assert (doc["open_overdue"], doc["open_at_risk"]) == (1, 1)
    # lead times (business hours): 13.92 (sofa), 16.17 (fridge), 17.83 (deposit), 22.75 (boiler)
    assert doc["lead_time_p50_hours"] == pytest.approx(16 + 10 / 60, abs=0.01)
    assert doc["lead_time_p80_hours"] == pytest.approx(22.75, abs=0.01)

    ana, ben = doc["by_owner"]["ana"], doc["by_owner"]["ben"]
    assert set(doc["by_owner"]) == {"ana", "ben"}
    assert ana["counts"] == counts(kept=1, renegotiated=1, cancelled=1)
    assert (ana["on_time_rate"], ana["original_date_rate"], ana["broken_rate"]) == (1.0, 0.5, 0.0)
    assert ana["proactive_contact_rate"] == 1.0 and ana["csat_mean"] == 4.5 and ana["csat_count"] == 2
    assert (ana["complaints"], ana["open_overdue"], ana["open_at_risk"]) == (0, 0, 1)
    assert ben["counts"] == counts(late=1, broken=1)
    assert (ben["on_time_rate"], ben["broken_rate"], ben["proactive_contact_rate"]) == (0.0, 0.5, 0.5)
    assert (ben["csat_mean"], ben["csat_count"], ben["complaints"]) == (2.0, 1, 1)
    assert (ben["open_overdue"], ben["open_at_risk"]) == (1, 0)

    cats = doc["by_category"]
    assert set(cats) == {"callback", "delivery", "refund", "repair"}
    assert cats["delivery"]["counts"] == counts(kept=1, cancelled=1) and cats["delivery"]["open_overdue"] == 1
    assert cats["refund"]["counts"] == counts(renegotiated=1, broken=1) and cats["refund"]["on_time_rate"] == 0.5
    assert cats["repair"]["counts"] == counts(late=1) and cats["repair"]["open_at_risk"] == 1
    assert cats["callback"]["counts"] == counts() and cats["callback"]["on_time_rate"] is None


def test_report_defaults_to_this_month_with_risk_as_of_now(cli: Cli, week: dict[str, str]) -> None:
    doc = json.loads(cli("2026-12-01 10:00", "report", "--json"))
    assert doc["period"]["from"] == "2026-12-01T00:00:00+00:00"
    assert doc["counts"] == counts()  # the chairs closed on 30 November
    assert doc["on_time_rate"] is None and doc["proactive_contact_rate"] is None
    # now: the table and the kettle are overdue; the warranty call-back has gone 24 business hours unheard
    assert (doc["open_overdue"], doc["open_at_risk"]) == (2, 1)
    november = json.loads(cli("2026-12-01 10:00", "report", "--month", "2026-11", "--json"))
    assert november["counts"] == counts(kept=2, renegotiated=1, late=1, broken=1, cancelled=1)
    span = json.loads(cli("2026-12-01 10:00", "report", "--from", "2026-11-25", "--to", "2026-11-25", "--json"))
    assert span["counts"] == counts(renegotiated=1, late=1, broken=1)


def test_report_table_is_readable(cli: Cli, week: dict[str, str]) -> None:
    out = cli("2026-12-01 10:00", "report", "--week", "2026-W48")
    lines = out.splitlines()
    assert lines[0].startswith("Report 2026-W48: Mon 23 Nov 2026 – Sun 29 Nov 2026 (Europe/London)")
    overall = next(line for line in lines if line.startswith("overall")).split()
    assert overall[1:7] == ["4", "1", "1", "1", "1", "1"]  # closed, kept, reneg, late, broken, cancelled
    assert overall[7:11] == ["50%", "25%", "25%", "67%"]
    assert "by owner" in lines and "by category" in lines
    ben = next(line for line in lines if line.startswith("  ben")).split()
    assert ben[1] == "2" and ben[7] == "0%"
    callback = next(line for line in lines if line.startswith("  callback")).split()
    assert callback[7:11] == ["—"] * 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "there is no month 2026-13"),
        (["--week", "2026-W60"], "there is no ISO week 2026-W60"),
        (["--from", "2026-11-20", "--to", "2026-11-10"], "--from 2026-11-20 is after --to 2026-11-10"),
        (["--from", "yesterday"], "--from takes a date like 2026-11-23"),
        (["--month", "2026-11", "--week", "2026-W48"], "give one period"),
    ],
)
def test_bad_periods_exit_2_with_a_clear_message(cli: Cli, args: list[str], message: str) -> None:
    code, out, err = cli.run("2026-11-23 10:30", "report", *args)
    assert code == 2 and out == ""
    assert err.startswith("promisetrack: error: ") and message in err


def test_kudos_records_praise_and_counts_it(cli: Cli) -> None:
    out = cli("2026-11-23 10:30", "kudos", "Ben", "--note", "Sorted my refund in a day", "--from-customer",
              "Maria Lopez")
    assert out == "kudos for Ben (from Maria Lopez): Sorted my refund in a day — 1 in all\n"
    out = cli("2026-11-24 10:30", "kudos", "ben", "--note", "Covered my shift", user="ana")
    assert out == "kudos for ben (recorded by ana): Covered my shift — 2 in all\n"
    code, _, err = cli.run("2026-11-24 10:30", "kudos", "Ben", "--note", "   ")
    assert code == 2 and "note is required" in err
    desk = open_desk(cli.data, clock=FixedClock(datetime(2026, 11, 25, 9, tzinfo=TZ)), user="ana")
    assert [k["from_customer"] for k in desk.kudos_list()] == ["Maria Lopez", ""]
    measures = Measures(desk)
    people = {r.person.casefold(): r for r in measures.recognition(measures.period(week="2026-W48"))}
    assert (people["ben"].kudos, people["ben"].kudos_total) == (2, 2)


def test_add_and_list_never_import_the_export_code(cli: Cli) -> None:
    code = (
        "import sys; from promisetrack.cli import main\n"
        f"main(['--data', {str(cli.data)!r}, '--now', '2026-11-23 10:30', 'add', '--customer', 'A', "
        "'--what', 'B', '--due', 'fri'])\n"
        f"main(['--data', {str(cli.data)!r}, 'list'])\n"
        "print(sorted(m for m in ('promisetrack.export', 'xlsxwriter', 'csv') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.splitlines()[-1] == "[]"


# ---------------------------------------------------------------- the service behind it


@pytest.fixture
def archiving_desk(tmp_path: Path) -> tuple[Desk, FixedClock]:
    data = tmp_path / "archiving"
    write_settings(data, **{"archive_after_days = 14": "archive_after_days = 1"})
    clock = FixedClock(datetime(2026, 10, 19, 9, tzinfo=TZ))
    return open_desk(data, clock=clock, user="ana"), clock


def test_old_months_come_from_the_archive_and_only_the_months_needed_are_read(
    archiving_desk: tuple[Desk, FixedClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, clock = archiving_desk
    october, _ = desk.add("Maria", "Part arrives", "2026-10-20 17:00", category="delivery")
    straddling, _ = desk.add("Tom", "Refund", "2026-10-21 12:00", category="refund")
    clock.set(datetime(2026, 10, 20, 11, tzinfo=TZ))
    desk.done(october.id, csat=5)
    clock.set(datetime(2026, 11, 3, 10, tzinfo=TZ))
    desk.done(straddling.id)  # late, never told: broken, closed in November
    clock.set(datetime(2026, 11, 23, 10, 30, tzinfo=TZ))
    desk.add("Ana", "Call back", "2026-11-24 12:00")  # a write: both closed promises move to the archive
    assert desk.store.archive_months() == ["2026-10", "2026-11"]

    months_read: list[list[str]] = []
    read_months = desk.store.read_live_and_archived  # what the file store's read_closed reads the months with

    def spy(months: Any) -> list[dict[str, Any]]:
        months_read.append(list(months))
        return read_months(months)

    monkeypatch.setattr(desk.store, "read_live_and_archived", spy)
    measures = Measures(desk)
    report = measures.period_report(measures.period(month="2026-10"))
    assert report.overall.counts == counts(kept=1)
    # open at the end of October (Sun 1 Nov 00:00), overdue since 21 October, although it has closed since
    assert report.overall.open_overdue == 1 and report.by_category["refund"].open_overdue == 1
    assert months_read == [["2026-10", "2026-11"]]
    months_read.clear()
    week = measures.period_report(measures.period(week="2026-W48"))
    assert week.overall.counts == counts() and months_read == [["2026-11"]]  # October is not read
    assert [p.id for p in measures.closed_between(datetime(2026, 11, 1, tzinfo=TZ),
                                                  datetime(2026, 12, 1, tzinfo=TZ))] \
        == [straddling.id]
    assert months_read[-1] == ["2026-11"]


def test_trends_and_recurring_issues_through_the_desk(desk: Desk, clock: FixedClock) -> None:
    first, _ = desk.add("Maria", "Broken washing machine", "2026-11-24 17:00", category="repair", complaint=True)
    desk.add("Tom", "Washing machine leaks", "2026-11-25 17:00", category="repair", complaint=True)
    clock.set(datetime(2026, 11, 24, 12, tzinfo=TZ))
    desk.done(first.id)
    measures = Measures(desk)
    trends = measures.trends()
    assert [p.label for p in trends["weeks"]][-1] == "2026-W48" and len(trends["weeks"]) == 8
    assert trends["weeks"][-1].on_time_rate == 1.0 and trends["weeks"][0].on_time_rate is None
    assert [p.label for p in trends["months"]] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10",
                                                    "2026-11"]
    issues = measures.recurring_issues()
    assert [(r.name, r.total) for r in issues["categories"]] == [("repair", 2)]
    assert {r.name for r in issues["words"]} == {"washing", "machine"}
