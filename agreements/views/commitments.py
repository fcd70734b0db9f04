from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from .. import actions, export_lists, exports, permissions
from ..forms import AssessmentForm, CommitmentFilterForm, ProgressUpdateForm
from ..ids import is_id
from ..models import (
    Commitment,
    CommitmentTally,
    Party,
    ReviewState,
    Source,
    StatusHistory,
)
from ..models.commitment_facts import facts_of, reader_facts
from .commitment_rows import Listed, list_rows
from .commitment_timeline import parse_cursor, timeline_page
from .common import (
    ARCHIVE,
    Outcome,
    PageAction,
    add_form_partial,
    picker_options,
    query_without,
    render_page,
    run_record_action,
    wants_fragment,
)
from .list_reads import bodies_of, party_roles_of, sources_of
from .milestone_checklist import checklist, checklist_actions, opened_reschedule
from .paging import annotated_page
from .source_files import read_kept_files

PAGE_SIZE = 25
SORTABLE = [
    ("title", gettext_lazy("Commitment")),
    ("meeting", gettext_lazy("Meeting")),
    ("status", gettext_lazy("Status")),
    ("target", gettext_lazy("Target date")),
    ("updated", gettext_lazy("Last updated")),
]


@require_GET
def commitment_list(request: HttpRequest) -> HttpResponse:
    """Commitments the user can see, filtered, sorted and paginated; the table is a partial
    that the filters swap in place (and push to the URL, so a reload shows the same).
    ``?format=csv`` downloads every row the filters select, in the same order."""
    form = CommitmentFilterForm(request.GET or None, user=request.user)
    day = form.day()  # a past day (``?as_of=``): the list as it stood then, read-only
    today = day or timezone.localdate()
    commitments = form.filter(Commitment.objects.visible_to(request.user).live(), today)
    if options := picker_options(request, form):
        return options
    if request.GET.get("format") == "csv" and not day:  # today's state: a past day has none
        return exports.csv_response("commitments", export_lists.COMMITMENTS, commitments.for_list())
    # The list's size from the stored tallies when its filters allow, else counted (capped).
    tallies = (
        StatusHistory.visible_to(request.user).on(day)
        if day
        else CommitmentTally.objects.visible_to(request.user)
    )
    size = form.tallied_count(tallies)
    teams = permissions.visible_team_ids(request.user)
    page = annotated_page(
        request,
        commitments,
        _rows_then if day else (lambda rows: rows.for_rows()),
        PAGE_SIZE,
        size,
        split={"team": teams},
        # Today's list pages on by cursor (``?after=``); a past day's sorts by state then.
        order=None if day else form.order(),
        made=("commitment_rows_then",) if day else ("commitment_rows",),
        values={"day": day} if day else None,  # the day a parameter of the rows' SQL
        record=Listed._make,
        ids_made=_ids_made_once(form, request.user, teams, today),
    )
    also = () if wants_fragment(request) else ("party", "team")
    context = {
        "form": form,
        "page": page,
        # The themes, with the other selects' options when the whole page is drawn.
        "rows": list_rows(page.object_list, form.reference("theme", *also), today),
        "as_of": day,
        "today": today,
        "columns": _sort_columns(request, form),
        "page_query": query_without(request, "page", "after"),
    }
    return render_page(
        request, "agreements/commitment_list.html", context, partial="commitment-table"
    )


def _ids_made_once(form: CommitmentFilterForm, user, teams: list[int], today) -> tuple | None:
    """The list's page of ids by SQL made once a process (``paging.merged``): its key (the
    filters' ``shape``, whether the reader sees every team, as an admin, and how many), how the
    list and its runs are built from values, and the values (the filters', the teams'). The
    ORM built and compiled the page's UNION of runs every request (1 to 2 ms)."""
    shape = form.shape(today)
    if shape is None:  # words: their SQL is theirs
        return None
    key, values, build = shape
    every = user.is_superuser  # ``visible_to``: every team's rows, unfiltered
    named = {f"team_{n}": team for n, team in enumerate(teams)}

    def listed(**given):
        chosen = [given.pop(name) for name in named]
        seen = Commitment.objects.all() if every else Commitment.objects.in_teams(chosen)
        return build(seen.live(), **given), {"team": chosen}

    # The runs are the teams' either way: their number shapes the UNION (an admin's too).
    whose = ("every" if every else "member", len(named))
    return ("commitment_ids", *key, *whose), listed, {**values, **named}


