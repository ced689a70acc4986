"""Settings of a desk (timezone, open hours, holidays, staff, categories, risk thresholds, standards),
data-dir resolution, and the commented ``settings.toml`` template written on first run."""

from __future__ import annotations

import contextlib
import difflib
import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from promisetrack.errors import DataError, PromiseError
from promisetrack.notices import DEFAULT_TEMPLATES, template_problem

SETTINGS_FILE = "settings.toml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MIDNIGHT_END = "24:00"  # a closing time of 24:00 is the midnight that ends the day (kept as time(0))

# Every key settings.toml may hold, by table ("" is the top level): anything else is a warning naming the closest.
KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": ("timezone", "staff", "categories", "default_category", "hours", "holidays", "risk", "alerts", "standards",
         "store", "board", "desk", "templates"),
    "desk": ("name", "phone"),
    "holidays": ("dates", "country", "subdivision", "removed"),
    "risk": ("min_hours", "window_fraction", "lead_samples", "lead_window_days", "lead_window_max", "daily_capacity",
             "update_interval_hours"),
    "alerts": ("remind_every",),
    "standards": ("on_time_rate", "proactive_contact_rate", "csat"),
    "store": ("archive_after_days", "backups_kept", "url"),
    "board": ("theme",),
}

TEMPLATE = """\
# promisetrack settings for this desk. Edit and restart the board; every key is optional.

# The desk's timezone (IANA name). Empty: the computer's own zone.
timezone = ""

# Staff and categories offered in forms (anyone may still be typed in).
staff = []
categories = ["callback", "delivery", "refund", "repair", "order", "other"]
default_category = "other"
# To give a category its own warning lead, write the categories as tables instead of the list above:
#   [categories.repair]
#   warn_hours = 8      # at risk when less than 8 business hours are left (instead of [risk] min_hours)
#   [categories.callback]

# Open hours per day, "HH:MM-HH:MM"; a day left out is closed.
[hours]
mon = "09:00-17:00"
tue = "09:00-17:00"
wed = "09:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"

# Days the desk is closed, "YYYY-MM-DD". With a country (an ISO code, e.g. "PT", and optionally a region, e.g.
# subdivision = "11" for Lisbon) its public holidays count too, minus the days in "removed" (the shop opens).
[holidays]
dates = []
# country = "PT"
# subdivision = ""
# removed = []

[risk]
# At risk when less business time is left than max(min_hours, window_fraction x the promise's window).
min_hours = 2.0
window_fraction = 0.25
# At risk when less business time is left than the category's 80th-percentile lead time
# (once at least lead_samples promises of the category have closed).
lead_samples = 5
# Lead times come from the promises done in the last lead_window_days days, archived ones included, and at most
# the last lead_window_max of each category.
lead_window_days = 180
lead_window_max = 200
# At risk when the owner has more open promises due on one business day than this.
daily_capacity = 8
# At risk when a promise has gone this many business hours without a contact.
update_interval_hours = 16.0

[alerts]
# An overdue promise whose alert nobody has acknowledged (space on the board) reminds again this often,
# in business minutes.
remind_every = 30

[standards]
# The desk's standards, used by the stats screen's recognition panel.
on_time_rate = 0.90
proactive_contact_rate = 0.80
csat = 4.5

[desk]
# The desk's name and phone: the prepared notices sign with them ({desk}, {desk_phone}).
name = ""
phone = ""

# Prepared notices to customers (the board's c, promisetrack notice): edit them, or add your own. Placeholders:
# {customer} {what} {id} {due} {new_due} {owner} {desk} {desk_phone}; a literal brace is {{ or }}.
[templates]

[board]
# The board's theme. Choosing one in the command palette (ctrl+p, "Change theme") keeps it here.
# theme = "textual-dark"

[store]
# Closed promises stay in the live file this many days, then move to archive/YYYY-MM.json.
# Every command reads the whole live file: a longer stay makes every start and every save slower.
archive_after_days = 14
backups_kept = 7
# Several PCs on one PostgreSQL database instead of this folder (see the README, "Several PCs"):
# url = "postgresql://desk-server/promisetrack"   (--db and $PROMISETRACK_DB win over it)
"""
# The default notices, written out under [templates] from the one list of them (notices.DEFAULT_TEMPLATES).
TEMPLATE = TEMPLATE.replace("[templates]\n", "[templates]\n" + "".join(
    f'{name} = "{text}"\n' for name, text in DEFAULT_TEMPLATES.items()), 1)


