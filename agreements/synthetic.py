"""Synthetic records at scale, for benchmarks: about N commitments with everything around them.

Deterministic from the seed (given the same starting database): the same call writes the same
rows with the same ids. Rows are written in bulk, COPY on PostgreSQL and ``executemany``
elsewhere, a chunk of meetings per transaction, so a million commitments load in minutes.
On PostgreSQL two threads copy chunks while the next is made: the server's half of the work
(constraints, triggers, indexes) runs on every core alongside Python's.
The database's own constraints and triggers check every row as usual; only the model layer
(``save()``, history records) is bypassed, so synthetic records have no history entries.

Most meetings belong to North America, the demo's team, so the demo logins see them.
"""

from __future__ import annotations

import datetime
import functools
import queue
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from agreements import models as m

VIA = "command:synthetic_data"
TEAMS = [
    ("north-america", "North America", 0.85),
    ("europe", "Europe", 0.05),
    ("asia-pacific", "Asia-Pacific", 0.05),
    ("africa", "Africa", 0.05),
]
MEETINGS_PER_CHUNK = 500
COPIERS = 2  # threads copying chunks into PostgreSQL while the next is made
LONG_TIMELINE = "Synthetic commitment with a long timeline"

CITIES = ["Mexico City", "Washington", "Ottawa", "Madrid", "Brussels", "Nairobi", "Canberra"]
VERBS = ["Strengthen", "Reduce", "Establish", "Expand", "Coordinate", "Review", "Dismantle"]
OBJECTS = {
    "drugs": ["fentanyl precursor controls", "laboratory seizures", "port inspections"],
    "arms": ["firearms tracing", "border checks on weapons", "ammunition controls"],
    "fuel_theft": ["pipeline monitoring", "fuel theft prosecutions"],
    "migration": ["asylum processing", "migrant protection", "return agreements"],
    "sovereignty": ["consultation before operations", "joint rules of engagement"],
    "security": ["intelligence sharing", "joint investigations", "extradition requests"],
    "trade": ["customs cooperation", "tariff consultations"],
    "energy": ["grid interconnection", "energy security dialogue"],
}
WORDS = [
    "cooperation",
    "implementation",
    "border",
    "agency",
    "ministry",
    "officials",
    "report",
    "review",
    "joint",
    "framework",
    "group",
    "progress",
    "measures",
    "partners",
    "security",
    "capacity",
    "training",
    "funding",
    "verification",
    "monitoring",
    "agreement",
    "commitment",
    "priority",
    "enforcement",
    "dialogue",
]


THEMES = list(OBJECTS)


@functools.cache
def values_of(vocabulary: type[models.Choices]) -> list:
    """A vocabulary's values, read once: a Choices class builds its list on every call."""
    return vocabulary.values


def sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choices(WORDS, k=n)).capitalize() + "."


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


@dataclass
class TeamCast:
    """A team and the synthetic people who write and review its records."""

    team: m.Team
    editor_id: int
    reviewer_id: int
    source_ids: list[int] = field(default_factory=list)