def _rows_then(rows, day):
    """A past day's rows: as today's, each with its state then (``agreed_by``)."""
    return rows.for_rows(day)


def _sort_columns(request: HttpRequest, form: CommitmentFilterForm) -> list[dict]:
    current = form.cleaned_data.get("sort", "") if form.is_bound and form.is_valid() else ""
    base = query_without(request, "sort", "page", "after")
    columns = []
    for key, label in SORTABLE:
        direction = "ascending" if current == key else "descending" if current == f"-{key}" else ""
        following = f"-{key}" if current == key else key
        columns.append(
            {
                "label": label,
                "query": f"{base}&sort={following}" if base else f"sort={following}",
                "aria_sort": direction or "none",
            }
        )
    return columns


# The assessment form's place on the page (includes/add_form.html).
ASSESSING = {
    "kind": "assess",
    "action": "assess",
    "title": gettext_lazy("Assess a party"),
    "section": "compliance",
}


@require_http_methods(["GET", "POST"])
def commitment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A commitment: what was agreed, its official status beside any pending proposal, each
    party's latest compliance assessment, the timeline, the milestone checklist and the
    progress-update form. Its actions are ``ACTIONS`` (below)."""
    if request.method == "POST":
        return run_record_action(
            request,
            ACTIONS,
            fetch=permissions.get_commitment_for_user,
            pk=pk,
            render=_render_detail,
        )
    # The page's facts (``commitment_facts``) read with the commitment, unless the request is
    # for a picker's options or the timeline's next events, which do not show them.
    fragment = "_pick" in request.GET or ("before" in request.GET and wants_fragment(request))
    if fragment:
        commitment = permissions.get_commitment_for_user(request.user, pk)
    else:
        commitment = permissions.get_commitment_page_for_user(request.user, pk, reader_facts)
    if "_pick" in request.GET:
        evidence = ProgressUpdateForm(commitment=commitment, sources=_team_sources(commitment))
        if options := picker_options(request, evidence):
            return options
    if opened := _opened_form(request, commitment):
        return opened
    if "before" in request.GET and wants_fragment(request):
        return _earlier_events(request, commitment)
    return _render_detail(request, commitment)


def _earlier_events(request: HttpRequest, commitment: Commitment) -> HttpResponse:
    """The timeline's next page, fetched in place (htmx): its events, and the link to the
    page after it. Without JavaScript the same link opens the page starting there."""
    can_edit = (
        permissions.is_editor(request.user, commitment.meeting.team) and not commitment.is_read_only
    )
    updates = commitment.progress_updates.all()
    timeline = timeline_page(
        commitment,
        list(commitment.assessments.select_related("party", "assessed_by")),
        list(commitment.milestones.all()),
        parse_cursor(request.GET["before"]),
    )
    context = {
        "commitment": commitment,
        "timeline": timeline,
        "user_id": request.user.pk,
        "can_edit": can_edit,
        "revised_ids": _revised(updates, timeline),
    }
    return render_page(
        request, "agreements/commitment_detail.html", context, partial="timeline-entries"
    )


def _opened_form(request: HttpRequest, commitment: Commitment) -> HttpResponse | None:
    """A form the page draws closed and empty, opened by one who may use it: the assessment
    form (``?add=assess``) or a milestone's new date (``?reschedule=<id>``). For htmx the form
    alone; without JavaScript the page with that form open. None for any other request."""
    team = commitment.meeting.team
    if commitment.is_read_only:
        return None
    if request.GET.get("add") == "assess" and permissions.is_reviewer(request.user, team):
        form = AssessmentForm(
            commitment=commitment, parties=_parties(commitment), sources=_team_sources(commitment)
        )
        if wants_fragment(request):
            return add_form_partial(request, ASSESSING, form)
        return _render_detail(request, commitment, opened={"assessment_form": form})
    return opened_reschedule(
        request,
        commitment,
        "commitment",
        target="#milestone-checklist",
        render_page_with=lambda opened: _render_detail(request, commitment, opened=opened),
    )


def _post_update(request: HttpRequest, commitment: Commitment) -> Outcome:
    form = ProgressUpdateForm(
        request.POST, commitment=commitment, sources=_team_sources(commitment)
    )
    if not form.is_valid():
        return Outcome(forms={"update_form": form})
    draft = "save_draft" in request.POST
    actions.submit_update(
        commitment=commitment,
        author=request.user,
        narrative=form.cleaned_data["narrative"],
        proposed_status=form.cleaned_data["proposed_status"],
        proposed_stalled=form.cleaned_data["proposed_stalled"],
        sources=form.cleaned_data["sources"],
        revises=form.cleaned_data["revises"],
        draft=draft,
        happened_on=form.cleaned_data["happened_on"],
    )
    return Outcome(
        notice=_("Draft saved.") if draft else _("Progress update submitted for review.")
    )


def _submit_draft(request: HttpRequest, commitment: Commitment) -> Outcome:
    update = permissions.get_update_for_user(
        request.user, request.POST.get("update"), edit=True, commitment=commitment
    )
    actions.submit_draft(update=update, by=request.user)
    return Outcome(notice=_("Draft submitted for review."))


def _assess(request: HttpRequest, commitment: Commitment) -> Outcome:
    form = AssessmentForm(
        request.POST,
        commitment=commitment,
        parties=_parties(commitment),
        sources=_team_sources(commitment),
    )
    if not form.is_valid():
        return Outcome(forms={"assessment_form": form})
    assessment = actions.record_assessment(
        assessment=form.save(commit=False),
        sources=form.cleaned_data["sources"],
        by=request.user,
    )
    return Outcome(
        notice=_("%(party)s assessed: %(score)s.")
        % {"party": assessment.party, "score": assessment.get_score_display()}
    )


def _follow(request: HttpRequest, commitment: Commitment) -> Outcome:
    follow = request.POST.get("follow") != "0"
    actions.follow_commitment(commitment=commitment, user=request.user, follow=follow)
    if follow:
        return Outcome(notice=_("You follow this commitment."))
    return Outcome(notice=_("You no longer follow this commitment."))


ACTIONS = {
    # Anyone who can see the commitment may follow it (an outsider gets 404).
    "follow": PageAction(_follow, "follow", permission="view"),
    **checklist_actions("commitment", "milestone-checklist"),
    "post_update": PageAction(_post_update, "update-area"),
    "submit_draft": PageAction(_submit_draft, "update-area"),
    "assess": PageAction(_assess, "compliance", permission="review"),
    "archive": ARCHIVE,
}


def _team_sources(commitment: Commitment):
    return Source.objects.citable_in([commitment.team_id])


def _parties(commitment: Commitment):
    return Party.objects.filter(commitment_roles__commitment=commitment).order_by("name")


def _render_detail(
    request: HttpRequest,
    commitment: Commitment,
    *,
    partial: str | None = None,
    outcome: Outcome | None = None,
    opened: dict | None = None,
) -> HttpResponse:
    outcome = outcome or Outcome()
    return render_page(
        request,
        "agreements/commitment_detail.html",
        _detail_context(request, commitment, outcome, opened),
        partial=partial,
        status=outcome.status,
    )


def _detail_context(
    request: HttpRequest, commitment: Commitment, outcome: Outcome, opened: dict | None = None
) -> dict:
    """What the page shows this reader, with what the action answered (``outcome``). The
    assessment form and the milestones' new-date forms are drawn only when refused (with what
    was typed) or ``opened`` without JavaScript; else they are fetched when opened."""
    forms = (opened or {}) | outcome.forms
    update_form = forms.get("update_form")
    user = request.user
    today = timezone.localdate()
    team = commitment.meeting.team
    # An archived commitment (or one of an archived meeting) is read-only for everyone.
    can_edit = permissions.may_edit(user, commitment)
    can_review = permissions.is_reviewer(user, team) and not commitment.is_read_only
    assessment_form = forms.get("assessment_form") if can_review else None
    milestones = checklist(commitment.milestones.all(), editable=can_edit, forms=forms)
    updates = commitment.progress_updates.all()
    facts = facts_of(commitment, user)
    # Read when there are some (``facts_of`` says): most commitments have none.
    assessments = (
        list(commitment.assessments.select_related("party", "assessed_by"))
        if facts["has_assessments"]
        else []
    )
    latest = _latest_by_party(assessments)
    revising = None
    if update_form is None and can_edit:
        if is_id(request.GET.get("revise", "")):  # a returned update of the user's, revised
            revising = updates.filter(
                pk=request.GET["revise"], author=user, review_state=ReviewState.RETURNED
            ).first()
        update_form = ProgressUpdateForm(
            commitment=commitment,
            sources=_team_sources(commitment),
            initial=_revision_initial(revising) or _typed(request),
        )
    # A long timeline shows a page of its newest events (or those before ``?before=``) and
    # offers the next on request: a page costs the same however long the history.
    timeline = timeline_page(
        commitment,
        assessments,
        milestones,
        parse_cursor(request.GET.get("before", "")),
        has_changes=facts["status_since"] is not None,  # the day of its latest change
    )
    return {
        "commitment": commitment,
        "today": today,
        "user_id": user.pk,
        "can_edit": can_edit,
        "can_review": can_review,
        "following": facts["following"],
        "status_since": facts["status_since"],
        # An archived commitment takes no new follower; one who follows it may still stop.
        "can_follow": not commitment.is_read_only,
        "party_roles": party_roles_of(commitment),  # SQL made once, as the bodies'
        "latest_assessments": latest,
        "assessed_party_ids": {a.party_id for a in latest},
        "bodies": bodies_of(commitment),
        # Read when there are some (``facts_of`` says): most commitments have none.
        "sources": read_kept_files(sources_of(commitment)) if facts["has_sources"] else [],
        "claims": commitment.claims.prefetch_related("sources") if facts["has_claims"] else [],
        "milestones": milestones,
        "timeline": timeline,
        "pending": facts["pending"],
        # A revision is newer than what it revises: among the updates shown when that one is.
        "revised_ids": _revised(updates, timeline),
        "update_form": update_form,
        "revising": revising,
        "assessment_form": assessment_form,
        "assessing": ASSESSING,
        "open_form": "assess" if assessment_form is not None else "",
        "outcome": outcome,
    }


def _revised(updates, timeline) -> set[int]:
    """The shown updates that a later one revises. A revision is newer than what it revises:
    on the newest page it is among the events shown; on an earlier page it may be on a page
    before, so it is looked up."""
    shown = [e.item for e in timeline.entries if e.kind == "update"]
    revised = {u.revises_id for u in shown if u.revises_id}
    if timeline.started_at and shown:
        revised |= set(
            updates.filter(revises__in=[u.pk for u in shown]).values_list("revises_id", flat=True)
        )
    return revised


def _typed(request: HttpRequest) -> dict:
    """What the user had typed in the update form when another action of the update area
    answered (htmx includes it): put back in the fresh form, so nothing typed is lost."""
    if "narrative" not in request.POST or request.POST.get("action") == "post_update":
        return {}  # a posted update is done, or comes back as its bound form
    fields = ("narrative", "proposed_status", "proposed_stalled")
    return {f: request.POST.get(f) for f in fields} | {"sources": request.POST.getlist("sources")}


def _revision_initial(returned) -> dict:
    if returned is None:
        return {}
    return {
        "revises": returned.pk,
        "happened_on": returned.happened_on,
        "narrative": returned.narrative,
        "proposed_status": returned.proposed_status,
        "proposed_stalled": returned.proposed_stalled,
        "sources": [s.pk for s in returned.sources.all()],
    }


def _latest_by_party(assessments) -> list:
    """Each party's most recent assessment (the list is newest first)."""
    latest = {}
    for assessment in assessments:
        latest.setdefault(assessment.party_id, assessment)
    return sorted(latest.values(), key=lambda a: a.party.name)
