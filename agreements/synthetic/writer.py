"""The bulk writer: rows gathered per table with their ids assigned in Python, then written
together, COPY on PostgreSQL and ``executemany`` elsewhere, bypassing the model layer
(``save()``, signals, history records); the database's own constraints and triggers check every
row as usual.

``BulkWriter.pipeline()`` says where each chunk of rows goes: on PostgreSQL, outside a
transaction, to threads that copy it over connections of their own while the caller makes the
next chunk (``ThreadPipeline``), so the server's half of the work (constraints, triggers,
indexes) runs on every core alongside Python's; otherwise to the caller's connection, one chunk
after the other (``Pipeline``).
"""

from __future__ import annotations

import datetime
import queue
import threading
from collections import defaultdict
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

COPIERS = 2  # threads copying chunks into PostgreSQL while the next is made


@dataclass
class Layout:
    """A model's table as the writer fills it: per column, the attribute that names it in
    ``add``, the column's name, and the value it gets when ``add`` gives none."""

    names: list[str]
    columns: list[str]
    defaults: list[object]
    positions: dict[str, int]


class BulkWriter:
    """Rows gathered per model, with their ids assigned here, then written in one go.

    ``add(Model, **values)`` takes values by attribute name (``meeting_id``, not ``meeting``);
    every other column gets its field's default, and auto_now fields the writer's ``now``.
    """

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now
        self.rows: dict[type[models.Model], list[tuple]] = defaultdict(list)
        self.next_id: dict[type[models.Model], int] = {}
        self.layouts: dict[type[models.Model], Layout] = {}
        self.touched: set[type[models.Model]] = set()
        self.written = 0

    def layout(self, model: type[models.Model]) -> Layout:
        if model not in self.layouts:
            fields = model._meta.concrete_fields
            names = [f.attname for f in fields]
            self.layouts[model] = Layout(
                names=names,
                columns=[f.column for f in fields],
                defaults=[self._default(f) for f in fields],
                positions={name: i for i, name in enumerate(names)},
            )
        return self.layouts[model]

    def _default(self, field: models.Field) -> object:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return self.now
        return None if field.primary_key else field.get_default()

    def take_id(self, model: type[models.Model]) -> int:
        if model not in self.next_id:
            top = model._base_manager.aggregate(top=models.Max("pk"))["top"]
            self.next_id[model] = (top or 0) + 1
        self.next_id[model] += 1
        return self.next_id[model] - 1

    def add(self, model: type[models.Model], **values) -> int:
        if "id" not in values:
            values["id"] = self.take_id(model)
        layout = self.layouts.get(model) or self.layout(model)
        self.rows[model].append(tuple(map(values.get, layout.names, layout.defaults)))
        return values["id"]

    def amend(self, model: type[models.Model], **values) -> None:
        """Change columns of the row last added for ``model``."""
        positions = self.layouts[model].positions
        row = list(self.rows[model][-1])
        for name, value in values.items():
            row[positions[name]] = value
        self.rows[model][-1] = tuple(row)

    def link(self, m2m: models.ManyToManyField, owner_id: int, other_id: int) -> None:
        """A row of a many-to-many field's table."""
        through = m2m.remote_field.through
        owner = m2m.m2m_field_name() + "_id"
        other = m2m.m2m_reverse_field_name() + "_id"
        self.add(through, **{owner: owner_id, other: other_id})

    def flush(self) -> None:
        """Write the rows gathered so far, in the caller's transaction."""
        self.write(connection, self.take())

    def take(self) -> dict[type[models.Model], list[tuple]]:
        """The rows gathered so far, counted as written; the writer starts afresh."""
        batch, self.rows = self.rows, defaultdict(list)
        for model, rows in batch.items():
            self.written += len(rows)
            if rows:
                self.touched.add(model)
        return batch

    def write(self, db: BaseDatabaseWrapper, batch: dict[type[models.Model], list[tuple]]) -> None:
        """Write ``batch`` (rows by model, from ``take``) over the connection ``db``."""
        with db.cursor() as cursor:
            for model, rows in batch.items():
                if not rows:
                    continue
                table = db.ops.quote_name(model._meta.db_table)
                columns = self.layouts[model].columns
                names = ", ".join(db.ops.quote_name(c) for c in columns)
                if db.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def pipeline(self) -> Pipeline:
        """Where each chunk's rows go: threads that copy them on PostgreSQL (``ThreadPipeline``),
        the caller's transaction otherwise (SQLite has one writer at a time, and rows written
        inside the caller's transaction must stay in it, as in tests)."""
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            return ThreadPipeline(self)
        return Pipeline(self)

    def reset_sequences(self) -> None:
        """Point each table's id sequence past the ids assigned here (PostgreSQL)."""
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.touched)):
                cursor.execute(sql)


class Pipeline:
    """Each chunk written in a transaction of its own, one after the other."""

    def __init__(self, writer: BulkWriter) -> None:
        self.writer = writer

    def send(self) -> None:
        with transaction.atomic():
            self.writer.flush()

    def close(self, abandon: bool = False) -> None:
        """Wait for the chunks handed over; ``abandon``: the caller failed, drop what waits."""


class ThreadPipeline(Pipeline):
    """Each chunk handed to one of ``COPIERS`` threads, which copies it over its own
    connection in a transaction of its own while the caller makes the next chunk. Chunks share
    no rows and the tallies' triggers only insert, so the copies never wait on each other;
    the server spreads them over its cores. At most ``COPIERS`` chunks wait, so memory holds
    ``2 * COPIERS + 1`` at most. A failure in a thread is raised in the caller at its next
    step; after it, or after the caller's own failure, the chunks still waiting are dropped
    (one being copied at that moment is finished)."""

    def __init__(self, writer: BulkWriter) -> None:
        super().__init__(writer)
        self.chunks: queue.Queue = queue.Queue(maxsize=COPIERS)
        self.failure: BaseException | None = None
        self.abandoned = self.closed = False
        self.threads = [
            threading.Thread(target=self._copy, name=f"synthetic-copy-{n}", daemon=True)
            for n in range(COPIERS)
        ]
        for thread in self.threads:
            thread.start()

    def _copy(self) -> None:
        db = connections[connection.alias]  # this thread's own connection
        try:
            while (batch := self.chunks.get()) is not None:  # one None per thread, at close
                if self.failure is not None or self.abandoned:
                    continue  # dropped, not written
                try:
                    with transaction.atomic(using=db.alias):
                        self.writer.write(db, batch)
                except BaseException as error:  # raised in the caller
                    self.failure = error
        finally:
            db.close()

    def _raise(self) -> None:
        if self.failure is not None:
            raise self.failure

    def send(self) -> None:
        self._raise()
        self.chunks.put(self.writer.take())

    def close(self, abandon: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.abandoned = abandon
        for _ in self.threads:
            self.chunks.put(None)
        for thread in self.threads:
            thread.join()
        if not abandon:
            self._raise()
