"""Texts the system writes into the records (a history entry's reason, a status change's "why"),
stored as a code and its values and read in the reader's language.

What is stored, in the text column that already holds the reasons people type
(``history_change_reason`` of every history table, ``StatusChange.reason``), is
``stored(code, **values)``: ``PREFIX`` and a JSON object ``{"code": …, "values": {…}}``. That
column was chosen over new columns because it is the one every history table already has
(simple-history's, one per tracked model: new columns would be a migration of each, and of
the admin's history list), a reason stays one value whether a person or the system wrote it,
and older rows, English sentences, go on being read as they are.

``shown(text)`` is the one way a stored reason is read: a system text in the active
language, with its values; anything else (a reason typed by a person, an old row) as it was
stored. A value is shown as stored (a narrative, a file's name, a person's name): only the
sentence around it is translated.
"""

from __future__ import annotations

import json

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# What starts a stored system text: no reason people type begins like this.
PREFIX = "system:"

# Every text the system writes, by code: the sentence, with its values named.
TEXTS: dict[str, Promise] = {
    "update_approved": _("Approved progress update: %(narrative)s"),
    "rescheduled": _("Rescheduled: %(reason)s"),
    "party_added_with": _("Added with “%(meeting)s”"),
    "imported": _("Imported from %(filename)s"),
    "archived_in_admin": _("Archived in the admin by %(user)s"),
    "restored_in_admin": _("Restored in the admin by %(user)s"),
    "added_for_team": _("Added for the %(team)s"),
    "synthetic_progress": _("Synthetic progress recorded."),
    "added": _("Added"),
    "participant_removed": _("Removed from the meeting"),
    "participant_replaced": _("Replaced by %(person)s"),
    "link_removed": _("Link removed from the meeting's page"),
    "token_revoked_by_admin": _("Revoked by an admin"),
    "feed_retired_by_admin": _("Retired by an admin"),
    "words_read": _("Words read from the file"),
}


def stored(code: str, **values: object) -> str:
    """What is kept for the system text ``code`` with its ``values`` (each kept as text)."""
    if code not in TEXTS:
        raise KeyError(f"No system text {code!r}")
    payload = {"code": code, "values": {name: str(value) for name, value in values.items()}}
    return PREFIX + json.dumps(payload, ensure_ascii=False, sort_keys=True)


def parsed(text: str | None) -> tuple[str, dict[str, str]] | None:
    """The code and values of a stored system text, or None for any other text."""
    if not text or not text.startswith(PREFIX):
        return None
    try:
        payload = json.loads(text.removeprefix(PREFIX))
        code, values = payload["code"], payload["values"]
    except (ValueError, TypeError, KeyError):
        return None
    if code not in TEXTS or not isinstance(values, dict):
        return None
    return code, {str(name): str(value) for name, value in values.items()}


def shown(text: str | None) -> str:
    """A stored reason as the reader reads it: a system text in the active language, any other
    text (typed by a person, or stored before system texts were codes) as it was stored."""
    found = parsed(text)
    if found is None:
        return text or ""
    code, values = found
    try:
        return str(TEXTS[code]) % values
    except (KeyError, ValueError, TypeError):  # a value the sentence lacks: the values, plainly
        return f"{TEXTS[code]} ({', '.join(values.values())})"


def in_english(text: str | None) -> str:
    """``shown`` in English: for what is read by programs and other sites (the API, the open
    data files), one language whoever asks."""
    with translation.override("en"):
        return shown(text)
