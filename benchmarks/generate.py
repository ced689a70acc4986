"""Write a deterministic, realistic data dir for the benchmarks, through the real store.

    python -m benchmarks.generate --data DIR --years N --open N [--seed S]

A desk of 30 people in Europe/London, open Mon–Fri 09:00–17:00 with the UK's fixed holidays, at Mon 23 Nov 2026
10:30 (``ANCHOR``; run the CLI on it with ``--now 2026-11-23T10:30``). About 20,000 promises close a year, spread
over the business days of ``--years`` years, with the outcomes a desk sees (kept, renegotiated, late but told,
broken, cancelled) and the events behind them (contacts, reschedules, blocked flags, notes); ``--open`` promises are
still open, made over the last two weeks and due over the next four, a few already overdue. Seven in ten promises
are for a returning customer, so the customers (``customers/``) grow with the history as they would.

Promises are built with the model's own ``Event``/``apply`` and written with ``FileStore`` transactions, many promises
per transaction; the service's own archiving rule (``Desk._archive_old``) moves the closed ones older than
``archive_after_days`` to ``archive/YYYY-MM.json``, one transaction per closing month, exactly as a desk that had run
for those years would have them. The parameters and counts are written to ``benchmark.json`` in the data dir.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from promisetrack.calendar import BusinessCalendar
from promisetrack.clock import FixedClock
from promisetrack.config import SETTINGS_FILE, TEMPLATE, load_settings
from promisetrack.model import Customer, Event, EventKind, Promise, apply
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk, customer_record
from promisetrack.store import FileStore

GENERATOR_VERSION = 4  # bump when the data it writes changes, so cached benchmark data is rebuilt
TZ = ZoneInfo("Europe/London")
ANCHOR = datetime(2026, 11, 23, 10, 30, tzinfo=TZ)
NOW_OPTION = "2026-11-23T10:30"
CLOSED_PER_YEAR = 20_000
RETURNING = 0.7
HOUR = 3600.0
MARKER = "benchmark.json"

STAFF = (
    "Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jon", "Kemi", "Liam", "Mia", "Nils",
    "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Vik", "Wen", "Xavi", "Yara", "Zoe", "Abel", "Bea",
    "Cai", "Dara",
)  # fmt: skip
FIRST_NAMES = (
    "Maria", "James", "Priya", "Tom", "Aisha", "Lukas", "Sofia", "Daniel", "Emma", "Oliver", "Fatima", "Noah",
    "Chen", "Grace", "Mateo", "Hannah", "Yusuf", "Olivia", "Ivan", "Chloe", "Ravi", "Zoe", "Kofi", "Ingrid",
    "Samir", "Lucy", "Mohammed", "Eva", "Ruth", "Pedro", "Amelia", "Jakub", "Leila", "Marco", "Nina", "Oscar",
)  # fmt: skip
LAST_NAMES = (
    "Lopez", "O'Brien", "Shah", "Becker", "Khan", "Novak", "Rossi", "Kim", "Wilson", "Brown", "Zahra", "Schmidt",
    "Wei", "Murphy", "Garcia", "Lee", "Demir", "Taylor", "Petrov", "Martin", "Patel", "Clarke", "Mensah", "Larsen",
    "Haddad", "Evans", "Ali", "Novotna", "Cohen", "Santos", "Hughes", "Kowalski", "Nasser", "Bianchi", "Berg",
)  # fmt: skip
# What gets promised, per category, and the business hours it usually takes.
PROMISES = {
    "callback": (("Call back with the repair quote", 4), ("Call back about the warranty claim", 4),
                 ("Check stock at the other branch and call back", 3)),
    "delivery": (("Replacement part arrives", 24), ("Deliver the sofa to the new address", 24),
                 ("Courier collects the faulty unit", 16), ("Send the missing cable", 16)),
    "refund": (("Refund of the deposit processed", 16), ("Partial refund for the late delivery", 16)),
    "repair": (("Kettle repaired under warranty", 40), ("Laptop screen replaced", 32),
               ("Washing machine engineer visit", 24)),
    "order": (("Special order of the blue fabric placed", 8), ("Order confirmation emailed", 4),
              ("Back-ordered printer ink reserved", 16)),
}  # fmt: skip
CATEGORIES = tuple(PROMISES)


@dataclass
class _Made:
    """One simulated promise before it has an id from the store."""

    promise: Promise
    customer: int = -1  # index into the customer list


def business_days_per_year(cal: BusinessCalendar) -> float:
    return sum(cal.is_open_day(date(2025, 1, 1) + timedelta(days=n)) for n in range(365))


def settings_text(years: float) -> str:
    first_year = ANCHOR.year - int(years) - 2
    holidays = [f'"{y}-{md}"' for y in range(first_year, ANCHOR.year + 2) for md in ("01-01", "12-25", "12-26")]
    staff = ", ".join(f'"{s}"' for s in STAFF)
    return (
        TEMPLATE.replace('timezone = ""', f'timezone = "{TZ.key}"')
        .replace("staff = []", f"staff = [{staff}]")
        .replace("dates = []", f"dates = [{', '.join(holidays)}]")
    )


class _Desk:
    """The simulation: a calendar, a random source and the customers met so far."""

    def __init__(self, cal: BusinessCalendar, rng: random.Random) -> None:
        self.cal, self.rng = cal, rng
        self.customers: list[tuple[str, str, str]] = []

    def customer(self) -> int:
        if self.customers and self.rng.random() < RETURNING:
            return self.rng.randrange(len(self.customers))
        n = len(self.customers)
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        phone = f"+44 7700 {900000 + n:06d}" if self.rng.random() < 0.85 else ""
        email = f"{name.split()[0].lower()}.{n}@example.com" if not phone or self.rng.random() < 0.5 else ""
        self.customers.append((name, phone, email))
        return n

    def later(self, moment: datetime, hours: float) -> datetime:
        return self.cal.add_business_seconds(moment, hours * HOUR)

    def make(self, created: datetime, until: datetime) -> _Made:
        """A promise made at ``created``, due after its category's usual time, and what happened to it up to
        ``until`` (its customer is chosen once it is kept in the data)."""
        category = self.rng.choice(CATEGORIES)
        what, hours = self.rng.choice(PROMISES[category])
        due = self.later(created, hours * self.rng.uniform(0.6, 1.4) + 1)
        p, owner = self._promise(created, due, category, what)
        window = self.cal.business_seconds(created, p.due) / HOUR
        self._play(p, owner, self._fate(created, p.due, window), until)
        return _Made(p)

    def make_open(self, until: datetime) -> _Made:
        """A promise still open at ``until``: made in the last two weeks, due within the next four (a few already
        overdue), mostly with a recent contact, some blocked on a supplier."""
        rng = self.rng
        category = rng.choice(CATEGORIES)
        what, hours = rng.choice(PROMISES[category])
        created = self.later(until, -rng.uniform(0.2, 10 * 8))
        ahead = -rng.uniform(0.5, 16) if rng.random() < 0.03 else rng.uniform(hours / 2, 20 * 8)
        due = max(self.later(until, ahead), self.later(created, 1))
        p, owner = self._promise(created, due, category, what)
        steps: list[tuple[datetime, EventKind, dict]] = []
        since = created
        if rng.random() < 0.75:
            since = max(created, self.later(until, -rng.uniform(0.2, 14)))
            steps.append((since, EventKind.CONTACTED, {"channel": "phone", "note": "Gave the customer an update"}))
        if rng.random() < 0.06:
            steps.append((since, EventKind.FLAGGED, {"blocked": True, "note": "Waiting on the supplier"}))
        self._play(p, owner, sorted(steps, key=lambda step: step[0]), until)
        return _Made(p)

    def _promise(self, created: datetime, due: datetime, category: str, what: str) -> tuple[Promise, str]:
        created = created.replace(microsecond=0)  # as the desk's clock gives them
        owner = self.rng.choice(STAFF)
        due = due.replace(minute=due.minute // 15 * 15, second=0, microsecond=0)
        if due <= created:
            due = self.later(created, 1)
        p = Promise(0, Customer(0, ""), what, owner, category, created, due, due)
        complaint = self.rng.random() < 0.12
        p.events.append(Event(EventKind.CREATED, created, owner, {
            "due": due.isoformat(), "owner": owner, "category": category, "what": what, "complaint": complaint,
            "customer": 0,
        }))
        apply(p, p.events[0])
        return p, owner

    @staticmethod
    def _play(p: Promise, owner: str, steps: list[tuple[datetime, EventKind, dict]], until: datetime) -> None:
        for at, kind, data in steps:
            if at > until:
                break
            event = Event(kind, at.replace(microsecond=0), owner, data)
            p.events.append(event)
            apply(p, event)

    def _fate(self, created: datetime, due: datetime, window: float) -> list[tuple[datetime, EventKind, dict]]:
        rng = self.rng
        csat = rng.choice([None, 3, 4, 4, 5, 5, 5])

        def when(fraction: float) -> datetime:
            return self.later(created, window * fraction)

        contact = (EventKind.CONTACTED, {"channel": rng.choice(("phone", "phone", "email", "sms")),
                                         "note": "Gave the customer an update"})
        steps: list[tuple[datetime, EventKind, dict]] = []
        if rng.random() < 0.08:
            steps.append((when(0.2), EventKind.FLAGGED, {"blocked": True, "note": "Waiting on the supplier"}))
            steps.append((when(0.45), EventKind.FLAGGED, {"blocked": False}))
        if rng.random() < 0.1:
            steps.append((when(0.25), EventKind.NOTE, {"note": "Customer prefers a call after 4pm"}))
        roll = rng.random()
        if roll < 0.45:  # kept
            if rng.random() < 0.3:
                steps.append((when(0.3), *contact))
            steps.append((when(rng.uniform(0.4, 0.95)), EventKind.DONE, {"csat": csat, "note": ""}))
        elif roll < 0.6:  # renegotiated
            new_due = self.later(due, 8)
            steps.append((when(0.7), EventKind.RESCHEDULED, {
                "due": new_due.isoformat(), "previous": due.isoformat(), "note": "Supplier delay, customer agreed"}))
            steps.append((self.later(due, 4), EventKind.DONE, {"csat": csat, "note": ""}))
        elif roll < 0.75:  # late, but the customer was told
            steps.append((when(0.8), EventKind.CONTACTED, {"channel": "phone", "note": "Warned it will be late"}))
            steps.append((self.later(due, 3), EventKind.DONE, {"csat": csat, "note": ""}))
        elif roll < 0.9:  # broken
            steps.append((self.later(due, 5), EventKind.DONE, {"csat": rng.choice([1, 2, 3]), "note": ""}))
        else:  # cancelled
            steps.append((when(0.5), EventKind.CANCELLED, {"reason": "Customer no longer needs it"}))
        return sorted(steps, key=lambda step: step[0])


def simulate(years: float, open_count: int, seed: int, cal: BusinessCalendar) -> tuple[list[_Made], list[tuple]]:
    """Every promise of the history and the open ones, in the order they were made, and the customers."""
    desk = _Desk(cal, random.Random(seed))
    made: list[_Made] = []
    closed_target = round(years * CLOSED_PER_YEAR)
    end_of_history = cal.add_business_days(ANCHOR, -2)
    if closed_target:
        start = cal.add_business_days(ANCHOR, -round(years * business_days_per_year(cal)))
        span = cal.business_seconds(start, end_of_history)
        for n in range(closed_target):
            created = cal.add_business_seconds(start, span * (n + desk.rng.random()) / closed_target)
            m = desk.make(created, ANCHOR)
            if not m.promise.is_open:
                m.customer = desk.customer()
                made.append(m)
    for _ in range(open_count):
        m = desk.make_open(ANCHOR)
        m.customer = desk.customer()
        made.append(m)
    made.sort(key=lambda m: m.promise.created_at)
    return made, desk.customers


def write(data_dir: Path, years: float, open_count: int, seed: int, *, quiet: bool = False) -> dict:
    """Generate into ``data_dir`` (which must not hold a data file yet); returns what ``benchmark.json`` says."""
    started = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = FileStore(data_dir)
    if store.path.exists():
        raise SystemExit(f"{store.path} exists: generate into an empty folder")
    _write_private(data_dir / SETTINGS_FILE, settings_text(years))
    settings = load_settings(data_dir)
    cal = BusinessCalendar.from_settings(settings)
    made, people = simulate(years, open_count, seed, cal)
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    say(f"simulated {len(made)} promises, {len(people)} customers in {time.monotonic() - started:.1f} s")

    desk = Desk(store, settings, FixedClock(ANCHOR), "benchmark")
    with store.transaction() as tx:
        customer_ids = tx.next_ids("customer", len(people))
        promise_ids = tx.next_ids("promise", len(made))
        changes = tx.next_ids("change", sum(len(m.promise.events) for m in made))
        customers = [Customer(cid, *person) for cid, person in zip(customer_ids, people, strict=True)]
        tx.put_customers(customer_record(c) for c in customers)
    # The desk's change numbers, in the order the events happened (as the desk numbers them when they are saved).
    happened = sorted((e.at, i, j) for i, m in enumerate(made) for j, e in enumerate(m.promise.events))
    for n, (_, i, j) in zip(changes, happened, strict=True):
        events = made[i].promise.events
        events[j] = replace(events[j], n=n)
    docs = []
    for pid, m in zip(promise_ids, made, strict=True):
        p = m.promise
        p.id, p.customer = pid, customers[m.customer]
        p.events[0] = replace(p.events[0], data={**p.events[0].data, "customer": p.customer.id})
        docs.append(p.to_dict())
    cutoff = ANCHOR - timedelta(days=settings.archive_after_days)
    by_month: dict[str, list[dict]] = {}
    live: list[dict] = []
    for p, doc in zip((m.promise for m in made), docs, strict=True):
        if p.closed_at is not None and p.closed_at < cutoff:
            by_month.setdefault(p.closed_at.astimezone(cal.tz).strftime("%Y-%m"), []).append(doc)
        else:
            live.append(doc)
    for _month, month_docs in sorted(by_month.items()):
        with store.transaction() as tx:
            tx.put_promises(month_docs)
            desk._archive_old(tx, ANCHOR)  # the service's own rule moves them to archive/<month>.json
    with store.transaction() as tx:
        tx.put_promises(live)

    outcomes: dict[str, int] = {}
    for m in made:
        outcome = derive_outcome(m.promise)
        key = outcome.value if outcome else "open"
        outcomes[key] = outcomes.get(key, 0) + 1
    info = {
        "generator": GENERATOR_VERSION, "years": years, "open": open_count, "seed": seed, "now": NOW_OPTION,
        "promises": len(made), "closed": len(made) - outcomes.get("open", 0), "customers": len(people),
        "archive_months": len(by_month), "live_promises": len(live), "outcomes": dict(sorted(outcomes.items())),
    }
    _write_private(data_dir / MARKER, json.dumps(info, indent=2) + "\n")
    say(f"wrote {data_dir} in {time.monotonic() - started:.1f} s: {json.dumps(info)}")
    return info


def _write_private(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, metavar="DIR", help="an empty or new folder")
    parser.add_argument("--years", type=float, default=5, metavar="N", help="years of closed history (default 5)")
    parser.add_argument("--open", type=int, default=2000, metavar="N", help="open promises (default 2000)")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    write(Path(args.data), args.years, args.open, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
