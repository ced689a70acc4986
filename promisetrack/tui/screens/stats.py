"""The stats screen (``s``): this week and this month against the previous ones, the weekly trend of the on-time
and proactive-contact rates, figures per owner and per category, the recurring issues among complaints, and each
staff member against the desk's standards with their kudos.

The figures read the archive, so they are computed in a thread worker while a loading indicator shows; they are
computed again when the data file changes (the app's file watch calls ``data_changed``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Label, Static
from textual.worker import get_current_worker

from promisetrack import metrics
from promisetrack.errors import DataError, PromiseError
from promisetrack.measures import Measures
from promisetrack.metrics import Figures, Period, Recognition, Recurring, Report, TrendPoint
from promisetrack.service import Desk
from promisetrack.tui.screens.kinds import FollowsFigures, OwnKeys
from promisetrack.tui.widgets.figures_table import (
    BETTER,
    NONE,
    WORSE,
    FiguresTable,
    cell,
    csat_text,
    delta_cell,
    rate_text,
)
from promisetrack.tui.widgets.sparkline_panel import TrendPanel

log = logging.getLogger("promisetrack.tui")

PERIODS = ("this_month", "last_month", "this_week", "last_week")
PERIOD_NAMES = {"this_week": "this week", "last_week": "last week", "this_month": "this month",
                "last_month": "last month"}
FIGURE_COLUMNS = ("closed", "on-time", "orig", "broken", "proact", "csat (n)", "compl")

STATS_BINDINGS = [
    Binding("escape", "app.pop_screen", "Back", key_display="esc", tooltip="back to the board"),
    Binding("p", "next_period", "Period", tooltip="the period of the tables: this/last month, this/last week"),
    Binding("question_mark", "app.help", "Help", key_display="?", show=False, tooltip="the keys"),
]


@dataclass(frozen=True, slots=True)
class Stats:
    """Everything the screen shows, computed in one go from the Desk."""

    now: datetime
    version: object
    periods: dict[str, Period]
    reports: dict[str, Report]
    weekly: list[TrendPoint]
    recurring: dict[str, list[Recurring]]
    recognition: dict[str, list[Recognition]]
    kudos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # each period's kudos, to be read


def compute_stats(desk: Desk) -> Stats:
    """The four periods' reports and recognition, the weekly trend, the recurring issues (reads the archive)."""
    measures = Measures(desk)
    version, now, tz = desk.version(), desk.now(), desk.calendar.tz
    local = now.astimezone(tz)
    year, week, _ = local.isocalendar()
    this_week = measures.period(week=f"{year:04d}-W{week:02d}")
    this_month = measures.period(month=f"{local.year:04d}-{local.month:02d}")
    periods = {"this_week": this_week, "last_week": metrics.previous(this_week, tz),
               "this_month": this_month, "last_month": metrics.previous(this_month, tz)}
    return Stats(
        now=now, version=version, periods=periods,
        reports={key: measures.period_report(period) for key, period in periods.items()},
        weekly=measures.trends()["weeks"],
        recurring=measures.recurring_issues(),
        recognition={key: measures.recognition(period) for key, period in periods.items()},
        kudos={key: measures.kudos_in(period) for key, period in periods.items()},
    )


def kudos_texts(kudos: Sequence[dict[str, Any]]) -> Content:
    """What was said, newest first: ``ben — stayed late to ring the courier (customer Lena Park)``. A customer's
    nomination is told apart from a colleague's kudos."""
    if not kudos:
        return Content.styled("no kudos in this period", "dim")
    lines = []
    for k in reversed(kudos):
        source = f"customer {k['from_customer']}" if k.get("from_customer") else f"from {k.get('by', '')}"
        lines.append(Content.assemble((str(k["person"]), "bold"), " — ", str(k["note"]), (f" ({source})", "dim")))
    return Content("\n").join(lines)


# ---------------------------------------------------------------- rows of the tables