@dataclass(frozen=True)
class Settings:
    timezone: str = ""
    hours: dict[int, tuple[time, time]] = field(
        default_factory=lambda: {d: (time(9), time(17)) for d in range(5)}
    )
    holidays: frozenset[date] = frozenset()  # typed in, plus the country's (resolve_holidays), minus removed
    holiday_country: str = ""
    holiday_subdivision: str = ""
    holidays_removed: frozenset[date] = frozenset()
    holiday_names: dict[date, str] = field(default_factory=dict)  # the country's, once resolved
    staff: tuple[str, ...] = ()
    categories: tuple[str, ...] = ("callback", "delivery", "refund", "repair", "order", "other")
    default_category: str = "other"
    min_hours: float = 2.0
    window_fraction: float = 0.25
    lead_samples: int = 5
    lead_window_days: int = 180
    lead_window_max: int = 200
    daily_capacity: int = 8
    update_interval_hours: float = 16.0
    warn_hours: dict[str, float] = field(default_factory=dict)  # per category: its own min_hours
    remind_every_minutes: float = 30.0
    standard_on_time: float = 0.90
    standard_proactive: float = 0.80
    standard_csat: float = 4.5
    archive_after_days: int = 14
    backups_kept: int = 7
    url: str = ""  # [store] url: a PostgreSQL database instead of the data dir ("" = the data dir)
    theme: str = ""  # the board's theme, as last chosen in its command palette ("" = Textual's default)
    desk_name: str = ""
    desk_phone: str = ""
    templates: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    warnings: tuple[str, ...] = ()  # unknown keys and tables, each with the closest known name
    path: Path | None = field(default=None, compare=False)  # the settings.toml read (None: built in memory)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone) if self.timezone else local_zone()


