"""Django's database sessions, their read made once: every signed-in request reads its session
by its key, a query the ORM built and compiled anew each time (about 0.2 ms), now by SQL made
once a process (``made_once.rows_of_made_once``) with the key its value. Whether the session has
expired is asked of the row read, as Django's own query asks it of the table. Writing,
creating and deleting sessions are Django's, unchanged. ``SESSION_ENGINE`` names this module."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from .models.made_once import rows_of_made_once


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        rows = rows_of_made_once(("session",), _session_of, session_key=self.session_key)
        if rows and rows[0][1] > timezone.now():  # as Django's ``expire_date__gt=now``
            data, expire_date = rows[0]
            return self.model(
                session_key=self.session_key, session_data=data, expire_date=expire_date
            )
        self._session_key = None
        return None


def _session_of(session_key: str):
    return Session.objects.filter(session_key=session_key).values_list(
        "session_data", "expire_date"
    )
