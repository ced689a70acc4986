"""A chain of shops on one database: every promise record carries its shop (kept by the server, not the client); a
supervisor's report has a "by shop" group and ``--shop`` for one shop, the export a shop column, calendar UIDs unique
across shops, and the review groups by shop with ``h`` to show one shop at a time. Staff of one shop, and a data dir,
show no shop anywhere."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from promisetrack.clock import FixedClock
from promisetrack.export import columns
from promisetrack.measures import Measures
from promisetrack.service import Desk, open_desk
from promisetrack.store.postgres import PostgresStore
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens.review import ReviewScreen
from tests.conftest import MONDAY, at
from tests.store.conftest import PgServer, staff_url
from tests.store.test_postgres import cli
from tests.tui.conftest import SIZE


class Chain:
    """Two shops, north (Ana) and south (Ben), and a supervisor (Sam) in the default shop."""

    def __init__(self, pg: PgServer, db: str, data: Path) -> None:
        self.db, self.data = db, data
        self.north, _ = staff_url(pg, db, "Ana North", shop="north")
        self.south, _ = staff_url(pg, db, "Ben South", shop="south")
        self.supervisor, _ = staff_url(pg, db, "Sam Boss", supervisor=True)
        self.desks: list[Desk] = []

    def desk(self, url: str, clock: FixedClock | None = None) -> Desk:
        desk = open_desk(self.data, db=url, clock=clock or FixedClock(MONDAY))
        self.desks.append(desk)
        return desk

    def close(self) -> None:
        for desk in self.desks:
            desk.store.close()  # type: ignore[attr-defined]


@pytest.fixture
def chain(pg: PgServer, pg_db: str, data_dir: Path) -> Chain:
    found = Chain(pg, pg_db, data_dir)
    clock = FixedClock(at(20, 10))  # Friday: each shop makes promises, one of them kept by Monday
    north, south = found.desk(found.north, clock), found.desk(found.south, clock)
    kept = north.add("Maria Lopez", "Call back", "2026-11-23 12:00")[0].id
    north.add("Olu Ade", "Swap the kettle", "2026-11-20 11:00")  # overdue by Monday
    south.add("Chen Wei", "Order the part", "2026-11-20 12:00")  # overdue by Monday
    south.add("Lena Park", "Refund", "2026-11-27 17:00")
    clock.set(at(20, 16))
    north.done(kept)
    clock.set(MONDAY)
    yield found
    found.close()


def test_records_carry_their_shop_and_a_client_cannot_move_one(chain: Chain) -> None:
    boss = chain.desk(chain.supervisor)
    assert boss.shops() == ["north", "south"]  # "main" holds only the supervisor: no shop of the chain
    closed = Measures(boss).closed_between(at(1, 0), at(30, 0))
    assert {p.id: p.shop for p in closed + [r.promise for r in boss.board()]} == {
        1001: "north", 1002: "north", 1003: "south", 1004: "south"}
    assert chain.desk(chain.north).shops() == []  # staff see one shop: nothing to tell apart
    store = PostgresStore(chain.north)
    try:
        with store.transaction() as tx:
            doc = dict(tx.promises[1002])
            assert doc["shop"] == "north"
            tx.put_promise({**doc, "shop": "south"})  # the record's shop is the row's: this writes nothing there
        assert store.fetch(1002)["shop"] == "north"  # type: ignore[index]
    finally:
        store.close()


def test_the_supervisors_report_has_each_shop_and_one_shop_on_asking(chain: Chain) -> None:
    result = cli("report", "--json", db=chain.supervisor, data=chain.data)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc["by_shop"]) == {"north", "south"}
    assert doc["by_shop"]["north"]["counts"]["closed"] == 1 and doc["by_shop"]["south"]["counts"]["closed"] == 0
    assert (doc["by_shop"]["north"]["open_overdue"], doc["by_shop"]["south"]["open_overdue"]) == (1, 1)
    assert doc["open_overdue"] == 2

    one = cli("report", "--shop", "south", "--json", db=chain.supervisor, data=chain.data)
    assert one.returncode == 0, one.stderr
    south = json.loads(one.stdout)
    assert (south["shop"], south["counts"]["closed"], south["open_overdue"]) == ("south", 0, 1)
    assert "by_shop" not in south
    assert set(south["by_owner"]) == {"Ben South"}

    text = cli("report", db=chain.supervisor, data=chain.data).stdout
    assert "by shop" in text and re.search(r"^\s+north\s", text, re.M)

    unknown = cli("report", "--shop", "east", db=chain.supervisor, data=chain.data)
    assert unknown.returncode == 2 and "the shops are north, south" in unknown.stderr
    staff = cli("report", "--json", db=chain.north, data=chain.data)
    assert staff.returncode == 0 and "by_shop" not in json.loads(staff.stdout)
    refused = cli("report", "--shop", "south", db=chain.north, data=chain.data)
    assert refused.returncode == 2 and "one shop only" in refused.stderr


def test_the_export_has_a_shop_column_and_uids_unique_across_shops(chain: Chain, tmp_path: Path) -> None:
    out = tmp_path / "boss"
    result = cli("export", "--week", "2026-W47", "--out", str(out), db=chain.supervisor, data=chain.data)
    assert result.returncode == 0, result.stderr
    with (out / "promises-2026-W47.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:2] == ["id", "shop"]
    assert sorted((r[0], r[1]) for r in rows[1:]) == [("1001", "north"), ("1002", "north"), ("1003", "south"),
                                                      ("1004", "south")]
    summary = (out / "summary-2026-W47.md").read_text(encoding="utf-8")
    assert "## By shop" in summary
    uids = re.findall(r"^UID:(\S+)", (out / "open-2026-W47.ics").read_text(encoding="utf-8"), re.M)
    assert len(uids) == 3 and len(set(uids)) == 3  # ids come from one sequence; the desk id is the database's

    north_out = tmp_path / "north"
    assert cli("export", "--week", "2026-W47", "--out", str(north_out), db=chain.north, data=chain.data
               ).returncode == 0
    with (north_out / "promises-2026-W47.csv").open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert "shop" not in header and header == columns()
    north_uids = re.findall(r"^UID:(\S+)", (north_out / "open-2026-W47.ics").read_text(encoding="utf-8"), re.M)
    assert set(north_uids) <= set(uids)  # one promise is one calendar event, whoever exports it


def test_a_data_dir_shows_no_shop(data_dir: Path, clock: FixedClock) -> None:
    desk = open_desk(data_dir, user="ana", clock=clock)
    desk.add("Maria Lopez", "Call back", "fri")
    assert desk.shops() == [] and desk.get(1001).shop == "" and "shop" not in desk.get(1001).to_dict()
    measures = Measures(desk)
    assert "by_shop" not in measures.period_report(measures.period()).as_json()
    assert "shop" not in columns()


async def test_the_review_groups_by_shop_and_shows_one_shop_at_a_time(chain: Chain) -> None:
    boss = chain.desk(chain.supervisor)
    app = PromiseTrackApp(boss)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert list(screen.groups) == ["north — Ana North", "south — Ben South"]
        await pilot.press("h")
        assert list(screen.groups) == ["north — Ana North"]
        assert "shop north" in str(screen.query_one("#review-head").render())
        await pilot.press("h")
        assert list(screen.groups) == ["south — Ben South"]
        await pilot.press("h")
        assert len(screen.groups) == 2