def local_zone() -> ZoneInfo:
    """The computer's IANA zone: $TZ, /etc/timezone, the /etc/localtime link; UTC when none is found."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("promisetrack", appauthor=False))


def resolve_data_dir(cli_value: str | None) -> Path:
    """``--data`` > ``$PROMISETRACK_DATA`` > the platform's user data dir.

    ``--data ""`` is a mistake (an unset shell variable, most often), not a wish for the default: refused, so that
    nothing is written somewhere the person did not mean.
    """
    if cli_value is not None:
        if not cli_value.strip():
            raise PromiseError("--data is empty: give a folder, or leave --data out to use $PROMISETRACK_DATA or the "
                               "default data dir")
        return Path(cli_value).expanduser()
    env = os.environ.get("PROMISETRACK_DATA")
    return Path(env).expanduser() if env else default_data_dir()


def resolve_db(cli_value: str | None, settings: Settings) -> str | None:
    """The database to use instead of the data dir: ``--db`` > ``$PROMISETRACK_DB`` > ``[store] url``; None: none.

    ``--db ""`` is refused like ``--data ""``: an unset shell variable would otherwise quietly mean "the data dir"
    on a desk whose promises are in the database.
    """
    if cli_value is not None:
        if not cli_value.strip():
            raise PromiseError("--db is empty: give a database URL, or leave --db out to use $PROMISETRACK_DB or "
                               "[store] url")
        return cli_value.strip()
    env = os.environ.get("PROMISETRACK_DB", "").strip()
    return env or settings.url or None


def _parse_hours(value: str, where: str) -> tuple[time, time]:
    """``"09:00-17:00"``; ``"00:00-24:00"`` is a whole day (a closing of 24:00 is kept as time(0))."""
    try:
        start_text, end_text = (part.strip() for part in value.split("-"))
        start = time.fromisoformat(start_text)
        end = time(0) if end_text == MIDNIGHT_END else time.fromisoformat(end_text)
    except ValueError:
        raise DataError(f"{where}: open hours must look like \"09:00-17:00\" (or \"00:00-24:00\"), "
                        f"not {value!r}") from None
    if end <= start and not (end_text == MIDNIGHT_END and end == time(0)):
        raise DataError(f"{where}: closing time must be after opening time in {value!r}")
    return start, end


def _day(name: str, where: str) -> int:
    """A day of ``[hours]``: ``mon`` or ``monday`` (any case); anything else — ``monkey`` too — is an error."""
    key = name.strip().lower()
    for names in (DAYS, DAY_NAMES):
        if key in names:
            return names.index(key)
    close = difflib.get_close_matches(key, DAYS + DAY_NAMES, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise DataError(f"{where}: unknown day {name!r} in [hours] (use mon..sun or monday..sunday{hint})")


def unknown_keys(raw: dict) -> list[str]:
    """A warning for each key or table settings.toml does not know, naming the closest known one
    (``timezon`` → ``timezone``): a misspelt key would otherwise be ignored without a word."""
    found: list[str] = []
    for table, known in KNOWN_KEYS.items():
        values = raw if not table else raw.get(table)
        if not isinstance(values, dict):
            continue
        for key in values:
            if key not in known:
                where = f"[{table}] " if table else ""
                close = difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
                found.append(f"settings.toml: unknown key {where}{key!r} is ignored{hint}")
    return found


def settings_from_toml(text: str, where: str = SETTINGS_FILE) -> Settings:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{where}: not valid TOML ({exc})") from None
    risk, standards, store, alerts = (_section(raw, name, where) for name in ("risk", "standards", "store", "alerts"))
    base = Settings()
    hours = base.hours
    if "hours" in raw:
        hours = {}
        for name, value in _section(raw, "hours", where).items():
            hours[_day(name, where)] = _parse_hours(str(value), where)
    holiday_table = _section(raw, "holidays", where)
    holidays = _dates(holiday_table, "dates", where)
    removed = _dates(holiday_table, "removed", where)
    tzname = _text(raw, "timezone", "", where).strip()
    if tzname:
        try:
            ZoneInfo(tzname)
        except (ZoneInfoNotFoundError, ValueError):
            raise DataError(f"{where}: unknown timezone {tzname!r} (use an IANA name like Europe/London)") from None

    categories, warn_hours = _categories(raw, base.categories, where)
    default_category = _text(raw, "default_category", base.default_category, where)
    if categories and default_category not in categories:
        raise DataError(f"{where}: default_category {default_category!r} is not one of the categories "
                        f"({', '.join(categories)})")
    board = _section(raw, "board", where)
    desk = _section(raw, "desk", where)

    def number(table: dict, section: str, key: str, default: float, low: float, high: float = 10_000) -> float:
        return _number(table, key, default, f"{where}: [{section}] {key}", low, high)

    def whole(table: dict, section: str, key: str, default: int, low: int, high: int = 100_000) -> int:
        return int(_number(table, key, default, f"{where}: [{section}] {key}", low, high, whole=True))

    lead_samples = whole(risk, "risk", "lead_samples", base.lead_samples, 1)
    lead_window_max = whole(risk, "risk", "lead_window_max", base.lead_window_max, 1, 10_000)
    if lead_window_max < lead_samples:
        raise DataError(f"{where}: [risk] lead_window_max ({lead_window_max}) is below lead_samples ({lead_samples}):"
                        " the lead-time rule could never speak")
    return Settings(
        timezone=tzname,
        hours=hours,
        holidays=holidays,
        holiday_country=_text(holiday_table, "country", "", f"{where}: [holidays]").strip().upper(),
        holiday_subdivision=_text(holiday_table, "subdivision", "", f"{where}: [holidays]").strip(),
        holidays_removed=removed,
        staff=_texts(raw, "staff", base.staff, where),
        categories=categories,
        warn_hours=warn_hours,
        remind_every_minutes=number(alerts, "alerts", "remind_every", base.remind_every_minutes, 1, 24 * 60),
        default_category=default_category,
        min_hours=number(risk, "risk", "min_hours", base.min_hours, 0),
        window_fraction=number(risk, "risk", "window_fraction", base.window_fraction, 0, 1),
        lead_samples=lead_samples,
        lead_window_days=whole(risk, "risk", "lead_window_days", base.lead_window_days, 1, 3660),
        lead_window_max=lead_window_max,
        daily_capacity=whole(risk, "risk", "daily_capacity", base.daily_capacity, 1),
        update_interval_hours=number(risk, "risk", "update_interval_hours", base.update_interval_hours, 0.1),
        standard_on_time=number(standards, "standards", "on_time_rate", base.standard_on_time, 0, 1),
        standard_proactive=number(standards, "standards", "proactive_contact_rate", base.standard_proactive, 0, 1),
        standard_csat=number(standards, "standards", "csat", base.standard_csat, 1, 5),
        archive_after_days=whole(store, "store", "archive_after_days", base.archive_after_days, 0),
        backups_kept=whole(store, "store", "backups_kept", base.backups_kept, 0),
        url=_text(store, "url", base.url, where).strip(),
        theme=_text(board, "theme", base.theme, f"{where}: [board]"),
        desk_name=_text(desk, "name", "", f"{where}: [desk]").strip(),
        desk_phone=_text(desk, "phone", "", f"{where}: [desk]").strip(),
        templates=_templates(raw, where),
        warnings=tuple(unknown_keys(raw)),
    )


def _categories(raw: dict, default: tuple[str, ...], where: str) -> tuple[tuple[str, ...], dict[str, float]]:
    """``categories = [...]``, or ``[categories.NAME]`` tables (each may set ``warn_hours``)."""
    value = raw.get("categories")
    if not isinstance(value, dict):
        return _texts(raw, "categories", default, where), {}
    warn: dict[str, float] = {}
    for name, table in value.items():
        if not isinstance(table, dict):
            raise DataError(f"{where}: [categories.{name}] must be a table (warn_hours = 8), not {table!r}")
        unknown = sorted(set(table) - {"warn_hours"})
        if unknown:
            raise DataError(f"{where}: [categories.{name}] has an unknown key {unknown[0]!r} (known: warn_hours)")
        if "warn_hours" in table:
            warn[name] = _number(table, "warn_hours", 0, f"{where}: [categories.{name}] warn_hours", 0, 10_000)
    return tuple(value), warn


def _dates(table: dict, key: str, where: str) -> frozenset[date]:
    """``[holidays] dates`` or ``removed``: a list of "YYYY-MM-DD"."""
    dates = table.get(key, [])
    if not isinstance(dates, list):
        raise DataError(f"{where}: [holidays] {key} must be a list like [\"2026-12-25\"], not {dates!r}")
    try:
        return frozenset(date.fromisoformat(str(d)) for d in dates)
    except ValueError as exc:
        raise DataError(f"{where}: a date in [holidays] {key} is not a YYYY-MM-DD date ({exc})") from None


def resolve_holidays(settings: Settings, cache_dir: Path | None) -> Settings:
    """The settings with the country's public holidays merged in (``[holidays] country``): the typed dates, plus
    the country's, minus ``removed``; their names kept for messages. Unchanged without a country."""
    if not settings.holiday_country:
        return settings
    from dataclasses import replace

    from promisetrack.public_holidays import country_holidays

    names = country_holidays(settings.holiday_country, settings.holiday_subdivision, cache_dir)
    merged = (settings.holidays | frozenset(names)) - settings.holidays_removed
    return replace(settings, holidays=merged, holiday_names={d: n for d, n in names.items() if d in merged})


