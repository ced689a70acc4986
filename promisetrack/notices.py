"""Prepared delay notices: message templates with placeholders from the promise and the desk, filled for one
promise — to copy, to open in the mail client (``mailto:``) or as an SMS link.

Pure core. A template is checked when the settings load (an unknown placeholder is an error naming it); filling
is one pass of ``str.format_map``, so a customer's name or a promise's text that holds ``{what}`` or ``[bold]``
stays exactly as typed: user text is data, never a placeholder or markup.
"""

from __future__ import annotations

import string
from datetime import datetime, tzinfo
from typing import NamedTuple
from urllib.parse import quote

from promisetrack.model import Promise

PLACEHOLDERS = {
    "customer": "the customer's name",
    "what": "what was promised",
    "id": "the promise's number",
    "due": "the due now in force, e.g. Fri 27 Nov 17:00",
    "new_due": "a proposed new due (--due), else the due in force",
    "owner": "who keeps the promise",
    "desk": "the desk's name ([desk] name)",
    "desk_phone": "the desk's phone ([desk] phone)",
}

DEFAULT_TEMPLATES = {
    "running_late": ("Hello {customer}, about {what} (our ref {id}): it is running late and will not be ready by "
                     "{due}. We now expect {new_due}. Sorry for the wait — {owner}, {desk} {desk_phone}"),
    "new_date_agreed": ("Hello {customer}, as agreed, {what} (ref {id}) is now due {new_due}. Thank you for your "
                        "patience — {owner}, {desk} {desk_phone}"),
    "ready_for_collection": ("Hello {customer}, good news: {what} (ref {id}) is ready for collection. "
                             "— {owner}, {desk} {desk_phone}"),
    "need_something": ("Hello {customer}, to go on with {what} (ref {id}) we need something from you: please get in "
                       "touch. — {owner}, {desk} {desk_phone}"),
}


def template_problem(name: str, text: str) -> str | None:
    """Why a template cannot be used (an unknown placeholder, a stray brace), or None."""
    try:
        parts = [(field, spec, conversion) for _, field, spec, conversion in string.Formatter().parse(text)
                 if field is not None]
    except ValueError as exc:
        return f"template {name!r} is not valid ({exc}); write a literal brace as {{{{ or }}}}"
    for field, spec, conversion in parts:
        if spec or conversion:
            shown = f"{{{field}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
            return f"template {name!r} uses {shown}: a placeholder is a name alone, like {{{field}}}"
    for field, _, _ in parts:
        if field not in PLACEHOLDERS:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            return f"template {name!r} uses {{{field}}}, which is not a placeholder (known: {known})"
    return None


def title(name: str) -> str:
    """``running_late`` -> ``running late``: a template's name as people read it."""
    return name.replace("_", " ")


class Notice(NamedTuple):
    """One filled template for one promise."""

    template: str
    subject: str
    body: str
    email: str
    phone: str

    @property
    def mailto(self) -> str | None:
        if not self.email:
            return None
        return f"mailto:{quote(self.email, safe='@')}?subject={quote(self.subject)}&body={quote(self.body)}"

    @property
    def sms(self) -> str | None:
        digits = "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")
        return f"sms:{digits}?body={quote(self.body)}" if digits else None


def fill(name: str, text: str, p: Promise, due_text: str, new_due_text: str, desk: str, desk_phone: str) -> Notice:
    """The template ``text`` filled for promise ``p`` (every value is inserted as it is)."""
    values = {
        "customer": p.customer.name, "what": p.what, "id": str(p.id), "due": due_text, "new_due": new_due_text,
        "owner": p.owner, "desk": desk, "desk_phone": desk_phone,
    }
    body = " ".join(text.format_map(values).split())
    body = body.rstrip(" ,;—-")  # a desk without a name or phone: no dangling "— Ana," at the end
    subject = f"{desk + ': ' if desk else ''}{p.what} (ref {p.id})"
    return Notice(name, subject, body, p.customer.email, p.customer.phone)


def when(moment: datetime, tz: tzinfo) -> str:
    """A due for a customer: ``Fri 27 Nov 17:00`` (no "today"/"tomorrow": the message may be read later)."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %H:%M}"
