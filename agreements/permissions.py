"""The only way a view gets a record: ``get_<thing>_for_user(user, pk, *, edit=False)``.

A record outside the user's teams is a 404: its existence is not revealed. A record the user may
see but not change (a reviewer, or an editor of another team who somehow has the link) is a 403
when ``edit=True``. Admins (superusers) see and change everything.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from . import models as m
from .ids import is_id
from .models.made_once import rows_of_teams_made_once
from .models.teams import memberships

type User = AbstractBaseUser | AnonymousUser


def visible_teams(user: User) -> models.QuerySet[m.Team]:
    """The teams whose records the user may see (all of them for admins), as ``visible_to``
    shows them: what a filter by team offers."""
    if not user.is_authenticated or not user.is_active:
        return m.Team.objects.none()
    if user.is_superuser:
        return m.Team.objects.all()
    return m.teams_of(user)


def visible_team_ids(user: User) -> list[int]:
    """The ids of ``visible_teams(user)``, read once per request: what a list is split by to
    read each team's rows along its own index (``views.paging.runs``)."""
    if user.is_authenticated and user.is_active and not user.is_superuser:
        return m.team_ids(user)
    return list(visible_teams(user).values_list("pk", flat=True))


def editable_teams(user: User) -> models.QuerySet[m.Team]:
    """The teams whose records the user may change (all of them for admins)."""
    if not user.is_authenticated or not user.is_active:
        return m.Team.objects.none()
    if user.is_superuser:
        return m.Team.objects.all()
    return m.teams_of(user, role=m.TeamRole.EDITOR)


def edits_some_team(user: User) -> bool:
    """Whether the user may record anything at all (a meeting, a body): an editor of some
    team, or an admin. From the memberships read once a request, not a query of its own."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(m.team_ids(user, role=m.TeamRole.EDITOR))


def editable_meetings(user: User) -> models.QuerySet[m.Meeting]:
    """The open meetings of the teams the user edits: where they may record a body."""
    return m.Meeting.objects.filter(team__in=editable_teams(user)).active()


def is_editor(user: User, team: m.Team) -> bool:
    """Whether the user may change the team's records."""
    return edits_team(user, team.pk)


def edits_team(user: User, team_id: int) -> bool:
    """``is_editor`` by the team's id (a row that has its team's id, not the team)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or team_id in m.team_ids(user, role=m.TeamRole.EDITOR)


def may_edit(user: User, record: m.Meeting | m.ImplementationBody | m.Commitment) -> bool:
    """Whether the user may change ``record`` now: an editor of its team, the record not read
    only (archived, or part of an archived meeting)."""
    team = record.meeting.team_id if isinstance(record, m.ImplementationBody) else record.team_id
    return not record.is_read_only and edits_team(user, team)


def is_reviewer(user: User, team: m.Team) -> bool:
    """Whether the user may review the team's updates and assess compliance."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or team.pk in m.team_ids(user, role=m.TeamRole.REVIEWER)


def reviews_any_team(user: User) -> bool:
    """Whether the user reviews some team's updates (admins review every team's)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(m.team_ids(user, role=m.TeamRole.REVIEWER))


def reviewed_teams(user: User) -> dict[int, str]:
    """The teams whose updates the user reviews (every team for admins), id: name, in their
    names' order; a reviewer's read from the request's memberships, without a query."""
    if not user.is_authenticated or not user.is_active:
        return {}
    if user.is_superuser:
        return dict(m.Team.objects.order_by("name", "pk").values_list("pk", "name"))
    reviewed = m.team_ids(user, role=m.TeamRole.REVIEWER)
    return {pk: name for pk, (name, _role) in memberships(user).items() if pk in reviewed}


def sets_status_directly(user: User) -> bool:
    """Whether the user sets a commitment's official status without a review: admins only
    (their override, in the admin or by import). Everyone else proposes a status in a progress
    update that a reviewer approves."""
    return user.is_authenticated and user.is_active and user.is_superuser