def _templates(raw: dict, where: str) -> dict[str, str]:
    """``[templates]``: name = text, each checked now (an unknown placeholder is an error naming it); the default set
    when the table is missing (a settings file from before the notices)."""
    if "templates" not in raw:
        return dict(DEFAULT_TEMPLATES)
    found: dict[str, str] = {}
    for name, text in _section(raw, "templates", where).items():
        if not isinstance(text, str):
            raise DataError(f"{where}: [templates] {name} must be text in quotes, not {text!r}")
        problem = template_problem(name, text)
        if problem:
            raise DataError(f"{where}: [templates] {problem}")
        found[name] = text
    return found


def _section(raw: dict, name: str, where: str) -> dict:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise DataError(f"{where}: {name} must be a section ([{name}] on a line of its own), not {value!r}")
    return value


def _text(raw: dict, key: str, default: str, where: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise DataError(f"{where}: {key} must be text in quotes, not {value!r}")
    return value


def _texts(raw: dict, key: str, default: tuple[str, ...], where: str) -> tuple[str, ...]:
    value = raw.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DataError(f'{where}: {key} must be a list of names in quotes, like ["Ana", "Ben"], not {value!r}')
    return tuple(value)


def _number(table: dict, key: str, default: float, what: str, low: float, high: float, *, whole: bool = False) -> float:
    """A number setting within [low, high] (a whole one if ``whole``), or a DataError naming it."""
    value = table.get(key, default)
    kind = "a whole number" if whole else "a number"
    bounds = f"from {low:g} to {high:g}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{what} is not a number: {value!r} (it takes {kind} {bounds})")
    if not low <= value <= high:  # NaN fails this too
        raise DataError(f"{what} is out of range: {value!r} (it takes {kind} {bounds})")
    if whole and value != int(value):
        raise DataError(f"{what} is not a whole number: {value!r} (it takes {kind} {bounds})")
    return value


