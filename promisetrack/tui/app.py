"""PromiseTrackApp: the board and its screens, the keys and the command palette, the minute tick, the watch on
the data file, and the alerts (a toast and the bell when a promise turns at risk or overdue).

Every change goes through ``service.Desk``; reads of the data file and saves run in thread workers. The tick and
the file watch are wrapped so that an error becomes a toast (and a log line), never the end of the app.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from promisetrack import gctuning
from promisetrack.alerts import AlertKey, Reminders, alert_key, unacknowledged
from promisetrack.clock import OffsetClock
from promisetrack.errors import DataError, PromiseError
from promisetrack.model import Risk
from promisetrack.service import UNDO_ASK_AFTER, Desk, FirstBoard, FirstRead, Row, UndoPreview, board_key
from promisetrack.store import Watch
from promisetrack.tui.screens.board import BOARD_BINDINGS, BoardScreen
from promisetrack.tui.screens.kinds import (
    BoardKeys,
    FollowsEveryRead,
    FollowsFigures,
    OnARow,
    OwnKeys,
    ShowsAlerts,
    ShowsTheBoard,
)

if TYPE_CHECKING:  # the other screens are imported when first opened: the board's start imports only what it shows
    from promisetrack.tui.screens.forms import FormScreen, Saved

T = TypeVar("T")
ROLE_PLAY_STEP = timedelta(hours=1)
_SEVERITY = {Risk.OVERDUE: 0, Risk.AT_RISK: 1, Risk.WAITING: 2, Risk.OK: 2}  # waiting is no worse than ok
_NOT_READ = object()  # the version before the first read (the data file may not exist: version None)


def turned_worse(old: Risk | None, new: Risk | None) -> bool:
    """Did a promise we already knew become at risk or overdue?"""
    if old is None or new is None:
        return False
    return new in (Risk.AT_RISK, Risk.OVERDUE) and _SEVERITY[new] < _SEVERITY[old]


def palette_title(binding: Binding) -> str:
    """``Reschedule — agree a new due with the customer``: found by the action's name or by what it does."""
    return f"{binding.description} — {binding.tooltip}"


class PromiseTrackApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "promisetrack"
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (30, "-tall")]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]

    def __init__(self, desk: Desk, *, watch_every: float = 1.0, first: FirstRead | None = None,
                 collect_after_start: bool = False) -> None:
        """``first``: the board as already read (``board_app`` reads it before the screen opens); else it is read
        when the board mounts. ``collect_after_start``: Python's cycle collector was paused for the start (by
        ``board_app``) and is to run again once the first frame is up."""
        super().__init__()
        self.desk = desk
        self.watch_every = watch_every
        self.board = BoardScreen(desk, on_ready=self._start)
        self.rows: list[Row] = []
        self.by_id: dict[int, Row] = {}
        self.levels: dict[int, Risk | None] = {}
        self.version: object = _NOT_READ
        self.partial = False  # only the board's first rows are shown yet (Desk.first_board): the rest follow
        self.minute_timer: Timer | None = None
        self.watch_timer: Timer | None = None
        self._first = first
        self.collect_after_start = collect_after_start
        self._last_error = ""
        self.reminders = Reminders(desk.calendar, desk.settings.remind_every_minutes * 60)
        self.raised: dict[AlertKey, datetime] = {}  # when this board saw each at-risk alert come up
        self.offline = ""  # why the database cannot be reached, while it cannot
        if desk.settings.theme in self.available_themes:  # as last chosen in the command palette
            self.theme = desk.settings.theme

    def get_default_screen(self) -> Screen[None]:
        return self.board

    @property
    def can_advance(self) -> bool:
        """May the clock be moved on (role-play)? Only a fixed or ``--now`` clock, never the real one."""
        return callable(getattr(self.desk.clock, "advance", None))

    def _start(self) -> None:
        """The board's widgets exist: fill them before the first frame, and start the timers."""
        self.board.role_play = self.can_advance
        self.theme_changed_signal.subscribe(self, self._keep_theme)  # from here on, a theme chosen is kept
        first, self._first = self._first, None
        if first is None:
            first = self.desk.first_read(self.size.height)
        version, now, board = first
        self._apply(board.rows, now, version, alert=False, first=board)
        if board.complete:
            self._startup_alert(now)
        else:  # a screenful and the counts are up (every overdue promise among them): the alert after the first frame
            self.call_after_refresh(self._startup_alert, now)
        self.call_after_refresh(self._complete)
        watch = self.desk.watch()
        if watch is None:  # the files: a stat of the live file about once a second
            self.watch_timer = self.set_interval(self.watch_every, self.watch_file)
        else:  # a database tells of every change as it commits: no polling
            self.listen(watch)
        self._schedule_minute()
        if _minute(self.desk.now()) != _minute(now):  # read before a minute turned: catch up after the first frame
            self.call_after_refresh(self.tick)
        self.call_after_refresh(self._resume_collector)

    def _complete(self) -> None:
        """After the first frame: the whole board, read again in a worker (``refresh_board``) — when only its first
        rows are shown, or when this process has not read the data file itself (the first read ran ahead in another
        process: the tick needs this desk's own read)."""
        if self.partial or self.desk.changed():
            self.refresh_board(alert=False)

    def _resume_collector(self) -> None:
        """The first frame is up: what the start built (the promises, the table's cells, the widgets) is frozen out
        of the cycle collector's way, and the collector runs again for the hours the board stays open. Most of it
        lives as long as the board; rows dropped later hold no cycles and are freed by reference counting (only a
        start-time widget removed later, such as the footer's keys, waits for the board to close)."""
        if self.collect_after_start:
            self.collect_after_start = False
            gctuning.resume_after_start()

    # ------------------------------------------------------------------ keeping current
    def _schedule_minute(self) -> None:
        """The first tick on the next minute of the desk's clock, then one a minute."""
        now = self.desk.now()
        delay = 60.0 - now.second - now.microsecond / 1e6
        self.set_timer(delay + 0.05, self._start_minute)

    def _start_minute(self) -> None:
        self.tick()
        self.minute_timer = self.set_interval(60, self.tick)

    def tick(self) -> None:
        """The minute tick: ``Desk.reassess`` looks again at the promises whose moment has come
        (``Assessment.recheck_at``); the board redraws the cells whose text changed — the due in words moves on
        every minute near a due, whatever the risk — and alerts on any promise that turned at risk or overdue."""
        try:
            if self.desk.version() != self.version or self.partial or self.desk.changed():
                # another desk saved, or the rest of the first read is not in yet: read the board (in a worker)
                self.refresh_board()
                return
            now = self.desk.now()
            changed = self.desk.reassess(self.by_id, now)
            rows = [self.by_id[r.promise.id] for r in self.rows]
            if any(self.by_id[pid].risk is not self.levels.get(pid) for pid in changed):
                rows.sort(key=board_key)  # a level changed: the order may have
            self._show(rows, now, alert=True)
            for screen in self._screens_of(FollowsEveryRead):
                screen.reload(full=False)
            self._last_error = ""
        except Exception as exc:
            self.report("the minute tick", exc)

    def watch_file(self) -> None:
        """About once a second: has anyone (another terminal, a CLI command) saved? Then read in a worker."""
        try:
            if self.desk.version() != self.version and not self._reading():
                self.refresh_board()
        except Exception as exc:
            self.report("watching the data file", exc)

    @work(thread=True, exclusive=True, group="listen", exit_on_error=False)
    def listen(self, watch: Watch) -> None:
        """Hear other desks' changes as they commit (a database's NOTIFY) and show them; when the connection is lost,
        say so, keep trying, and read everything again once back (what happened meanwhile was not heard)."""
        worker = get_current_worker()
        try:
            while not worker.is_cancelled:
                try:
                    changed = watch.wait(self.watch_every)
                except DataError as exc:
                    self.call_from_thread(self._set_offline, exc.message)
                    worker_pause(worker, self.watch_every)
                    continue
                if self.offline:
                    self.call_from_thread(self._set_offline, "")
                if changed and not worker.is_cancelled:
                    self.call_from_thread(self.refresh_board)
        finally:
            watch.close()

    def _set_offline(self, reason: str) -> None:
        """``reason``: why the store cannot be reached (the banner shows it); "" when it is back."""
        self.offline = reason
        self.board.show_offline(reason)

    def _reading(self) -> bool:
        return any(w.group == "board" and not w.is_finished for w in self.workers)

    @work(thread=True, exclusive=True, group="board", exit_on_error=False)
    def refresh_board(self, alert: bool = True, select: int | None = None) -> None:
        """Read the data file again (in a thread) and show what changed."""
        worker = get_current_worker()
        try:
            version = self.desk.version()
            now = self.desk.now()
            rows = self.desk.board(now)
        except Exception as exc:
            self.call_from_thread(self.report, "reading the data file", exc)
            return
        if not worker.is_cancelled:
            self.call_from_thread(self._apply, rows, now, version, alert, select)

    def _apply(self, rows: list[Row], now: datetime, version: object, alert: bool = True,
               select: int | None = None, first: FirstBoard | None = None) -> None:
        self.version = version
        self._show(rows, now, alert=alert, first=first)
        if select is not None:
            self.board.table.select_pid(select)
        for screen in self._screens_of(FollowsEveryRead):
            screen.reload()
        for figures in self._screens_of(FollowsFigures):
            figures.data_changed()
        self._last_error = ""

    def _show(self, rows: list[Row], now: datetime, *, alert: bool, first: FirstBoard | None = None) -> None:
        """Show ``rows`` (the whole board; with ``first``, its first rows only, the rest to follow)."""
        self.partial = first is not None and not first.complete
        ring = alert and self._alert([r for r in rows if turned_worse(self.levels.get(r.promise.id), r.risk)], now)
        self.levels = {r.promise.id: r.risk for r in rows}
        self.rows = rows
        self.by_id = {r.promise.id: r for r in rows}
        self._note_raised(rows, now)
        self.board.unacknowledged = unacknowledged(rows)
        self.board.show(rows, now, first)
        for shown in self._screens_of(ShowsTheBoard):
            shown.show(rows, now)
        for panel in self._screens_of(ShowsAlerts):
            panel.show(rows, self.raised, now)
        if alert:
            ring = self._remind(self.reminders.due(rows, now)) or ring
        if ring:
            self.bell()  # once, however many alerts and reminders came up together

    def _note_raised(self, rows: Iterable[Row], now: datetime) -> None:
        """When each alert came up, as far as this board knows: first seen (at the start: the start)."""
        keys = {key for r in rows if (key := alert_key(r)) is not None}
        self.raised = {key: self.raised.get(key, now) for key in keys}

    def _alert(self, turned: list[Row], now: datetime) -> bool:
        """A promise turned at risk or overdue: its alert comes up — a toast (one for several). Ring the bell?"""
        for row in turned:
            if (key := alert_key(row)) is not None:
                self.raised[key] = now
        if len(turned) == 1:
            row = turned[0]
            p = row.promise
            overdue = row.risk is Risk.OVERDUE
            reasons = row.assessment.reasons if row.assessment else ()
            self.notify(
                f"{p.id} {p.customer.name} — {p.what}\n{'; '.join(reasons)}",
                title="Now overdue" if overdue else "Now at risk",
                severity="error" if overdue else "warning", timeout=20, markup=False,
            )
        elif turned:
            overdue = any(r.risk is Risk.OVERDUE for r in turned)
            self.notify(f"{_names(turned)}\nspace acknowledges, ! lists every alert",
                        title=f"{len(turned)} promises turned at risk or overdue",
                        severity="error" if overdue else "warning", timeout=20, markup=False)
        return bool(turned)

    def _startup_alert(self, now: datetime) -> None:
        """Once per start: every promise already overdue whose alert nobody acknowledged (nor snoozed)."""
        if self._remind(self.reminders.due(self.rows, now, start=True), title="overdue, not acknowledged"):
            self.bell()

    def _remind(self, rows: list[Row], title: str = "still overdue, not acknowledged") -> bool:
        """One toast for every reminder that falls due together ("3 promises need you"). Ring the bell?"""
        if not rows:
            return False
        if len(rows) == 1:
            p = rows[0].promise
            self.notify(f"{p.id} {p.customer.name} — {p.what}\nspace acknowledges it, z snoozes it",
                        title=f"{p.id} {title}", severity="error", timeout=30, markup=False)
        else:
            self.notify(f"{_names(rows)}\n{title} — ! lists them, space acknowledges",
                        title=f"{len(rows)} promises need you", severity="error", timeout=30, markup=False)
        return True

    def _screens_of(self, kind: type[T]) -> list[T]:
        """The open screens of a kind (``kinds.py``), bottom first."""
        return [s for s in self.screen_stack if isinstance(s, kind)]

    def report(self, doing: str, exc: BaseException) -> None:
        """An error in the background: logged, and shown once as a toast (not again every second)."""
        message = exc.message if isinstance(exc, (PromiseError, DataError)) else f"{type(exc).__name__}: {exc}"
        self.log.error(f"{doing} failed:\n{''.join(traceback.format_exception(exc))}")
        if message != self._last_error:
            self._last_error = message
            self.notify(f"{doing} failed: {message}", title="Problem", severity="error", timeout=15, markup=False)

    # ------------------------------------------------------------------ actions
    # Each screen's module is imported when the screen is first opened: the board's start imports only the board.
    def current_row(self) -> Row | None:
        screen = self.screen
        if isinstance(screen, OnARow):
            return screen.current_row
        pid = self.board.cursor_pid
        return self.board.by_id.get(pid) if pid is not None else None

    def _open_row(self, doing: str) -> Row | None:
        row = self.current_row()
        if row is None:
            self.notify(f"No promise to {doing}: the list is empty.", severity="warning")
        elif not row.promise.is_open:
            self.notify(f"Promise {row.promise.id} is {row.promise.status.value}; it cannot be {doing}ed.",
                        severity="warning")
            return None
        return row

    def _form(self, doing: str, make: Callable[[Desk, Row], FormScreen]) -> None:
        row = self._open_row(doing)
        if row is not None:
            self.push_screen(make(self.desk, row), self.saved)

    def action_new(self) -> None:
        from promisetrack.tui.screens.new_promise import NewPromiseForm

        self.push_screen(NewPromiseForm(self.desk), self.saved)

    def action_contact(self) -> None:
        from promisetrack.tui.screens.forms import ContactForm

        self._form("contact", ContactForm)

    def action_reschedule(self) -> None:
        from promisetrack.tui.screens.forms import RescheduleForm

        self._form("reschedul", RescheduleForm)

    def action_done(self) -> None:
        from promisetrack.tui.screens.forms import DoneForm

        self._form("finish", DoneForm)

    def action_cancel(self) -> None:
        from promisetrack.tui.screens.forms import CancelForm

        self._form("cancel", CancelForm)

    def action_reassign(self) -> None:
        from promisetrack.tui.screens.forms import ReassignForm

        self._form("reassign", ReassignForm)

    def action_flag(self) -> None:
        from promisetrack.tui.screens.forms import FlagForm, UnflagForm

        self._form("flag", lambda desk, row: (UnflagForm if row.promise.blocked else FlagForm)(desk, row))

    def action_wait(self) -> None:
        from promisetrack.tui.screens.waiting import wait_or_resume

        self._form("wait on the customer for", wait_or_resume)

    def action_complaint(self) -> None:
        """Set or clear the complaint: of a closed promise too (from its detail), as a complaint comes late."""
        from promisetrack.tui.screens.complaint import complaint_form

        row = self.current_row()
        if row is None:
            self.notify("No promise to mark a complaint on: the list is empty.", severity="warning")
        else:
            self.push_screen(complaint_form(self.desk, row), self.saved)

    def _alerting_row(self, doing: str) -> Row | None:
        row = self._open_row(doing)
        if row is not None and alert_key(row) is None:
            shown = row.risk.value.replace("_", " ") if row.risk else "closed"
            self.notify(f"Promise {row.promise.id} has no alert to {doing}: it is {shown}.", severity="warning")
            return None
        return row

    def action_acknowledge(self) -> None:
        row = self._alerting_row("acknowledge")
        if row is not None:
            key = alert_key(row)  # an overdue alert came up at the due (the service's default); an at-risk one when
            raised = self.raised.get(key) if key and row.risk is Risk.AT_RISK else None  # this board saw it turn
            self._acknowledge(row.promise.id, raised)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _acknowledge(self, pid: int, raised: datetime | None) -> None:
        try:
            self.desk.acknowledge(pid, raised)
        except (PromiseError, DataError) as exc:
            self.notify(exc.message, title="Acknowledge", severity="warning", markup=False)
            return
        self.notify(f"{pid}: alert acknowledged — it is yours, {self.desk.user}", title="Acknowledged", markup=False)
        self.call_from_thread(self.refresh_board, False, pid)

    def action_snooze(self) -> None:
        from promisetrack.tui.screens.waiting import SnoozeForm

        row = self._alerting_row("snooze")
        if row is not None:
            self.push_screen(SnoozeForm(self.desk, row), self.saved)

    def action_alerts(self) -> None:
        from promisetrack.tui.screens.alerts import AlertsScreen

        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen(self.desk.calendar.tz, self.rows, self.raised,
                                          self.board.now or self.desk.now()))

    def action_detail(self) -> None:
        from promisetrack.tui.screens.detail import DetailScreen

        row = self.current_row()
        if row is not None and not isinstance(self.screen, DetailScreen):
            self.push_screen(DetailScreen(self.desk, row.promise.id))

    def action_review(self) -> None:
        from promisetrack.tui.screens.review import ReviewScreen

        if not isinstance(self.screen, ReviewScreen):
            self.push_screen(ReviewScreen(self.desk, self.rows, self.board.now or self.desk.now(),
                                          changed=partial(self.refresh_board, False)))

    def action_stats(self) -> None:
        from promisetrack.tui.screens.stats import StatsScreen

        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen(self.desk))

    def action_kudos(self) -> None:
        """Praise for a colleague, from a customer or a colleague: the form starts empty."""
        from promisetrack.tui.screens.kudos import KudosForm

        # Nothing pre-filled: the highlighted row's owner (often yourself) and customer were rarely the ones praised,
        # and a form that guesses wrong gets saved wrong.
        owners = [r.promise.owner for r in self.rows]
        self.push_screen(KudosForm(self.desk, owners=owners), self.saved)

    def action_help(self) -> None:
        from promisetrack.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_advance(self) -> None:
        if not self.can_advance:
            self.notify("The clock is the real one. Role-play (t) needs --demo or --now.", severity="warning")
            return
        moment = self.desk.clock.advance(ROLE_PLAY_STEP)  # type: ignore[attr-defined]
        self.notify(f"Role-play: the clock is now {moment.astimezone(self.desk.calendar.tz):%a %d %b %H:%M}")
        self.tick()

    def action_undo(self) -> None:
        """Undo your last change: at once if it is recent, else after saying what it is and asking (ConfirmUndo)."""
        try:
            preview = self.desk.undo_preview()
        except (PromiseError, DataError) as exc:
            self.notify(exc.message, title="Undo", severity="warning", markup=False)
            return
        now = self.desk.now()
        if preview.age(now) <= UNDO_ASK_AFTER:
            self._undo(preview)
            return
        from promisetrack.tui.screens.confirm import ConfirmUndo

        self.push_screen(ConfirmUndo(preview, now, self.desk.calendar.tz),
                         lambda yes: self._undo(preview) if yes else None)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _undo(self, preview: UndoPreview) -> None:
        """Undo exactly the change previewed (if another became the latest meanwhile, nothing is undone)."""
        try:
            message = self.desk.undo(expect=preview)
        except (PromiseError, DataError) as exc:
            self.notify(exc.message, title="Undo", severity="warning", markup=False)
            return
        self.notify(message, title="Undo", markup=False)
        self.call_from_thread(self.refresh_board, False)

    def _keep_theme(self, theme: object) -> None:
        """A theme was chosen (command palette): keep it in settings.toml for the next start."""
        name = getattr(theme, "name", "")
        if name and name != self.desk.settings.theme:
            self._save_theme(name)

    @work(thread=True, exclusive=True, group="theme", exit_on_error=False)
    def _save_theme(self, name: str) -> None:
        try:
            self.desk.save_theme(name)
        except DataError as exc:
            self.notify(exc.message, title="Theme", severity="warning", markup=False)

    def saved(self, saved: Saved | None) -> None:
        """A form closed: say what was done, show the reality check's warnings, show the change."""
        if saved is None:
            return
        self.notify(saved.message, markup=False)
        if saved.warnings:
            self.notify("\n".join(saved.warnings), title="Reality check", severity="warning", markup=False)
        self.refresh_board(alert=False, select=saved.pid)

    # ------------------------------------------------------------------ command palette
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        if isinstance(screen, BoardScreen | BoardKeys):
            for binding in screen.BINDINGS:
                if binding in BOARD_BINDINGS and binding.action != "app.quit":  # type: ignore[comparison-overlap]
                    yield SystemCommand(palette_title(binding), f"key {binding.key_display or binding.key}",
                                        partial(self.run_action, binding.action, screen))
        if isinstance(screen, OwnKeys):
            for binding in screen.BINDINGS:
                if isinstance(binding, Binding) and binding.tooltip and binding.action != "app.help":
                    yield SystemCommand(palette_title(binding), f"key {binding.key_display or binding.key}",
                                        partial(self.run_action, binding.action, screen))
        yield from super().get_system_commands(screen)


