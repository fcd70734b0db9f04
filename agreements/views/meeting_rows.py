"""What each section of a meeting's page shows, row by row (``meetings.meeting_detail``): the
fields each row reads, the figures and names put together for a page of rows at once (a
plain read of each link table, not a prefetch building every related record), a past day's
state of each row, and what each section reads given the meeting's id (the statements and
readouts: ``meeting_statements``)."""

from __future__ import annotations

from django.db.models import (
    F,
    QuerySet,
    prefetch_related_objects,
)
from django.utils.translation import gettext, ngettext

from ..forms import ContextEventForm
from ..ids import is_id
from ..models import (
    BodyMembership,
    Claim,
    Commitment,
    ContextEvent,
    ImplementationBody,
    Meeting,
    Milestone,
    Participant,
    Party,
    Source,
    moves_of,
)
from ..models.base import label_of
from ..models.made_once import rows_of_ids_made_once, rows_of_made_once
from ..templatetags.tracker import state_badge
from .commitment_rows import day_names, party_roles, state_badges
from .meeting_additions import team_sources
from .meeting_sections import FirstPages
from .milestone_checklist import with_forms, with_moves
from .source_files import flag_kept, keep_forms, read_kept_files

# What a commitment row shows (templates/jinja2/agreements/meeting_commitment_rows.html), read
# alone: its long texts (text, indicator, notes) stay in the database.
ROW_FIELDS = (
    "title",
    "language",
    "status",
    "is_stalled",
    "cancellation",
    "archived_at",
    "theme",
    "target_date",
    "lead_agency",
    "meeting_id",
    "position",
)


# What a commitment's milestone shows under it, and what a past day's state of it reads.
MILESTONE_FIELDS = (
    "commitment_id",
    "title",
    "due_date",
    "status",
    "completed_on",
    "original_due_date",
)


def commitment_query(commitments: QuerySet[Commitment], day) -> QuerySet[Commitment]:
    """The meeting's commitments with what each row shows; on a past ``day``, their state."""
    # Its theme by name alone (``shown_commitments`` names it as ``Theme.label`` does): a
    # theme built for each row cost more than the row's other columns.
    commitments = commitments.only(*ROW_FIELDS).annotate(theme_name=F("theme__name"))
    return (commitments.as_of(day) if day else commitments).with_mean_status(day)


def shown_commitments(rows: list[Commitment], day, today) -> list[Commitment]:
    """A page of commitment rows as they are drawn: on a past ``day``, each commitment and its
    milestones as they stood then; each row's badges, parties' roles and dates written here,
    each distinct one once (a page of rows repeats a few statuses, roles and days). Their
    milestones are read in one plain query, in their order (due date first), where a prefetch
    cost twice as much to put together."""
    # By the commitment's id: by the commitment, its own order (by meeting) joins two tables.
    ids = [commitment.pk for commitment in rows]
    milestones = rows_of_ids_made_once(("row_milestones",), ids, _milestones_of, records=True)
    by_commitment: dict[int, list[Milestone]] = {}
    for milestone in milestones:
        by_commitment.setdefault(milestone.commitment_id, []).append(milestone)
    for commitment in rows:
        commitment.shown_milestones = by_commitment.get(commitment.pk, [])
    # Only a milestone that has moved has moves (it keeps its first date, ``original_due_date``,
    # from its first move on): theirs are read and shown, the others' are none.
    moved = [milestone for milestone in milestones if milestone.original_due_date]
    if moved:  # else not even the moves' query is built
        prefetch_related_objects(moved, moves_of("reschedules"))
    if day:
        for commitment in rows:
            commitment.take_state_then()
        for milestone in milestones:
            milestone.take_state_on(day)
        for milestone in moved:
            milestone.take_date_on(day)
    roles = party_roles(ids)
    badges, day_name, states, themes = state_badges(today), day_names(), {}, {}
    for commitment in rows:
        if commitment.theme_name not in themes:  # as ``Theme.label`` names it
            themes[commitment.theme_name] = gettext(commitment.theme_name)
        commitment.theme_label = themes[commitment.theme_name]
        commitment.badges = badges(commitment)
        commitment.roles = roles.get(commitment.pk, [])
        commitment.target = day_name(commitment.target_date)
        for milestone in commitment.shown_milestones:
            if milestone.status not in states:
                states[milestone.status] = state_badge(
                    milestone.status, milestone.get_status_display()
                )
            milestone.badge = states[milestone.status]
            milestone.due = day_name(milestone.due_date)
    return rows


def _milestones_of(ids: list[int]) -> QuerySet[Milestone]:
    """The milestones of commitments ``ids`` (``shown_commitments``), its SQL made once a
    process for each number of commitments."""
    return (
        Milestone.objects.filter(commitment__in=ids)
        .only(*MILESTONE_FIELDS)
        .order_by("commitment_id", "due_date", "pk")
    )