# The comparison: (label, the figure as text, the figure as a number for the change, kind, higher is better).
COMPARED = (
    ("on-time", lambda f: rate_text(f.on_time_rate), lambda f: f.on_time_rate, "rate", True),
    ("original date", lambda f: rate_text(f.original_date_rate), lambda f: f.original_date_rate, "rate", True),
    ("broken", lambda f: rate_text(f.broken_rate), lambda f: f.broken_rate, "rate", False),
    ("proactive contact", lambda f: rate_text(f.proactive_contact_rate), lambda f: f.proactive_contact_rate,
     "rate", True),
    ("csat mean (n)", lambda f: csat_text(f.csat_mean, f.csat_count), lambda f: f.csat_mean, "csat", True),
    ("complaints", lambda f: str(f.complaints), lambda f: f.complaints, "count", False),
    ("closed", lambda f: str(f.closed), lambda f: f.closed, "count", None),
)


def comparison_rows(s: Stats) -> list[list[Text]]:
    pairs = [(s.reports["this_week"].overall, s.reports["last_week"].overall),
             (s.reports["this_month"].overall, s.reports["last_month"].overall)]
    rows = []
    for label, text, number, kind, better in COMPARED:
        row = [cell(label)]
        for now, before in pairs:
            row += [cell(text(now), "bold", right=True), cell(text(before), right=True),
                    delta_cell(number(now), number(before), kind=kind, higher_is_better=better)]
        rows.append(row)
    return rows


def comparison_columns(s: Stats) -> list[str]:
    p = s.periods
    return ["", p["this_week"].label, p["last_week"].label, "Δ", p["this_month"].label, p["last_month"].label, "Δ"]


def figure_cells(f: Figures) -> list[Text]:
    return [
        cell(str(f.closed), right=True), cell(rate_text(f.on_time_rate), "bold", right=True),
        cell(rate_text(f.original_date_rate), right=True), cell(rate_text(f.broken_rate), right=True),
        cell(rate_text(f.proactive_contact_rate), right=True), cell(csat_text(f.csat_mean, f.csat_count), right=True),
        cell(str(f.complaints), right=True),
    ]


def group_rows(groups: dict[str, Figures]) -> list[list[Text]]:
    return [[cell(name), *figure_cells(f)] for name, f in groups.items()]


def weekly_counts(weekly: Sequence[int]) -> str:
    return " ".join("·" if n == 0 else str(n) for n in weekly)


def recurring_rows(items: Sequence[Recurring]) -> list[list[Text]]:
    return [[cell(r.name), cell(str(r.total), "bold", right=True), cell(str(r.weeks_seen), right=True),
             cell(weekly_counts(r.weekly), right=True)] for r in items]


def _meets(value: str, met: bool | None) -> Text:
    if met is None:
        return cell(NONE, "dim", right=True)
    return cell(f"{'✓' if met else '✗'} {value}", BETTER if met else WORSE, right=True)


def recognition_rows(people: Sequence[Recognition]) -> list[list[Text]]:
    rows = []
    for r in people:
        f = r.figures
        everything = r.meets_all
        rows.append([
            cell(r.person), cell(str(f.closed), right=True),
            _meets(rate_text(f.on_time_rate), r.on_time), _meets(rate_text(f.proactive_contact_rate), r.proactive),
            _meets(NONE if f.csat_mean is None else f"{f.csat_mean:.1f}", r.csat),
            cell(NONE if everything is None else ("✓ all" if everything else "✗"),
                 "dim" if everything is None else (f"bold {BETTER}" if everything else WORSE), right=True),
            cell(f"{r.kudos} ({r.kudos_total})" if r.kudos_total else "0", "bold" if r.kudos else "", right=True),
        ])
    return rows


# ---------------------------------------------------------------- the screen


