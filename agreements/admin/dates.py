"""A changelist page's dates and times, as Django's ``formats.localize`` writes them, for its
rows (``admin/rows.py``): the language's formats, its names and the time zone read once.

Django's ``DateFormat`` asks the catalogue for a month's or a day's name, "a.m." or "p.m.", for
every date it writes, and Django's ``localize`` looks up the format and the time zone for every
value: on a page of 50 rows with two date columns, about a tenth of the page's time.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import dateformat, formats, timezone
from django.utils.translation import get_language

from ..kept import kept_per_language


class _NamesOnce(dateformat.DateFormat):
    """Django's ``DateFormat``, each name it writes (a month's, a day's, a.m. or p.m.) asked
    of the catalogue once per language and kept (``names``, by the letter and what the name
    depends on): Django asks the catalogue again for every date of the page."""

    names: dict

    def _named(self, letter: str, key) -> str:
        try:
            return self.names[letter, key]
        except KeyError:
            name = self.names[letter, key] = str(getattr(dateformat.DateFormat, letter)(self))
            return name

    def a(self):
        return self._named("a", self.data.hour > 11)

    def A(self):
        return self._named("A", self.data.hour > 11)

    def b(self):
        return self._named("b", self.data.month)

    def D(self):
        return self._named("D", self.data.weekday())

    def E(self):
        return self._named("E", self.data.month)

    def F(self):
        return self._named("F", self.data.month)

    def l(self):  # noqa: E743 (Django's letter)
        return self._named("l", self.data.weekday())

    def M(self):
        return self._named("M", self.data.month)

    def N(self):
        return self._named("N", self.data.month)

    def written(self, pieces: list[tuple[bool, str]]) -> str:
        """``format``, from the format's pieces split once (``Dates.pieces``)."""
        data = self.data
        shown = []
        for letter, piece in pieces:
            if not letter:
                shown.append(piece)
                continue
            if type(data) is datetime.date and hasattr(dateformat.TimeFormat, piece):
                raise TypeError(  # Django's error, for a format it refuses
                    "The format for date objects may not contain time-related format "
                    f"specifiers (found '{piece}')."
                )
            shown.append(str(getattr(self, piece)()))
        return "".join(shown)


# The names of each language (``_NamesOnce.names``), read again when a catalogue changes.
NAMES: dict[str, dict] = kept_per_language({})


class Dates:
    """A page's dates and times, as ``formats.localize`` writes them (a date time in the
    current time zone first, as ``timezone.template_localtime``): the language's formats,
    its names and the time zone read once for the page."""

    def __init__(self):
        self.names = NAMES.setdefault(get_language(), {})
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None
        self.formats = {}
        self.written = {}  # each date or time written, by its value: the page's rows repeat some

    def pieces(self, name: str) -> list[tuple[bool, str]]:
        try:
            return self.formats[name]
        except KeyError:
            split = dateformat.re_formatchars.split(str(formats.get_format(name)))
            pieces = [
                (bool(i % 2), piece if i % 2 else dateformat.re_escaped.sub(r"\1", piece))
                for i, piece in enumerate(split)
                if i % 2 or piece
            ]
            self.formats[name] = pieces
            return pieces

    def shown(self, value, *, local: bool = False) -> str:
        """``formats.localize(value)``; ``local``: of ``template_localtime(value)``. A date or
        a date time the page has written already is written as it was (a column of the times
        the rows were last changed, after an import: one time for all)."""
        kind = type(value)
        if kind is not datetime.date and kind is not datetime.datetime:
            return self._shown(value, local)
        key = (value, kind, getattr(value, "tzinfo", None), getattr(value, "fold", 0), local)
        try:
            return self.written[key]
        except KeyError:
            shown = self.written[key] = self._shown(value, local)
            return shown

    def _shown(self, value, local: bool) -> str:
        if isinstance(value, datetime.datetime):
            if (
                local
                and self.zone is not None
                and value.utcoffset() is not None
                and getattr(value, "convert_to_local_time", True)
            ):
                value = value.astimezone(self.zone)
            written = _NamesOnce(value)
            written.names = self.names
            return written.written(self.pieces("DATETIME_FORMAT"))
        if isinstance(value, datetime.date):
            written = _NamesOnce(value)
            written.names = self.names
            return written.written(self.pieces("DATE_FORMAT"))
        return formats.localize(value)
