"""The training sandbox: a throwaway data dir holding a week of a desk's life, played through the real service
from the people and promises in ``data/demo.toml`` (seeded, so every demo is alike relative to its start)."""

from __future__ import annotations

import random
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from promisetrack.clock import FixedClock
from promisetrack.config import SETTINGS_FILE, TEMPLATE
from promisetrack.service import Desk

HOUR = 3600
WAITING_ON = ("bring the receipt", "sign the collection form", "send photos of the damage", "pay the deposit")
DEMO_USER = "Ana"  # who is at the demo desk when --user is not given


def demo_source() -> Path:
    """``data/demo.toml`` of a checkout, else the copy packed into the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "data" / "demo.toml", here / "_data" / "demo.toml"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("demo.toml not found beside the package")


def load_demo() -> dict[str, Any]:
    return tomllib.loads(demo_source().read_text(encoding="utf-8"))


def demo_dir() -> Path:
    """A fresh, throwaway data dir with the demo's settings (its promises are played in by ``populate``)."""
    spec = load_demo()
    path = Path(tempfile.mkdtemp(prefix="promisetrack-demo-"))
    staff = ", ".join(f'"{s}"' for s in spec["staff"])
    categories = ", ".join(f'"{c}"' for c in spec["categories"])
    text = (
        TEMPLATE.replace('timezone = ""', f'timezone = "{spec.get("timezone", "")}"')
        .replace("staff = []", f"staff = [{staff}]")
        .replace('categories = ["callback", "delivery", "refund", "repair", "order", "other"]',
                 f"categories = [{categories}]")
        .replace('default_category = "other"', f'default_category = "{spec["categories"][0]}"')
        .replace("daily_capacity = 8", "daily_capacity = 6")
        .replace('[desk]\n# The desk\'s name and phone: the prepared notices sign with them ({desk}, {desk_phone}).\n'
                 'name = ""\nphone = ""', f'[desk]\nname = "{spec["desk"]}"\nphone = "{spec["desk_phone"]}"')
    )
    (path / SETTINGS_FILE).write_text(text, encoding="utf-8")
    return path


@dataclass
class _Step:
    at: datetime
    order: int
    act: Callable[[Desk], None]


