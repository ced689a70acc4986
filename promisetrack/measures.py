"""Measures: the figures of a period over a desk — a period's report and the promises behind it, the promises open
at a past moment as they stood then, the trends, the recurring issues, recognition and the kudos of a month.

A module of its own because it is where ``metrics`` comes in: the commands and screens that show figures (``report``,
``export``, ``kudos``, the stats screen) import it, and ``add``, ``list`` and ``done`` never do, so they never import
``metrics`` (``tests/reliability/test_fast_paths.py``). It reads the store only through the ``Desk``, the one door.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from promisetrack import history, metrics
from promisetrack.errors import PromiseError
from promisetrack.metrics import Period, Recognition, Recurring, Report, TrendPoint
from promisetrack.model import Promise
from promisetrack.risk import assess, build_context
from promisetrack.service import Desk, Row, board_key


@dataclass(frozen=True, slots=True)
class PeriodDetail:
    """What a report or an export of a period needs: the figures and the promises behind them."""

    report: Report
    closed: list[Row]
    open: list[Row]
    as_of: datetime
    kudos: tuple[dict[str, Any], ...] = ()  # recorded in the period: colleagues' kudos and customers' nominations
    shops: tuple[str, ...] = ()  # the chain's shops when the desk sees several (exports add a shop column); else ()


class Measures:
    """The figures of periods over one ``desk``, per its clock, calendar and settings."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def period(
        self, *, month: str | None = None, week: str | None = None, first: str | None = None, last: str | None = None
    ) -> Period:
        """The period of ``--month``, ``--week`` or ``--from/--to`` in the desk's zone (default: this month)."""
        desk = self.desk
        return metrics.parse_period(desk.now(), desk.calendar.tz, month=month, week=week, first=first, last=last)

    def last_week(self) -> Period:
        """The ISO week just ended, per the desk's clock."""
        return metrics.previous_week(self.desk.now(), self.desk.calendar.tz)

    def closed_between(self, start: datetime, end: datetime) -> list[Promise]:
        """Promises closed (done or cancelled) in ``[start, end)``, reading only the archive months needed."""
        return metrics.closed_in(self.desk.live_and_archived(start, end), Period("", start, end))

    def open_rows_at(self, moment: datetime, pool: Iterable[Promise] | None = None) -> list[Row]:
        """The promises open at ``moment`` as they stood then, with their risk then, in board order.

        From ``now`` on, that is the board. Before, each promise's state is replayed from its events before
        ``moment`` and assessed against the load and lead times of that moment. ``pool``: the promises to replay
        (they must reach back to the lead-time window ending at ``moment``); by default read from the desk.
        """
        desk = self.desk
        now = desk.now()
        if moment >= now:
            return desk.board(now)
        if pool is None:
            pool = desk.live_and_archived(self._lead_window_start(moment), now)
        states = [s for p in pool if (s := metrics.state_at(p, moment)) is not None]
        open_ = [s for s in states if s.is_open]
        closed = [s for s in states if not s.is_open]
        context = build_context(
            open_, closed, desk.calendar, desk.settings,
            leads=history.promises_in_window(closed, moment, desk.settings, desk.calendar),
            repeat_breakers=history.repeat_breakers_among(closed, {s.customer.id for s in open_}),
        )
        return sorted((Row(s, assess(s, moment, context)) for s in open_), key=board_key)

    def _lead_window_start(self, moment: datetime) -> datetime:
        """Where the lead-time window ending at ``moment`` starts (a past moment's pool reaches back that far)."""
        return moment - timedelta(days=self.desk.settings.lead_window_days)

    def _shop_choice(self, shop: str | None) -> tuple[str | None, list[str]]:
        """``--shop``: the shop asked for (checked) and the shops seen; None for all of them."""
        shops = self.desk.shops()
        if shop is None:
            return None, shops
        if shop in shops:
            return shop, shops
        if not shops:
            raise PromiseError(f"--shop {shop}: this desk sees one shop only (a data dir, or one shop's login), "
                               "so there is nothing to choose")
        raise PromiseError(f"--shop {shop}: no such shop here; the shops are {', '.join(shops)}")

    def period_detail(self, period: Period, shop: str | None = None) -> PeriodDetail:
        """A period's report, its closed promises and the promises open at its end (or now, if it has not ended);
        of one shop of the chain if ``shop`` names one. Risk is assessed on everything this desk sees before the
        rows are chosen, so a shop's rows show the risk the board shows."""
        shop, shops = self._shop_choice(shop)
        desk = self.desk
        now = desk.now()
        as_of = min(period.end, now)
        start = period.start if as_of >= now else min(period.start, self._lead_window_start(as_of))
        pool = desk.live_and_archived(start, max(period.end, now))
        open_rows = self.open_rows_at(as_of, pool)
        closed = sorted(metrics.closed_in(pool, period), key=lambda p: (p.closed_at or p.due, p.id))
        if shop is not None:
            open_rows = [r for r in open_rows if r.promise.shop == shop]
            closed = [p for p in closed if p.shop == shop]
        report = metrics.figures(closed, period, desk.calendar, open_rows, shops=() if shop else shops)
        kudos = tuple(self.kudos_in(period))
        return PeriodDetail(report, [Row(p, None) for p in closed], open_rows, as_of, kudos,
                            shops=() if shop else tuple(shops))

    def period_report(self, period: Period, shop: str | None = None) -> Report:
        return self.period_detail(period, shop).report

    def trends(self, weeks: int = 8, months: int = 6) -> dict[str, list[TrendPoint]]:
        """On-time and proactive-contact rates of the last ``weeks`` ISO weeks and ``months`` months (oldest first)."""
        now, tz, cal = self.desk.now(), self.desk.calendar.tz, self.desk.calendar
        week_periods = metrics.recent_weeks(now, tz, weeks)
        month_periods = metrics.recent_months(now, tz, months)
        start = min(week_periods[0].start, month_periods[0].start)
        pool = self.closed_between(start, max(week_periods[-1].end, month_periods[-1].end))
        return {"weeks": metrics.trend(pool, week_periods, cal), "months": metrics.trend(pool, month_periods, cal)}

    def recurring_issues(self, weeks: int = 8, min_total: int = 2) -> dict[str, list[Recurring]]:
        """Categories and words of complaint promises that keep coming back over the last ``weeks`` weeks."""
        periods = metrics.recent_weeks(self.desk.now(), self.desk.calendar.tz, weeks)
        pool = self.desk.live_and_archived(periods[0].start, periods[-1].end)
        return metrics.recurring_issues(pool, periods, min_total=min_total)

    def recognition(self, period: Period) -> list[Recognition]:
        """Each staff member against the desk's standards in the period, with kudos received."""
        desk = self.desk
        return metrics.recognition(
            self.closed_between(period.start, period.end), period, desk.calendar,
            metrics.Standards.from_settings(desk.settings), desk.kudos_list(), desk.settings.staff,
        )

    def kudos(self, person: str | None = None, month: str | None = None) -> list[dict[str, Any]]:
        """The kudos recorded, oldest first: of one ``person`` (any case), in one ``month`` (YYYY-MM, desk's zone)."""
        found = self.desk.kudos_list(person)
        return found if month is None else _recorded_in(found, self.period(month=month))

    def kudos_in(self, period: Period) -> list[dict[str, Any]]:
        """The kudos recorded in ``period``, oldest first: colleagues' kudos and customers' nominations."""
        return _recorded_in(self.desk.kudos_list(), period)


def _recorded_in(kudos: Iterable[dict[str, Any]], period: Period) -> list[dict[str, Any]]:
    """Those of ``kudos`` recorded in ``period``."""
    return [k for k in kudos if period.contains(datetime.fromisoformat(k["at"]))]