@dataclass
class Tally:
    commitments: int = 0
    meetings: int = 0
    rows: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def generate(size: int, seed: int, report: Callable[[str], None] = lambda _: None) -> Tally:
    """Write about ``size`` commitments (ten per meeting on average) with their surroundings."""
    rng = random.Random(seed)
    started = time.perf_counter()
    writer = BulkWriter(now=timezone.now())
    with transaction.atomic():
        m.Theme.seed()
        casts = _teams_and_people()
        parties = _parties()
        # Each team keeps its own persons (the ones its records name).
        persons = {
            cast.team.pk: _persons(writer, rng, cast.team.pk, parties, count=max(50, size // 200))
            for cast in casts
        }
        for cast in casts:
            cast.source_ids = [
                writer.add(
                    m.Source,
                    team_id=cast.team.pk,
                    title=f"Synthetic source {i}",
                    reliability=rng.choice(values_of(m.Reliability)),
                )
                for i in range(max(10, size // 500))
            ]
        writer.flush()
    maker = MeetingMaker(writer, rng, casts, parties, persons)
    tally = Tally()
    meetings = max(1, size // 10)
    pipeline = writer.pipeline()
    try:
        for first in range(0, meetings, MEETINGS_PER_CHUNK):
            for number in range(first, min(meetings, first + MEETINGS_PER_CHUNK)):
                tally.commitments += maker.meeting(number)
                tally.meetings += 1
            pipeline.send()
            report(f"  {tally.commitments:,} commitments, {writer.written:,} rows")
        pipeline.close()
    except BaseException:
        pipeline.close(abandon=True)  # the error raised is the first one
        raise
    finally:
        writer.reset_sequences()  # past every id copied, even by a load cut short
    m.CommitmentTally.compact([cast.team.pk for cast in casts])  # the triggers' +1 per row
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in writer.touched:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    tally.rows = writer.written
    tally.seconds = time.perf_counter() - started
    return tally


def _teams_and_people() -> list[TeamCast]:
    User = get_user_model()
    casts = []
    for slug, name, _ in TEAMS:
        team, _ = m.Team.objects.get_or_create(slug=slug, defaults={"name": name})
        ids = []
        for role in (m.TeamRole.EDITOR, m.TeamRole.REVIEWER):
            user, created = User.objects.get_or_create(username=f"synthetic-{role}-{slug}")
            if created:
                user.set_unusable_password()
                user.save()
            m.TeamMembership.objects.get_or_create(user=user, team=team, defaults={"role": role})
            ids.append(user.pk)
        casts.append(TeamCast(team, *ids))
    return casts


def _parties() -> list[int]:
    """Every party there is, plus synthetic states (user-assigned ISO codes XAA–XAZ)."""
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        m.Party.objects.get_or_create(
            code=f"XA{letter}", defaults={"name": f"Synthetic state XA{letter}", "kind": "state"}
        )
    return list(m.Party.objects.order_by("pk").values_list("pk", flat=True))


def _persons(writer: BulkWriter, rng: random.Random, team: int, parties: list[int], count: int):
    return [
        (
            writer.add(
                m.Person,
                team_id=team,
                name=f"Synthetic person {i}",
                party_id=party,
                current_office="Minister",
            ),
            party,
        )
        for i in range(count)
        for party in [rng.choice(parties)]
    ]


class MeetingMaker:
    """One meeting with its commitments, bodies, reviews and evidence, as rows."""

    def __init__(self, writer, rng, casts, parties, persons) -> None:
        self.w, self.rng, self.casts, self.parties, self.persons = (
            writer,
            rng,
            casts,
            parties,
            persons,
        )
        self.weights = [share for _, _, share in TEAMS]
        self.long_timeline_made = False

    def day(self, start: datetime.date, spread: int) -> datetime.date:
        return start + datetime.timedelta(days=self.rng.randrange(spread))

    def at(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)

    def meeting(self, number: int) -> int:
        w, rng = self.w, self.rng
        cast = rng.choices(self.casts, weights=self.weights)[0]
        start = datetime.date(2018, 1, 1) + datetime.timedelta(days=rng.randrange(3000))
        theme = rng.choice(THEMES)
        archived = rng.random() < 0.02
        meeting = w.add(
            m.Meeting,
            team_id=cast.team.pk,
            title=f"Synthetic meeting {number} on {rng.choice(OBJECTS[theme])}",
            start_date=start,
            end_date=start + datetime.timedelta(days=rng.randrange(2)),
            city=rng.choice(CITIES),
            outcome_type=rng.choice(values_of(m.OutcomeType)),
            summary=sentence(rng, 30),
            archived_at=self.at(start) if archived else None,
            archived_by_id=cast.editor_id if archived else None,
        )
        parties = rng.sample(self.parties, k=rng.choice((2, 2, 3)))
        for party in parties:
            w.link(m.Meeting._meta.get_field("parties"), meeting, party)
        w.link(m.Meeting._meta.get_field("sources"), meeting, rng.choice(cast.source_ids))
        for person, party in rng.sample(self.persons[cast.team.pk], k=2):
            w.add(
                m.Participant,
                meeting_id=meeting,
                person_id=person,
                party_id=party,
                office="Minister",
                role=rng.choice(values_of(m.ParticipantRole)),
            )
        body = w.add(
            m.ImplementationBody,
            meeting_id=meeting,
            name="High-level implementation group",
            mandate=sentence(rng),
            lifecycle=rng.choice(values_of(m.Lifecycle)),
        )
        for person, party in rng.sample(self.persons[cast.team.pk], k=2):
            w.add(
                m.BodyMembership,
                body_id=body,
                person_id=person,
                party_id=party,
                confirmation=rng.choice(values_of(m.Confirmation)),
            )
        w.add(
            m.BodyMembership,
            body_id=body,
            party_id=parties[0],
            confirmation=m.Confirmation.UNCONFIRMED,
        )  # members not published
        self.milestone(body_id=body, start=start)
        for _ in range(2):
            person, party = rng.choice(self.persons[cast.team.pk])
            w.add(
                m.Statement,
                meeting_id=meeting,
                speaker_id=person,
                party_id=party,
                kind=rng.choice(values_of(m.StatementKind)),
                text=sentence(rng, 20),
                said_on=start,
            )
        w.add(
            m.Claim,
            meeting_id=meeting,
            record_meeting_id=meeting,
            team_id=cast.team.pk,
            text=f"Open question: {sentence(rng)}",
            verification=rng.choice(values_of(m.Verification)),
        )
        occurred = rng.random() < 0.7
        w.add(
            m.ContextEvent,
            meeting_id=meeting,
            title=f"Context: {sentence(rng, 5)}",
            occurred_on=self.day(start, 60) if occurred else None,
            timing_note="" if occurred else "Days before the meeting",
            relation=rng.choice(values_of(m.EventRelation)),
        )
        count = rng.randrange(5, 16)
        for position in range(count):
            self.commitment(cast, meeting, body, parties, start, position, theme)
        return count

    def commitment(self, cast, meeting, body, parties, start, position, theme) -> None:
        w, rng = self.w, self.rng
        theme = theme if rng.random() < 0.5 else rng.choice(THEMES)
        status = rng.choices(range(4), weights=(30, 35, 20, 15))[0]
        stalled = rng.random() < 0.05
        cancelled = rng.random() < 0.03
        long_timeline = not self.long_timeline_made and cast is self.casts[0]
        self.long_timeline_made |= long_timeline
        title = (
            LONG_TIMELINE
            if long_timeline
            else (f"{rng.choice(VERBS)} {rng.choice(OBJECTS[theme])} ({position + 1})")
        )
        commitment = w.add(
            m.Commitment,
            meeting_id=meeting,
            team_id=cast.team.pk,
            meeting_date=start,
            title=title,
            text=sentence(rng, 25),
            theme_id=theme,
            status=status,
            is_stalled=stalled,
            cancellation=m.Cancellation.CANCELLED if cancelled else "",
            target_date=start + datetime.timedelta(days=rng.randrange(30, 900)),
            lead_agency=rng.choice(["Ministry of Security", "Customs", "Attorney General"]),
            position=position,
            created_at=self.at(start),  # recorded at the meeting, as a desk would
        )
        for party in parties:
            w.add(
                m.CommitmentParty,
                commitment_id=commitment,
                party_id=party,
                role=rng.choice(values_of(m.PartyRole)),
            )
        w.link(m.ImplementationBody._meta.get_field("commitments"), body, commitment)
        if rng.random() < 0.3:
            w.link(m.Commitment._meta.get_field("sources"), commitment, rng.choice(cast.source_ids))
        self.timeline(cast, commitment, start, status, stalled, cancelled, long_timeline)
        self.milestone(commitment_id=commitment, start=start)
        if rng.random() < 0.35 or long_timeline:
            latest = max(
                self.update(cast, commitment, start) for _ in range(60 if long_timeline else 1)
            )
            # Written with the row, as the trigger on progress updates would leave it: the
            # trigger then finds nothing to change (an UPDATE per commitment saved).
            w.amend(m.Commitment, last_update_at=latest)
        if rng.random() < 0.3:
            for party in parties:
                w.add(
                    m.Assessment,
                    commitment_id=commitment,
                    party_id=party,
                    score=rng.choice(values_of(m.ComplianceScore)),
                    justification=sentence(rng),
                    as_of=self.day(start, 400),
                    stage=rng.choice(values_of(m.AssessmentStage)),
                    assessed_by_id=cast.reviewer_id,
                    created_at=self.at(self.day(start, 400)),
                )
        if rng.random() < 0.1:
            w.add(
                m.Claim,
                commitment_id=commitment,
                record_meeting_id=meeting,
                team_id=cast.team.pk,
                text=f"Reported: {sentence(rng)}",
                verification=rng.choice(values_of(m.Verification)),
            )

    def timeline(self, cast, commitment, start, status, stalled, cancelled, long) -> None:
        """Status changes that lead from 'not started' to the commitment's present state."""
        steps = [(s - 1, s, False, False, "", "") for s in range(1, status + 1)]
        if long:  # stalled and restarted, again and again
            steps += [(status, status, i % 2 == 0, i % 2 == 1, "", "") for i in range(200)]
        if stalled:
            steps.append((status, status, False, True, "", ""))
        if cancelled:
            steps.append((status, status, stalled, stalled, "", "cancelled"))
        when = start
        for from_s, to_s, from_st, to_st, from_c, to_c in steps:
            when += datetime.timedelta(days=self.rng.randrange(1, 40))
            self.w.add(
                m.StatusChange,
                commitment_id=commitment,
                from_status=from_s,
                to_status=to_s,
                from_stalled=from_st,
                to_stalled=to_st,
                from_cancellation=from_c,
                to_cancellation=to_c,
                reason="Synthetic progress recorded.",
                changed_by_id=cast.editor_id,
                changed_via=VIA,
                changed_at=self.at(when),
            )

    def milestone(self, start: datetime.date, **owner) -> None:
        status = self.rng.choice(values_of(m.MilestoneStatus))
        due = self.day(start, 700)
        self.w.add(
            m.Milestone,
            title=f"Synthetic milestone: {sentence(self.rng, 4)}",
            due_date=due,
            status=status,
            completed_on=due if status == m.MilestoneStatus.DONE else None,
            **owner,
        )

    def update(self, cast, commitment, start) -> datetime.datetime:
        """A progress update in one of the review states, with the events that put it there;
        returns when the last of them was written."""
        w, rng = self.w, self.rng
        state = rng.choices(
            ["draft", "submitted", "approved", "returned", "resubmitted"],
            weights=(10, 25, 40, 15, 10),
        )[0]
        when = self.at(self.day(start, 700))
        first = w.add(
            m.ProgressUpdate,
            commitment_id=commitment,
            author_id=cast.editor_id,
            narrative=sentence(rng, 30),
            created_at=when,
            proposed_status=rng.choice([None, 1, 2, 3]),
            review_state="returned" if state == "resubmitted" else state,
        )
        if state == "draft":
            return when
        self.event(first, "submit", cast.editor_id, when)
        if state in ("approved", "returned", "resubmitted"):
            action = "approve" if state == "approved" else "return"
            comment = "" if action == "approve" else "Cite the source for this figure."
            self.event(first, action, cast.reviewer_id, when, comment)
        if state == "resubmitted":
            later = when + datetime.timedelta(days=3)
            revision = w.add(
                m.ProgressUpdate,
                commitment_id=commitment,
                author_id=cast.editor_id,
                narrative=sentence(rng, 30),
                created_at=later,
                revises_id=first,
                review_state="resubmitted",
            )
            self.event(revision, "submit", cast.editor_id, later)
            return later
        return when

    def event(self, update, action, by, when, comment="") -> None:
        self.w.add(
            m.ReviewEvent, update_id=update, action=action, by_id=by, at=when, comment=comment
        )