def populate(desk: Desk, *, days: int = 7, count: int = 64, seed: int = 7) -> int:
    """Play ``days`` of promises ending at ``desk.now()`` into the desk's (empty) store; returns how many."""
    spec, rng, cal, end = load_demo(), random.Random(seed), desk.calendar, desk.now()
    customers, staff = spec["customers"], spec["staff"]
    start = cal.add_business_days(end, -days * 5 // 7)
    span = cal.business_seconds(start, end)
    steps: list[_Step] = []
    ids: dict[int, int] = {}

    def at(offset_hours: float, base: datetime) -> datetime:
        return cal.add_business_seconds(base, offset_hours * HOUR)

    for n in range(count):
        category = rng.choice(spec["categories"])
        what, hours = rng.choice(spec["promises"][category])
        name, phone, email = rng.choice(customers)
        owner = rng.choice(staff)
        created = cal.add_business_seconds(start, span * n / count + rng.uniform(0, 0.5) * HOUR)
        due = at(hours * rng.uniform(0.6, 1.4) + 1, created).replace(second=0, microsecond=0)
        due = due.replace(minute=(due.minute // 15) * 15)
        complaint = rng.random() < 0.12

        def add(d: Desk, n=n, name=name, what=what, due=due, phone=phone, email=email, owner=owner,
                category=category, complaint=complaint) -> None:
            d.user = owner
            ids[n] = d.add(name, what, due.isoformat(), phone=phone, email=email, owner=owner,
                           category=category, complaint=complaint)[0].id

        steps.append(_Step(created, 0, add))
        steps.extend(_fate(n, created, due, end, owner, rng, cal, ids))
    steps.extend(_repeat_breaker(spec, start, end, cal))
    clock = desk.clock
    player = Desk(desk.store, desk.settings, FixedClock(start), desk.user)
    for step in sorted(steps, key=lambda s: (s.at, s.order)):
        if step.at <= end:
            assert isinstance(player.clock, FixedClock)
            player.clock.set(step.at.replace(second=0, microsecond=0))  # a desk's timeline reads in minutes
            step.act(player)
    desk.clock = clock
    return count


def _fate(
    n: int, created: datetime, due: datetime, end: datetime, owner: str, rng: random.Random, cal: Any,
    ids: dict[int, int],
) -> list[_Step]:
    """What happens to promise ``n`` after it is made: kept, renegotiated, late, broken, cancelled or still open."""
    window = cal.business_seconds(created, due)

    def when(fraction: float) -> datetime:
        return cal.add_business_seconds(created, window * fraction)

    def step(moment: datetime, order: int, fn: Callable[[Desk, int], Any]) -> _Step:
        def act(d: Desk) -> None:
            d.user = owner
            fn(d, ids[n])

        return _Step(moment, order, act)

    roll = rng.random()
    csat = rng.choice([None, 3, 4, 4, 5, 5, 5])
    if due > end:  # still running
        out = []
        if rng.random() < 0.6:
            out.append(step(when(0.3), 1, lambda d, i: d.contact(i, "Gave the customer an update", "phone")))
        if rng.random() < 0.15:
            out.append(step(when(0.2), 2, lambda d, i: d.flag(i, "Waiting on the supplier")))
        elif rng.random() < 0.15:
            task = rng.choice(WAITING_ON)
            until = cal.add_business_seconds(when(0.4), 6 * HOUR).replace(second=0, microsecond=0)
            out.append(step(when(0.4), 2, lambda d, i: d.wait(i, task, until.isoformat())))
        return out
    if roll < 0.45:
        return [step(when(rng.uniform(0.4, 0.95)), 1, lambda d, i: d.done(i, csat))]
    if roll < 0.6:
        new_due = cal.add_business_seconds(due, 8 * HOUR)
        return [
            step(when(0.7), 1, lambda d, i: d.reschedule(i, new_due.isoformat(), "Supplier delay, customer agreed")),
            step(cal.add_business_seconds(due, 4 * HOUR), 2, lambda d, i: d.done(i, csat)),
        ]
    if roll < 0.7:
        return [
            step(when(0.8), 1, lambda d, i: d.contact(i, "Warned the customer it will be late", "phone")),
            step(cal.add_business_seconds(due, 3 * HOUR), 2, lambda d, i: d.done(i, csat)),
        ]
    if roll < 0.8:
        return [step(cal.add_business_seconds(due, 5 * HOUR), 2, lambda d, i: d.done(i, rng.choice([1, 2, 3])))]
    if roll < 0.85:
        return [step(when(0.5), 1, lambda d, i: d.cancel(i, "Customer no longer needs it"))]
    return []  # left open past its due: the board shows it overdue


def _repeat_breaker(spec: dict[str, Any], start: datetime, end: datetime, cal: Any) -> list[_Step]:
    """One customer whose last two promises broke (late, nobody called), with a third now open: the review's
    "Repeat breakers" group and the rule's reason have something to show."""
    name, phone, email = spec["repeat_breaker"]
    made: list[int] = []
    steps = []
    for n, (what, offset) in enumerate((("Call back about the warranty claim", 0.0), ("Store credit issued", 8.0))):
        created = cal.add_business_seconds(start, offset * HOUR).replace(second=0, microsecond=0)
        due = cal.add_business_seconds(created, 4 * HOUR)

        def add(d: Desk, what: str = what, due: datetime = due) -> None:
            d.user = "Ben"
            made.append(d.add(name, what, due.isoformat(), phone=phone, email=email, owner="Ben",
                              category="callback" if "Call" in what else "refund")[0].id)

        def late(d: Desk, n: int = n) -> None:
            d.user = "Ben"
            d.done(made[n], 2)

        steps += [_Step(created, 0, add), _Step(cal.add_business_seconds(due, 6 * HOUR), 2, late)]
    again = cal.add_business_seconds(end, -2 * HOUR).replace(second=0, microsecond=0)

    def third(d: Desk) -> None:
        d.user = "Chloe"
        d.add(name, "Replacement part arrives", cal.add_business_days(again, 2).isoformat(), phone=phone,
              email=email, owner="Chloe", category="delivery")

    return [*steps, _Step(again, 0, third)]


def remove_demo(desk: Desk) -> None:
    """Remove a demo desk's throwaway data dir (the board closed, or the command ran): only a dir ``demo_dir``
    made, never a data dir given by the user."""
    import shutil

    path = getattr(desk.store, "data_dir", None)
    if isinstance(path, Path) and path.name.startswith("promisetrack-demo-") and path.parent == Path(
            tempfile.gettempdir()):
        shutil.rmtree(path, ignore_errors=True)


def open_demo(now: str | None, user: str | None) -> Desk:
    """A desk on a fresh demo data dir, filled with a week of history ending at its clock's start."""
    from promisetrack.service import open_desk

    desk = open_desk(demo_dir(), now=now, user=DEMO_USER if user is None else user)  # --user "" is refused, not Ana
    populate(desk)
    return desk