# What a claim's row shows (templates/jinja2/agreements/meeting_claim_rows.html).
CLAIM_FIELDS = ("pk", "text", "verification", "commitment_id", "body_id")


def claim_rows(claims: list[dict], sources: list[tuple] | None = None) -> list[dict]:
    """A page of claims (plain rows, ``claims_of``), each with its verification's badge (each
    drawn once), its sources' titles and what introduces them: read here, or given, read
    with the claims (``claim_sources``)."""
    if sources is None:
        titles = names_of(claims, "sources", SOURCE_ORDER, "title", model=Claim)
    else:
        titles = named(sources)
    badges: dict[str, str] = {}
    for claim in claims:
        verification = claim["verification"]
        if verification not in badges:
            label = label_of(Claim, "verification", verification)
            badges[verification] = state_badge(verification, label)
        claim["badge"] = badges[verification]
        claim["shown_sources"] = titles.get(claim["pk"], [])
        claim["sources_label"] = ngettext("source:", "sources:", len(claim["shown_sources"]))
    return claims


def event_rows(events: list[ContextEvent]) -> list[ContextEvent]:
    """A page of context events, each with its sources' titles."""
    titles = names_of(events, "sources", SOURCE_ORDER, "title")
    for event in events:
        event.source_titles = titles.get(event.pk, [])
    return events


# A record's sources in their own order (``Source.Meta.ordering``), read from its link table.
SOURCE_ORDER = ("-source__published_on", "source__title", "source_id")


def names_of(
    records: list, field: str, order: tuple[str, ...], column: str, *, model=None
) -> dict[int, list[str]]:
    """Each of ``records``' related records by one ``column`` (a name, a title), through its
    many-to-many ``field``, in ``order`` (lookups on the link table); ``records`` may be plain
    rows of ``model`` (dicts with their "pk"), not records. One plain read of the
    link table for the page, where a prefetch built every related record (some 2 ms a
    prefetch, under 1 ms a read), its SQL made once a process for each number of records
    (``rows_of_ids_made_once``)."""
    if not records:
        return {}
    relation = getattr(model or type(records[0]), field)

    def build(ids: list[int]) -> QuerySet:
        return names_read(relation, order, column, ids)

    key = ("names_of", relation.through._meta.label, order, column)
    ids = [r["pk"] for r in records] if model else [r.pk for r in records]
    return named(rows_of_ids_made_once(key, ids, build))


def names_read(relation, order: tuple[str, ...], column: str, ids) -> QuerySet:
    """The read of ``names_of``: ``(id, name)`` of the records ``ids`` (a list, or a query of
    them), through their many-to-many ``relation`` (its descriptor), in ``order``."""
    owner = relation.field.m2m_field_name()
    target = relation.field.m2m_reverse_field_name()
    rows = relation.through.objects.filter(**{f"{owner}__in": ids}).order_by(*order)
    return rows.values_list(f"{owner}_id", f"{target}__{column}")


def named(rows: list[tuple]) -> dict[int, list[str]]:
    """``(id, name)`` rows as each id's names, in their order."""
    names: dict[int, list[str]] = {}
    for pk, name in rows:
        names.setdefault(pk, []).append(name)
    return names


def claim_sources(ids: QuerySet) -> QuerySet:
    """The titles of the sources of claims ``ids`` (a query of them: a page's), as
    ``claim_rows`` shows them, to read with the claims (``FirstPages.add_links``)."""
    return names_read(Claim.sources, SOURCE_ORDER, "title", ids)


def body_rows(meeting: Meeting, together: FirstPages | None = None) -> list[dict]:
    """The bodies set up at the meeting (in their order), each with its lifecycle's badge and
    its members (in theirs), each with its confirmation's badge (each badge drawn once): one
    read of both, a plain row per member (or per body without one), its SQL made once a
    process (``rows_of_made_once``: the same for every meeting but its id), or read with
    other sections ``together`` where they hold it (``bodies_of``)."""
    if "bodies" in (together or ()):
        rows = together.page("bodies")
    else:
        rows = rows_of_made_once(("meeting_bodies",), bodies_of, of=meeting.pk)
    bodies: dict[int, dict] = {}
    badges: dict[tuple[str, str], str] = {}

    def badge(model, field: str, value: str) -> str:
        if (field, value) not in badges:
            badges[field, value] = state_badge(value, label_of(model, field, value))
        return badges[field, value]

    for pk, name, lifecycle, mandate, cadence, note, member, *sits in rows:
        if pk not in bodies:
            bodies[pk] = {
                "pk": pk,
                "name": name,
                "badge": badge(ImplementationBody, "lifecycle", lifecycle),
                "mandate": mandate,
                "cadence": cadence,
                "membership_note": note,
                "members": [],
            }
        if member is not None:
            person, party, role, confirmation = sits
            bodies[pk]["members"].append(
                {
                    "person": person,
                    "party": party,
                    "role": role,
                    "badge": badge(BodyMembership, "confirmation", confirmation),
                }
            )
    return list(bodies.values())


