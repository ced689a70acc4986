"""The supervisor's commands: ``report`` (a period's figures), ``export`` (the weekly files) and ``ics``."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from promisetrack.commands.output import file_json, json_line, pad, print_json, text_width
from promisetrack.export import export_week, follow_calendar, write_open_calendar
from promisetrack.measures import Measures
from promisetrack.metrics import TABLE_HEADINGS, Report, table_cells
from promisetrack.service import Desk


def _print_report(report: Report, desk: Desk, shop: str | None = None) -> None:
    period, tz = report.period, desk.calendar.tz
    whose = f" of the shop {shop}" if shop else ""
    print(f"Report {period.label}{whose}: {period.start:%a %d %b %Y} – {period.last_day:%a %d %b %Y} ({tz}), "
          "promises by the day they closed")
    rows = [("overall", table_cells(report.overall))]
    for title, groups in (("by shop", report.by_shop), ("by owner", report.by_owner),
                          ("by category", report.by_category)):
        if not groups and title == "by shop":  # a data dir, or one shop's login: no shop to tell apart
            continue
        rows.append((title, []))
        rows += [(f"  {name}", table_cells(figures)) for name, figures in groups.items()]
    widths = [max(len(h), *(len(cells[i]) for _, cells in rows if cells)) for i, h in enumerate(TABLE_HEADINGS)]
    name_width = min(24, max(text_width(name) for name, _ in rows) + 2)
    for name, cells in [("", list(TABLE_HEADINGS)), *rows]:
        text = " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=False))
        print(f"{pad(name, name_width)}{text}".rstrip())
    _print_waits_and_acks(report)
    print("on-time = (kept + reneg) / closed; orig = kept / closed; proact = (reneg + late) / (reneg + late + broken);")
    print("cancelled (canc) promises are in no rate; lead h = lead time p50/p80 in business hours;")
    print("overdue and at-risk count the promises open at the period's end (or now, if it has not ended).")


def _print_waits_and_acks(report: Report) -> None:
    """Waiting on the customer per category, and time to acknowledge an alert per owner (business time)."""
    _print_pairs("waiting on the customer, by category: promises that waited, business hours in all / median",
                 [(name, f.waited_count, f.waited_total_hours, f.waited_median_hours)
                  for name, f in report.by_category.items() if f.waited_count])
    _print_pairs("time to acknowledge an alert, by owner: alerts, business minutes median / p80",
                 [(name, f.ack_count, f.ack_p50_minutes, f.ack_p80_minutes)
                  for name, f in report.by_owner.items() if f.ack_count])


def _print_pairs(title: str, rows: list[tuple[str, int, float | None, float | None]]) -> None:
    """A titled list of ``name  count  a / b`` lines (nothing when there are no rows)."""

    def number(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    if rows:
        print(title)
        for name, count, first, second in rows:
            print(f"  {pad(name, 22)}{count:>5}  {number(first):>8} / {number(second)}")


def run_report(args: argparse.Namespace, desk: Desk) -> None:
    measures = Measures(desk)
    period = measures.period(month=args.month, week=args.week, first=args.first, last=args.last)
    report = measures.period_report(period, args.shop)
    if args.json:  # recognition: each person's kudos, colleagues' and customers' nominations counted apart
        print_json({**report.as_json(), **({"shop": args.shop} if args.shop else {}),
                    "recognition": [r.as_json() for r in measures.recognition(period)]})
    else:
        _print_report(report, desk, args.shop)


def run_export(args: argparse.Namespace, desk: Desk) -> None:
    measures = Measures(desk)
    period = measures.period(week=args.week) if args.week else measures.last_week()
    paths = export_week(measures.period_detail(period), Path(args.out).expanduser(), desk.now(), desk.calendar.tz,
                        desk_id=desk.desk_id())
    if args.json:
        print_json({"week": period.label, "files": [file_json(path) for path in paths]})
    else:
        for path in paths:
            print(path)


def run_ics(args: argparse.Namespace, desk: Desk) -> int:
    target = Path(args.out).expanduser()
    if not args.follow:
        path, count = write_open_calendar(desk, target)
        if args.json:
            print_json({**file_json(path), "events": count})
        else:
            print(f"{path}: {count} open promise{'' if count == 1 else 's'}")
        return 0

    def written(path: Path, count: int) -> None:
        if args.json:
            print(json_line({**file_json(path), "events": count, "at": desk.now().isoformat()}), flush=True)
        else:
            print(f"{desk.now():%H:%M:%S} {path}: {count} open promise{'' if count == 1 else 's'}", flush=True)

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a follow ends: the file as last written stays
        follow_calendar(desk, target, on_write=written)
    return 0