class StatsScreen(FollowsFigures, OwnKeys, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(STATS_BINDINGS)

    period_key: reactive[str] = reactive("this_month", init=False)

    def __init__(self, desk: Desk) -> None:
        super().__init__(id="stats")
        self.desk = desk
        self.stats: Stats | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="stats-head")
        with VerticalScroll(id="stats-body"):
            yield Label("This week and this month so far, against the previous ones", classes="section")
            with Horizontal(classes="stats-pair"):
                yield FiguresTable(id="compare")
                yield TrendPanel(id="trends")
            yield Label("", id="owner-title", classes="section")
            yield FiguresTable(id="by-owner")
            yield Label("", id="category-title", classes="section")
            yield FiguresTable(id="by-category")
            with Horizontal(classes="stats-pair"):
                with Vertical(classes="stats-half"):
                    yield Label("Recurring issues: complaints of the last 8 weeks", classes="section")
                    yield FiguresTable(id="recurring-categories")
                    yield FiguresTable(id="recurring-words")
                with Vertical(classes="stats-half"):
                    yield Label("", id="recognition-title", classes="section")
                    yield FiguresTable(id="recognition")
                    yield Static("", id="standards", classes="hint")
                    yield Static("", id="kudos-texts")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#stats-body").focus()
        self.recompute()

    # ------------------------------------------------------------------ computing
    def recompute(self) -> None:
        self.query_one("#stats-body").loading = True
        self._compute()

    def data_changed(self) -> None:
        """The data file was read again: compute again if it changed since these figures."""
        if self.stats is not None and self.desk.version() != self.stats.version:
            self.recompute()

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def _compute(self) -> None:
        worker = get_current_worker()
        try:
            stats = compute_stats(self.desk)
        except Exception as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, exc)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, stats)

    def _failed(self, exc: Exception) -> None:
        if not self.is_attached:
            return
        message = exc.message if isinstance(exc, (PromiseError, DataError)) else f"{type(exc).__name__}: {exc}"
        log.error("computing the stats failed", exc_info=exc)
        self.query_one("#stats-body").loading = False
        self.query_one("#stats-head", Static).update(Content.styled(f"Stats could not be computed: {message}",
                                                                    "bold $error"))

    # ------------------------------------------------------------------ showing
    def _show(self, stats: Stats) -> None:
        if not self.is_attached:
            return
        self.stats = stats
        self.query_one("#compare", FiguresTable).fill(comparison_columns(stats), comparison_rows(stats))
        self.query_one(TrendPanel).show(stats.weekly)
        self.query_one("#recurring-categories", FiguresTable).fill(
            ["category", "total", "weeks", "by week, oldest first"], recurring_rows(stats.recurring["categories"]),
            empty="no category came back twice")
        self.query_one("#recurring-words", FiguresTable).fill(
            ["word", "total", "weeks", "by week, oldest first"], recurring_rows(stats.recurring["words"]),
            empty="no word came back twice")
        s = self.desk.settings
        self.query_one("#standards", Static).update(
            f"standards: on-time ≥ {s.standard_on_time * 100:.0f}% · proactive ≥ {s.standard_proactive * 100:.0f}% · "
            f"csat ≥ {s.standard_csat:g}   (— nothing to judge; kudos: in the period (all time))")
        self._show_period()
        self.query_one("#stats-body").loading = False
        if self.desk.version() != stats.version:  # a save landed while computing: these figures are already old
            self.recompute()

    def _show_period(self) -> None:
        """The tables that follow the chosen period: per owner, per category, recognition."""
        if self.stats is None:
            return
        key, stats = self.period_key, self.stats
        report, period = stats.reports[key], stats.periods[key]
        named = f"{PERIOD_NAMES[key]} ({period.label})"
        self.query_one("#owner-title", Label).update(f"By owner — {named}")
        self.query_one("#category-title", Label).update(f"By category — {named}")
        self.query_one("#recognition-title", Label).update(f"Recognition — {named}")
        empty = f"nothing closed {PERIOD_NAMES[key]}"
        self.query_one("#by-owner", FiguresTable).fill(["owner", *FIGURE_COLUMNS], group_rows(report.by_owner),
                                                       empty=empty)
        self.query_one("#by-category", FiguresTable).fill(["category", *FIGURE_COLUMNS],
                                                          group_rows(report.by_category), empty=empty)
        self.query_one("#recognition", FiguresTable).fill(
            ["person", "closed", "on-time", "proact", "csat", "all", "kudos"], recognition_rows(stats.recognition[key]),
            empty="no staff yet")
        self.query_one("#kudos-texts", Static).update(kudos_texts(stats.kudos.get(key, [])))
        tz = self.desk.calendar.tz
        self.query_one("#stats-head", Static).update(Content.assemble(
            ("Stats", "bold"), ("  by closing date, as of ", "dim"), (f"{stats.now.astimezone(tz):%a %d %b %H:%M}",
                                                                      "bold"),
            ("   p: ", "dim"), (named, "bold $accent"),
        ))

    def action_next_period(self) -> None:
        self.period_key = PERIODS[(PERIODS.index(self.period_key) + 1) % len(PERIODS)]

    def watch_period_key(self) -> None:
        self._show_period()