def _get_for_user[T: models.Model](
    queryset: models.QuerySet[T], user: User, pk: object, *, edit: bool, review: bool = False
) -> T:
    try:
        obj = queryset.visible_to(user).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404(
            _("No %(kind)s matches the given query.") % {"kind": queryset.model._meta.verbose_name}
        ) from exc
    if edit and not queryset.model.objects.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied
    if review and not queryset.model.objects.reviewable_by_team(user).filter(pk=obj.pk).exists():
        raise PermissionDenied
    return obj


def _get_made_once[T: models.Model](
    key: tuple,
    model: type[T],
    read: Callable[..., models.QuerySet[T]],
    user: User,
    pk: object,
    **values: int,
) -> T:
    """``_get_for_user(read(<all>, **values), user, pk, edit=False)``, the record of a page's
    first read, by SQL made once a process for the number of the reader's teams
    (``rows_of_teams_made_once``; ``values``, numbers, its other parameters): built and
    compiled, such a read cost 0.7–6 ms of a page's Python. The same rows, the same 404."""
    every = user.is_authenticated and user.is_active and user.is_superuser
    teams = m.team_ids(user) if user.is_authenticated and user.is_active and not every else []
    if not is_id(pk) or not (every or teams):  # the ORM's to refuse, or nothing to see
        return _get_for_user(read(model.objects.all(), **values), user, pk, edit=False)

    def one(records, of: int, **given) -> models.QuerySet[T]:
        return read(records, **given).filter(pk=of).order_by()[:21]

    found = rows_of_teams_made_once(
        key, teams, every, (model,), one, records=True, of=int(pk), **values
    )
    if len(found) > 1:  # as ``get()`` refuses them
        raise model.MultipleObjectsReturned
    if not found:
        raise Http404(
            _("No %(kind)s matches the given query.") % {"kind": model._meta.verbose_name}
        )
    return found[0]


def get_meeting_for_user(user: User, pk: object, *, edit: bool = False) -> m.Meeting:
    """A meeting, with its team; ``edit`` needs an editor of its team. To read it (its page),
    by SQL made once (``_get_made_once``)."""
    if edit:
        return _get_for_user(_meeting_read(m.Meeting.objects.all()), user, pk, edit=True)
    return _get_made_once(("meeting",), m.Meeting, _meeting_read, user, pk)


def _meeting_read(meetings) -> models.QuerySet[m.Meeting]:
    return meetings.select_related("team")


def get_commitment_for_user(
    user: User, pk: object, *, edit: bool = False, review: bool = False, annotate=None
) -> m.Commitment:
    """A commitment; ``edit`` needs an editor of its team, ``review`` a reviewer.
    ``annotate``: what its page reads beside it (``{name: expression}``), in the same query."""
    return _get_for_user(_commitment_read(annotate or {}), user, pk, edit=edit, review=review)


def _commitment_read(annotate: dict, commitments=None) -> models.QuerySet[m.Commitment]:
    """A commitment as its page reads it (of ``commitments``, else of all): its meeting's team
    and its theme joined, and what the page reads beside it (``annotate``)."""
    rows = m.Commitment.objects.all() if commitments is None else commitments
    return rows.select_related("meeting__team", "theme").annotate(**annotate)


def get_commitment_page_for_user(
    user: User, pk: object, facts: Callable[[int], dict]
) -> m.Commitment:
    """A commitment as its page reads it (``get_commitment_for_user`` with ``annotate``:
    ``facts`` of the reader's id), by SQL made once (``_get_made_once``): the query's five
    subqueries cost 6 ms to build and compile, of the page's 20 of Python."""

    def read(commitments, reader: int) -> models.QuerySet[m.Commitment]:
        return _commitment_read(facts(reader), commitments)

    return _get_made_once(("commitment_page",), m.Commitment, read, user, pk, reader=user.pk)


def get_body_for_user(user: User, pk: object, *, edit: bool = False) -> m.ImplementationBody:
    """A body, with its meeting's team; ``edit`` needs an editor of its team. To read it (its
    page), by SQL made once (``_get_made_once``)."""
    if edit:
        return _get_for_user(_body_read(m.ImplementationBody.objects.all()), user, pk, edit=True)
    return _get_made_once(("body",), m.ImplementationBody, _body_read, user, pk)


def _body_read(bodies) -> models.QuerySet[m.ImplementationBody]:
    return bodies.select_related("meeting__team")