def worker_pause(worker: Worker[None], seconds: float) -> None:
    """Wait ``seconds`` in a thread worker, or less if it is cancelled (the board is closing)."""
    end = time.monotonic() + seconds
    while not worker.is_cancelled and time.monotonic() < end:
        time.sleep(0.05)


def _names(rows: list[Row], shown: int = 5) -> str:
    """``1001 Bo, 1002 Ana Lima, … and 4 more``."""
    names = ", ".join(f"{r.promise.id} {r.promise.customer.name}" for r in rows[:shown])
    return names + (f" and {len(rows) - shown} more" if len(rows) > shown else "")


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def board_app(desk: Desk, *, role_play: bool = False,
              first: Callable[[], FirstRead] | None = None) -> PromiseTrackApp:
    """The board on ``desk`` with its first read done — a corrupt or unreadable data file stops here, with the
    CLI's message, before the screen opens — and that read handed to the board rather than made again. ``first``:
    that read, when it was started already (``promisetrack.ahead``); else ``Desk.first_read`` runs here.

    Python's cycle collector is paused from here to the first frame (``gctuning``: the start builds a few hundred
    thousand objects, none garbage). The app starts it again once the first frame is up (``collect_after_start``);
    ``run_board`` makes sure of it.

    ``role_play`` (the demo): the clock may be moved on with ``t`` even when it started as the real one.
    """
    if role_play and not callable(getattr(desk.clock, "advance", None)):
        desk.clock = OffsetClock(desk.now(), desk.clock)
    collecting = gctuning.pause_for_start()
    try:
        read = first() if first is not None else desk.first_read()
    except BaseException:
        if collecting:
            gctuning.resume()
        raise
    return PromiseTrackApp(desk, first=read, collect_after_start=collecting)


def run_board(desk: Desk, *, role_play: bool = False, first: Callable[[], FirstRead] | None = None) -> int:
    """Open the board on ``desk`` until the user quits; the exit status for the CLI."""
    app = board_app(desk, role_play=role_play, first=first)
    try:
        app.run()
    finally:
        if app.collect_after_start:  # the app ended before its first frame
            gctuning.resume()
    return app.return_code or 0