def bodies_of(of: int) -> QuerySet:
    """A row per member of each body of meeting ``of`` (a row for a body without one)."""
    return (
        ImplementationBody.objects.filter(meeting=of)
        .order_by("name", "pk", "members__pk")  # their own orders: ``Meta.ordering``
        .values_list(
            "pk",
            "name",
            "lifecycle",
            "mandate",
            "cadence",
            "membership_note",
            "members__pk",
            "members__person__name",
            "members__party__name",
            "members__role",
            "members__confirmation",
        )
    )


def milestone_rows(rows: list, day, *, editable: bool, forms: dict) -> list:
    rows = with_forms(with_moves(rows), editable=editable and not day, forms=forms)
    if day:
        for milestone in rows:
            milestone.take_state_on(day)
            if milestone.original_due_date:  # else never moved: due on the same day then
                milestone.take_date_on(day)
    return rows


# What a source's row shows (its kept files read after, for those that have: ``flag_kept``).
SOURCE_FIELDS = ("title", "url", "publisher", "published_on", "accessed_on", "reliability", "notes")


def source_rows(sources: list, editable: bool, opened=None) -> list:
    """A page of the meeting's sources, the kept files read of those that have some, and for
    its editors the form to keep another that is ``opened`` (refused, with what was wrong, or
    opened without JavaScript)."""
    read_kept_files(sources)
    if editable:
        keep_forms(sources, opened)
    return sources


# What an event's row shows (its edit form reads the event it edits on its own: ``event_form``).
EVENT_FIELDS = (
    "title",
    "relation",
    "archived_at",
    "occurred_on",
    "timing_note",
    "location",
    "fatalities",
    "description",
)


def events_of(of: int) -> QuerySet[ContextEvent]:
    """Meeting ``of``'s context events as their rows show them, archived ones last."""
    return (
        ContextEvent.objects.filter(meeting=of)
        .select_related("actor")
        .only(*EVENT_FIELDS, "actor__name")
        .order_by(F("archived_at").asc(nulls_first=True), "occurred_on", "pk")
    )


def event_form(meeting: Meeting, pk: str) -> ContextEventForm | None:
    """The edit form of one open context event of the meeting (``?edit_event=<id>``): the page
    opens one at a time, so it costs the same however many events the meeting has."""
    event = (
        ContextEvent.objects.filter(meeting=meeting).active().filter(pk=pk).first()
        if is_id(pk)
        else None
    )
    if event is None:
        return None
    return ContextEventForm(
        instance=event, meeting=meeting, sources=team_sources(meeting), prefix=f"event-{event.pk}"
    )


# --- What each section reads, a function of the meeting's id: its first page's SQL is made
# once a process (``meeting_sections.shown``).


def commitments_of(of: int) -> QuerySet[Commitment]:
    return Commitment.objects.filter(meeting=of).order_by("position", "pk")


def participants_of(of: int) -> QuerySet:
    """Meeting ``of``'s participants as plain rows (``participant_rows``): their names and
    office, where building a participant, its person and its party for each row cost more
    than reading them."""
    return (
        Participant.objects.filter(meeting=of)
        .order_by("pk")
        .values("pk", "office", "role", person_name=F("person__name"), party_name=F("party__name"))
    )


def participant_rows(participants: list[dict]) -> list[dict]:
    """A page of participants, each with its role's label (each label read once)."""
    labels: dict[str, str] = {}
    for participant in participants:
        role = participant["role"]
        if role not in labels:
            labels[role] = label_of(Participant, "role", role)
        participant["role_label"] = labels[role]
    return participants


def meeting_milestones_of(of: int) -> QuerySet[Milestone]:
    """The meeting's own milestones (its deadlines as a whole), as its checklist shows them."""
    return (
        Milestone.objects.filter(meeting=of)
        .only(*MILESTONE_FIELDS, "version", "owner")
        .order_by("due_date", "pk")
    )


def claims_of(of: int) -> QuerySet:
    """Meeting ``of``'s claims as plain rows (``claim_rows``), each with the title of its
    commitment or the name of its body: a claim, its commitment and its body built for each
    row cost more than reading them."""
    return (
        Claim.objects.filter(record_meeting=of)
        .order_by("pk")
        .values(*CLAIM_FIELDS, commitment_title=F("commitment__title"), body_name=F("body__name"))
    )


def sources_of(of: int) -> QuerySet[Source]:
    return flag_kept(Source.objects.filter(meeting_records=of).only(*SOURCE_FIELDS)).order_by(
        "-published_on", "title", "pk"
    )


def parties_of(of: int) -> QuerySet[Party]:
    """The meeting's parties, in their own order (``meeting.parties.all()``)."""
    return Party.objects.filter(meetings=of)