def get_milestone_for_user(
    user: User,
    pk: object,
    *,
    edit: bool = False,
    commitment: m.Commitment | None = None,
    meeting: m.Meeting | None = None,
    body: m.ImplementationBody | None = None,
) -> m.Milestone:
    """A milestone; with ``commitment``, ``meeting`` or ``body``, one of that record's own
    only (404 otherwise)."""
    milestones = m.Milestone.objects.select_related(
        "meeting", "commitment__meeting", "body__meeting"
    )
    if commitment is not None:
        milestones = milestones.filter(commitment=commitment)
    if meeting is not None:
        milestones = milestones.filter(meeting=meeting)
    if body is not None:
        milestones = milestones.filter(body=body)
    return _get_for_user(milestones, user, pk, edit=edit)


def get_meeting_link_for_user(
    user: User, pk: object, *, edit: bool = False, meeting: m.Meeting
) -> m.MeetingLink:
    """A link between two meetings, one of them ``meeting`` (404 otherwise)."""
    links = m.MeetingLink.objects.filter(
        models.Q(meeting=meeting) | models.Q(other=meeting)
    ).select_related("meeting", "other")
    return _get_for_user(links, user, pk, edit=edit)


def get_context_event_for_user(
    user: User, pk: object, *, edit: bool = False, meeting: m.Meeting
) -> m.ContextEvent:
    """A context event of ``meeting`` (404 for any other)."""
    return _get_for_user(m.ContextEvent.objects.filter(meeting=meeting), user, pk, edit=edit)


def get_api_token_for_user(user: User, pk: object) -> m.ApiToken:
    """One of the user's own API keys (anyone else's: not found)."""
    if not is_id(pk):
        raise Http404
    return get_object_or_404(m.ApiToken, pk=pk, user=user)


def get_party_for_user(user: User, pk: object) -> m.Party:
    """A party. Parties are reference data every team shares (a state, the EU), so any
    signed-in user may reach one; what they then see of it goes through ``visible_to``."""
    if not user.is_authenticated or not user.is_active or not is_id(pk):
        raise Http404
    return get_object_or_404(m.Party, pk=pk)


def get_claim_for_user(user: User, pk: object, *, edit: bool = False) -> m.Claim:
    return _get_for_user(m.Claim.objects.all(), user, pk, edit=edit)


def get_source_for_user(user: User, pk: object, *, edit: bool = False) -> m.Source:
    return _get_for_user(m.Source.objects.all(), user, pk, edit=edit)


def get_source_file_for_user(user: User, pk: object) -> m.SourceFile:
    """A file kept with a source of the user's teams (kept files are never changed: no edit)."""
    return _get_for_user(m.SourceFile.objects.defer("text", "search_vector"), user, pk, edit=False)


def get_membership_for_user(
    user: User, pk: object, *, edit: bool = False, body: m.ImplementationBody | None = None
) -> m.BodyMembership:
    """A body's membership; with ``body``, one of that body's only (404 otherwise)."""
    memberships = m.BodyMembership.objects.select_related("person", "party", "body")
    if body is not None:
        memberships = memberships.filter(body=body)
    return _get_for_user(memberships, user, pk, edit=edit)


def get_update_for_user(
    user: User, pk: object, *, edit: bool = False, commitment: m.Commitment | None = None
) -> m.ProgressUpdate:
    """A progress update; with ``commitment``, one of that commitment's only (404 otherwise)."""
    updates = m.ProgressUpdate.objects.select_related("commitment__meeting__team")
    if commitment is not None:
        updates = updates.filter(commitment=commitment)
    return _get_for_user(updates, user, pk, edit=edit)


def get_update_for_review(user: User, pk: object) -> m.ProgressUpdate:
    """A progress update the user may decide on: a reviewer of its team (or an admin), and
    not its author: nobody reviews their own update, admins included."""
    update = _get_for_user(
        m.ProgressUpdate.objects.select_related("commitment__meeting__team", "author"),
        user,
        pk,
        edit=False,
        review=True,
    )
    if update.author_id == user.pk:
        raise PermissionDenied(_("Nobody reviews their own update."))
    return update
