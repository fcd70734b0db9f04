"""A number that grows after every committed change to the records, so that what is drawn
from them once (the dashboard, the lists, a meeting's or a commitment's page: ``drawn_once`` in
views/common.py) can be kept in the shared cache and served to every worker until a change
makes it out of date.

Every save, deletion or change of the links between records of this app (whatever writes it:
the actions, the admin, an import, a fixture) asks for one more revision when its transaction
commits (``note_change``): once per transaction, after the commit, in one statement, so
writers never wait on the counter inside their transactions nor deadlock over it, and a
reader never sees a new number before the change it stands for. The derived tallies, and
records that are no one's team's (follows, preferences, API keys, feeds, sent digests), do not
count. A user's change counts too (the pages name authors and reviewers), but not a sign-in
nor a new password, which no page shows. A cached entry also expires on its own after a while
(the cache's ``TIMEOUT``), and a migration (a new release) empties the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections, models, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class Revision(models.Model):
    """The one counter row, named ``RECORDS`` (made by migration 0037)."""

    RECORDS = "records"
    derived = True  # kept by the writes themselves, edited nowhere (not in the admin)

    name = models.CharField(max_length=40, primary_key=True)
    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "revision"

    def __str__(self) -> str:
        return f"{self.name} {self.number}"

    @classmethod
    def current(cls) -> int:
        return cls.objects.filter(name=cls.RECORDS).values_list("number", flat=True).first() or 0

    @classmethod
    def drawn_once(cls, draw: Callable[[], str], *key: object) -> str:
        """What ``draw()`` returns, drawn once per revision and ``key`` (what else it depends
        on) and kept in the shared cache for every worker."""
        # Hashed: the key holds what a user typed and the ids of all their teams.
        digest = hashlib.blake2b(repr(key).encode(), digest_size=20).hexdigest()
        name = f"{cls.RECORDS}:{cls.current()}:{digest}"
        return cache.get_or_set(name, draw)  # kept for the cache's TIMEOUT (settings)

    @classmethod
    def advance(cls) -> None:
        if not cls.objects.filter(name=cls.RECORDS).update(number=F("number") + 1):
            # The row is gone (a flushed test database): make it, past any number served.
            cls.objects.get_or_create(name=cls.RECORDS, defaults={"number": 1})


# Models whose rows are no team's records, or are derived from records that count already.
NOT_RECORDS = {
    "revision",
    "follow",
    "preference",
    "apitoken",
    "calendarfeed",
    "digestsent",
    "commitmenttally",
    "compliancetally",
}


def _advance_after_commit() -> None:
    Revision.advance()


# What a user's row holds that no page shows: written at every sign-in, and a password.
UNSHOWN_USER_FIELDS = frozenset({"last_login", "password"})


def note_change(sender, **kwargs) -> None:
    """A record of this app, or a user, changed: one more revision once the transaction
    commits."""
    meta = sender._meta
    if meta.label == settings.AUTH_USER_MODEL:
        fields = kwargs.get("update_fields")
        if fields is not None and fields <= UNSHOWN_USER_FIELDS:
            return
    elif meta.app_label != "agreements" or meta.model_name in NOT_RECORDS:
        return
    if sender.__module__ == "__fake__":
        return  # a migration's model: the cache is emptied once migrating ends
    if kwargs.get("action", "post_").startswith("pre_"):  # m2m_changed sends pre_ and post_
        return
    connection = transaction.get_connection()
    pending = (callback for _, callback, _ in connection.run_on_commit)
    if connection.in_atomic_block and _advance_after_commit in pending:
        return  # asked for once per transaction (a rollback forgets the request)
    transaction.on_commit(_advance_after_commit, robust=True)


def forget_drawings(using: str = "default", **kwargs) -> None:
    """After migrating (a new release), drop what was cached: it was drawn by the old code."""
    connection = connections[using]
    table = settings.CACHES["default"].get("LOCATION")  # the database cache's table
    if table in connection.introspection.table_names():
        cache.clear()


def connect() -> None:
    post_save.connect(note_change, dispatch_uid="revision_save")
    post_delete.connect(note_change, dispatch_uid="revision_delete")
    m2m_changed.connect(note_change, dispatch_uid="revision_m2m")
    post_migrate.connect(forget_drawings, dispatch_uid="revision_migrate")
