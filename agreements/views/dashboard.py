from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from .. import permissions
from ..forms.as_of import AsOfForm
from ..forms.compare import DrawnPartiesForm
from ..ids import address_of
from ..models import (
    Commitment,
    CommitmentTally,
    ComplianceHistory,
    ComplianceTally,
    ImplementationBody,
    ImplementationStatus,
    Meeting,
    ProgressUpdate,
    StateCounts,
    StatusChange,
    StatusHistory,
    StatusSpan,
    active_q,
    as_index,
)
from ..models.lines_made_once import (
    index_by_body,
    queue_lines,
    visible_count,
    visible_lines,
    visible_rows,
)
from ..models.made_once import generic_plans
from ..models.meetings import MeetingLine
from ..models.milestone_lists import overdue_and_due_within_for, overdue_on_for
from ..models.reviews import UpdateLine
from ..models.status_changes import ChangeLine
from ..models.tallies import parties_scored, states_named
from ..models.unions import orders_in_union
from .charts import chart_url, dashboard_curve
from .paging import first_rows, runs

STALE_AFTER_DAYS = 90
DUE_SOON_DAYS = 30
LIST_LIMIT = 10
OVERDUE_CAP = 999


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The implementation index overall and by theme, party and body, and over time; what
    needs attention (for a reviewer, the updates waiting for their review, never their own).
    On a past day (``?as_of=``), the figures as they stood then, from the stored history."""
    user = request.user
    as_of = AsOfForm(request.GET)
    day = as_of.day()
    if day is not None:
        # Its reads with PostgreSQL's generic plans, planned once a connection: four of them
        # (the overdue count, the bodies, the meetings and the changes then) were planned anew
        # at each request, 0.95 ms a page at 100,000 for runs their generic plans match
        # (tests/test_query_plans.py); the tallies' reads had their generic plans already.
        with generic_plans(Commitment):
            figures = _past_figures(user, day, as_of)
        return render(
            request, "agreements/dashboard.html", figures | _drawn(request, figures, day, day)
        )
    today = timezone.localdate()
    reviews = permissions.reviews_any_team(user)
    # Its figures with PostgreSQL's generic plans too: the overdue count and the stale list
    # were planned anew at each request (0.3 and 0.5 ms at 100,000, for runs their generic
    # plans match: tests/test_query_plans.py); the others had their generic plans already.
    with generic_plans(Commitment):
        figures = _figures(user, today)
    context = {
        **figures,
        **_drawn(request, figures, today),
        "today": today,
        "as_of_form": as_of,
        "reviews": reviews,
        "awaiting_review": _awaiting_review(user) if reviews else [],
    }
    return render(request, "agreements/dashboard.html", context)


def _awaiting_review(user) -> list[UpdateLine]:
    """The oldest updates waiting for ``user``'s review, as
    ``ProgressUpdate.objects.reviewable_by(user).awaiting_review().lines()`` reads them: a
    reviewer's first rows of their queue's runs (``queue_lines``, along the queue's index); an
    admin's, who reviews every team, the oldest of all (no team to pick out), each by SQL made
    once (``visible_lines``), as the other lists' are."""
    if not user.is_superuser:
        return queue_lines(user, list(permissions.reviewed_teams(user)), LIST_LIMIT)
    return visible_lines(
        ("awaiting review", LIST_LIMIT),
        user,
        ProgressUpdate,
        UpdateLine,
        lambda updates, me: (
            updates.exclude(author=me).awaiting_review().order_by("created_at", "pk")[:LIST_LIMIT]
        ),
        me=user.pk,
    )


def _drawn(request: HttpRequest, figures: dict, end: datetime.date, as_of=None) -> dict:
    """The chart over time up to ``end``, with the compliance of the parties the reader chose
    among those assessed (``figures["by_party"]``), the most assessed unless chosen."""
    parties = DrawnPartiesForm(request.GET, assessed=figures["by_party"])
    chosen = parties.chosen()
    return {
        "parties_form": parties,
        # The parties' names as their figures have them: the curve's rows read without.
        "curve": dashboard_curve(
            request.user, end, chosen, {row["party_id"]: row["key"] for row in figures["by_party"]}
        ),
        # The picture draws the parties the table shows, named (when there are any to choose).
        "chart_url": chart_url(
            "agreements:dashboard_chart",
            day=as_of,
            parties=chosen if parties.is_bound or chosen else None,
        ),
    }


def _figures(user, today: datetime.date) -> dict:
    # Whole days: "no update for 90 days" counts days, as the page says.
    stale_since = timezone.make_aware(
        datetime.datetime.combine(
            today - datetime.timedelta(days=STALE_AFTER_DAYS), datetime.time()
        )
    )

    briefing = address_of("agreements:party_briefing")  # each party's, reversed once
    # As ``Milestone.objects.visible_to(user).overdue_and_due_within`` reads them, its SQL
    # made once a process.
    overdue_milestones, due_soon = overdue_and_due_within_for(
        user, today, DUE_SOON_DAYS, LIST_LIMIT
    )

    # Figures over all of the user's commitments come from the tally the database keeps on
    # every write (``CommitmentTally``): a few hundred rows per team, whatever the data.
    return {
        # The tallies' reads as ``CommitmentTally.objects.visible_to(user)`` and
        # ``ComplianceTally``'s read them, their SQL made once (``visible_rows``).
        **_counts(
            states_named(
                visible_rows(
                    ("dashboard states",), user, CommitmentTally, _active_states_named_rows
                )
            )
        ),
        "overdue": overdue_count(user, today),
        "overdue_cap": OVERDUE_CAP,
        "by_party": [
            row | {"url": briefing(row["party_id"])}
            for row in parties_scored(
                visible_rows(("dashboard parties",), user, ComplianceTally, _by_party_rows)
            )
        ],
        # Bodies of the most recent meetings, their figures computed for those rows only
        # (every body's index is on the bodies page).
        "by_body": _recent_bodies(user, today),
        "overdue_milestones": overdue_milestones,
        "due_soon": due_soon,
        "stale": _stale(user, stale_since, LIST_LIMIT),
        "stale_days": STALE_AFTER_DAYS,
        "due_soon_days": DUE_SOON_DAYS,
        # The lists name each record in a line: their rows are read with what the line shows
        # (``lines()``), not the records' texts and search vectors, nor model instances.
        # Each as ``Model.objects.visible_to(user)....lines()`` reads it, its SQL made once.
        # Meetings held: a planned one is not held yet (issue #26).
        "recent_meetings": visible_lines(
            ("recent meetings",),
            user,
            Meeting,
            MeetingLine,
            lambda meetings: meetings.active().held()[:5],
        ),
        # Of active commitments, read through the join the team's filter makes already.
        "recent_updates": visible_lines(
            ("recent updates", LIST_LIMIT),
            user,
            ProgressUpdate,
            UpdateLine,
            lambda updates: updates.filter(active_q(Commitment, "commitment__")).order_by(
                "-created_at", "-pk"
            )[:LIST_LIMIT],
        ),
        "recent_changes": visible_lines(
            ("recent changes", LIST_LIMIT),
            user,
            StatusChange,
            ChangeLine,
            lambda changes: changes.order_by("-changed_at", "-pk")[:LIST_LIMIT],
        ),
    }


def overdue_count(user, day: datetime.date, *, past: bool = False, cap: int = OVERDUE_CAP) -> int:
    """How many of the reader's commitments are overdue on ``day`` (as they stood then,
    ``past``), counted up to ``cap`` + 1, so the count walks at most that many: as
    ``Commitment.objects.visible_to(user).overdue(day)`` (``overdue_on(day)``) counts them,
    its SQL made once (``visible_count``; a past day's was built and compiled every request,
    and planned: a millisecond). A past day's counts the spans that held then
    (``StatusSpan.objects.overdue_on``: one a commitment), on their index by target date
    alone, where reading each commitment's row and probing its spans took 2.6–3.5 ms at
    100,000 commitments (0.5 ms)."""
    if past:

        def read_then(spans, day):
            return spans.overdue_on(day).order_by()[: cap + 1]

        return visible_count(("overdue then", cap), user, StatusSpan, read_then, day=day)

    def read(commitments, day):
        return commitments.overdue(day).order_by()[: cap + 1]

    return visible_count(("overdue", cap), user, Commitment, read, day=day)


def _stale(user, since: datetime.datetime, count: int) -> list:
    """The first ``count`` of ``visible_to(user).without_update_since(since)``, each team's
    read along its own index (``runs``): over several teams, PostgreSQL would sort every one
    of them first. There, the teams' first rows are merged in the same query (a ``UNION ALL``
    of each team's first ones: the order puts empty dates first, which ``first_rows`` leaves
    to a query of their own), its SQL made once a process for the number of teams (the
    teams' ids and the moment its values: about a millisecond of the ORM's building and
    compiling a request); elsewhere by ``first_rows``."""
    teams = permissions.visible_team_ids(user)
    if not teams:
        return []
    runs_of = {f"run_{n}": team for n, team in enumerate(teams)}

    def read(commitments, since, **given):
        stale = commitments.without_update_since(since).only("title", "last_update_at")
        parts = runs(stale, team=[given[name] for name in runs_of])
        if len(parts) == 1:
            return parts[0][:count]
        order = stale.query.order_by
        firsts = [part.order_by(*order)[:count] for part in parts]
        return firsts[0].union(*firsts[1:], all=True).order_by(*order)[:count]

    commitments = Commitment.objects.visible_to(user)
    if len(teams) > 1 and not orders_in_union(commitments):
        stale = commitments.without_update_since(since).only("title", "last_update_at")
        return first_rows(stale, runs(stale, team=teams), count)
    key = ("stale", len(teams), count)
    return visible_rows(key, user, Commitment, read, records=True, since=since, **runs_of)


def _active_states_named_rows(tally):
    return tally.active_states_named_rows()


def _by_party_rows(tally):
    return tally.by_party_rows()


def _counts(named_states: tuple, day: datetime.date | None = None) -> dict:
    """The figures a tally gives (``active_states_named``: today's ``CommitmentTally``, or a
    past ``day``'s from the stored history), all from one read of its active states: the
    index, counts by status, stalled and cancelled, the index by theme (the themes named in
    the same read), each theme's row leading to the records behind it (on that day)."""
    states = StateCounts(*named_states)
    status_counts = states.status_counts()
    listed = reverse("agreements:commitment_list")
    on_day = {"as_of": day} if day else {}
    counting = sum(status_counts.values())
    return {
        "index": as_index(sum(s * k for s, k in status_counts.items()) / counting)
        if counting
        else None,
        "counting": counting,
        "status_rows": [
            {"label": ImplementationStatus(s).label, "status": s, "count": n}
            for s, n in status_counts.items()
        ],
        "stalled": states.stalled(),
        "cancelled": states.cancelled(),
        "by_theme": [
            row | {"url": f"{listed}?{urlencode({'theme': row['theme']} | on_day)}"}
            for row in states.index_by_theme()
        ],
    }


def _past_figures(user, day: datetime.date, as_of: AsOfForm) -> dict:
    """The dashboard's figures as they stood on ``day``: counts and indexes from the day
    tally, each party's latest assessments up to then, milestones overdue then, the meetings
    held and the status changes in effect by then. What needs doing today (reviews waiting,
    milestones due soon, commitments without news) is today's page's."""
    briefing = address_of("agreements:party_briefing")  # each party's, reversed once
    on_day = urlencode({"as_of": day})
    return {
        "today": day,
        "as_of": day,
        "as_of_form": as_of,
        **_counts(StatusHistory.visible_to(user).on(day).active_states_named(), day),
        "overdue": overdue_count(user, day, past=True),
        "overdue_cap": OVERDUE_CAP,
        "by_party": [
            row | {"url": f"{briefing(row['party_id'])}?{on_day}"}
            for row in ComplianceHistory.visible_to(user).by_party(day)
        ],
        "by_body": _recent_bodies(user, day, past=True),
        # As ``Milestone.objects.visible_to(user).overdue_on`` reads them, its SQL made once.
        "overdue_milestones": overdue_on_for(user, day, LIST_LIMIT),
        "recent_meetings": visible_lines(
            ("recent meetings then",),
            user,
            Meeting,
            MeetingLine,
            lambda meetings, day: meetings.active().held().filter(start_date__lte=day)[:5],
            day=day,
        ),
        "recent_changes": visible_lines(
            ("recent changes then", LIST_LIMIT),
            user,
            StatusChange,
            ChangeLine,
            lambda changes, day: changes.filter(effective_on__lte=day).order_by(
                "-effective_on", "-changed_at", "-pk"
            )[:LIST_LIMIT],
            day=day,
        ),
    }


def _recent_bodies(user, today: datetime.date, *, past: bool = False) -> list[dict]:
    """The bodies of the most recent meetings, with their index (on a past ``today``, as it
    stood then, from the stored history), each row read with what it shows: the ten bodies
    first, then their figures in one grouped read of those ten."""

    def read(bodies, **then):
        rows = bodies.active().order_by("-meeting__start_date", "-pk")
        if then:  # the latest meetings' bodies then, each one's index as it stood then
            rows = rows.filter(meeting__start_date__lte=then["day"])
        return rows.values_list("pk", "name", "meeting__title")[:LIST_LIMIT]

    # As ``ImplementationBody.objects.visible_to(user)`` reads them, the SQL made once.
    then = {"day": today} if past else {}
    bodies = visible_rows(
        ("recent bodies", past, LIST_LIMIT), user, ImplementationBody, read, **then
    )
    ids = [pk for pk, _name, _meeting in bodies]
    # As ``StatusSpan.objects.index_by_body(ids, today)`` on a past day, else as
    # ``ImplementationBody.objects.index_by_body(ids)``, its SQL made once.
    figures = index_by_body(ids, today if past else None)
    body_url = address_of("agreements:body_detail")  # as ``get_absolute_url``, reversed once
    rows = []
    for pk, name, meeting in bodies:
        mean_status, count = figures.get(pk, (None, 0))
        if count:  # as ``ImplementationBody.index``
            rows.append(
                {
                    "key": f"{name} ({meeting})",
                    "url": body_url(pk),
                    "index": as_index(mean_status),
                    "count": count,
                }
            )
    return rows