def load_settings(data_dir: Path) -> Settings:
    """Read ``settings.toml`` from the data dir, writing the commented template there on first run."""
    path = data_dir / SETTINGS_FILE
    if not path.exists():
        try:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(TEMPLATE)
        except FileExistsError:
            pass
        except OSError as exc:
            raise DataError(f"cannot write {path}: {exc.strerror}") from None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    return replace(settings_from_toml(text, str(path)), path=path)


def save_theme(path: Path, theme: str) -> None:
    """Keep the board's theme in settings.toml as ``[board] theme = "..."``, by a targeted line edit: the user's
    comments, order and spacing stay as they wrote them (tomllib reads, it cannot write; rewriting the file from
    the parsed values would drop every comment). Written to a temp file and renamed over it."""
    text = path.read_text(encoding="utf-8")
    path_tmp = path.with_name(f".{path.name}.tmp")
    path_tmp.write_text(with_board_theme(text, theme), encoding="utf-8")
    os.chmod(path_tmp, 0o600)
    os.replace(path_tmp, path)


def with_board_theme(text: str, theme: str) -> str:
    """``text`` with ``theme = "<theme>"`` in its ``[board]`` table: the line replaced if there is one, else added
    under ``[board]``, else a ``[board]`` table appended at the end."""
    line = f"theme = {_toml_string(theme)}"
    lines = text.splitlines()
    table: str | None = ""
    board_at: int | None = None
    for index, current in enumerate(lines):
        stripped = current.strip()
        if stripped.startswith("["):
            table = stripped.strip("[] ").split("]")[0].strip()
            if table == "board":
                board_at = index
        elif table == "board" and stripped.split("=")[0].strip() == "theme":
            lines[index] = line
            return "\n".join(lines) + "\n"
    if board_at is not None:
        lines.insert(board_at + 1, line)
    else:
        lines += ["", "[board]", "# The board's theme, as last chosen in its command palette.", line]
    return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML for these characters)."""
    import json

    return json.dumps(value, ensure_ascii=False)
