from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from agreements import actions
from agreements.models import (
    BodyMembership,
    Claim,
    ContextEvent,
    Meeting,
    MeetingLink,
    Milestone,
    OutcomeType,
    Participant,
    Party,
    Person,
    Source,
    Statement,
    Verification,
)
from tests.conftest import (
    HTMX,
    make_body,
    make_commitment,
    make_meeting,
    make_source,
    meeting_data,
)

LIST = "/meetings/"
NEW = "/meetings/new/"


def detail_url(meeting) -> str:
    return reverse("agreements:meeting_detail", args=[meeting.pk])


# List --------------------------------------------------------------------------------------


@pytest.fixture
def meetings(team, us, mexico, other_team):
    brussels = make_meeting(
        team,
        title="EU–US dialogue",
        start_date=datetime.date(2024, 5, 2),
        city="Brussels",
        outcome_type=OutcomeType.JOINT_STATEMENT,
    )
    brussels.parties.set([us])
    mexico_city = make_meeting(
        team, title="Security meeting", city="Mexico City", outcome_type=OutcomeType.REAFFIRMATION
    )
    mexico_city.parties.set([us, mexico])
    make_commitment(mexico_city, status=3)
    make_commitment(mexico_city, status=0)
    make_meeting(other_team, title="Hidden talks")
    return brussels, mexico_city


def listed(response) -> list[str]:
    return [meeting.title for meeting in response.context["page"].object_list]


def test_list_shows_meetings_with_counts_and_index(client, editor, meetings):
    client.force_login(editor)
    response = client.get(LIST)
    assert listed(response) == ["Security meeting", "EU–US dialogue"]
    security = response.context["page"].object_list[0]
    assert (security.commitment_count, security.index) == (2, 50.0)
    assert "Hidden talks" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "brussels"}, ["EU–US dialogue"]),
        ({"outcome_type": "reaffirmation"}, ["Security meeting"]),
        ({"year": "2024"}, ["EU–US dialogue"]),
    ],
)
def test_list_filters(client, editor, meetings, params, expected):
    client.force_login(editor)
    assert listed(client.get(LIST, params)) == expected


def test_the_year_filter_offers_the_years_from_the_first_meeting_to_the_last(
    client, editor, team, other_team
):
    make_meeting(team, start_date=datetime.date(2021, 3, 1))
    make_meeting(team, start_date=datetime.date(2024, 6, 1))
    make_meeting(other_team, start_date=datetime.date(1999, 1, 1))  # not the user's
    client.force_login(editor)
    choices = client.get(LIST).context["form"].fields["year"].choices
    assert [year for year, _label in choices] == ["", 2024, 2023, 2022, 2021]


def test_list_filters_by_party_and_team(client, editor, meetings, mexico, team):
    client.force_login(editor)
    assert listed(client.get(LIST, {"party": mexico.pk})) == ["Security meeting"]
    assert len(listed(client.get(LIST, {"team": team.pk}))) == 2


def test_list_fragment_for_htmx(client, editor, meetings):
    client.force_login(editor)
    html = client.get(LIST, {"q": "security"}, **HTMX).content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="meeting-table"')


def test_list_paginates(client, editor, team):
    for i in range(27):
        make_meeting(
            team, title=f"Talks {i}", start_date=datetime.date(2025, 1, 1) + datetime.timedelta(i)
        )
    client.force_login(editor)
    response = client.get(LIST, {"page": 2})
    assert listed(response) == ["Talks 1", "Talks 0"]


def test_list_query_counts_do_not_grow(client, editor, team, us, queries):
    def fill(n: int) -> None:
        for _ in range(n):
            meeting = make_meeting(team)
            meeting.parties.add(us)
            make_commitment(meeting)

    client.force_login(editor)
    queries.stay_flat(client, fill, LIST, (LIST, {"party": us.pk}, HTMX))


# A meeting's page --------------------------------------------------------------------------


@pytest.fixture
def full_meeting(meeting, commitment, us, mexico, team):
    rubio = Person.objects.create(team=team, name="Marco Rubio", party=us)
    Participant.objects.create(
        meeting=meeting,
        person=rubio,
        party=us,
        office="U.S. Secretary of State",
        role="head_of_delegation",
    )
    body = make_body(meeting, name="High-level implementation group")
    BodyMembership.objects.create(body=body, party=mexico, confirmation="reported")
    Statement.objects.create(
        meeting=meeting,
        speaker=rubio,
        speaker_office="U.S. Secretary of State",
        party=us,
        text="A high-level group",
        said_on=meeting.start_date,
    )
    Claim.objects.create(meeting=meeting, text="Membership not published")
    ContextEvent.objects.create(
        meeting=meeting, title="Strike in the Caribbean", relation="background", fatalities=11
    )
    meeting.sources.add(make_source(team, title="Wire report"))
    return meeting


def test_detail_shows_everything_the_meeting_holds(client, reviewer, full_meeting, commitment):
    client.force_login(reviewer)
    html = client.get(detail_url(full_meeting)).content.decode()
    for text in (
        "U.S. Secretary of State",
        "Head of delegation",
        commitment.title,
        "Not started",
        "High-level implementation group",
        "Reported",
        "A high-level group",
        "Membership not published",
        "Unconfirmed",
        "Strike in the Caribbean",
        "11 killed",
        "Wire report",
    ):
        assert text in html, text
    assert "Add a statement" not in html and "Edit meeting" not in html


def test_editor_adds_a_statement_in_place(client, editor, meeting, us, team):
    person = Person.objects.create(team=meeting.team, name="Ramón de la Fuente")
    source = make_source(team)
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {
            "action": "add_statement",
            "statement-speaker": person.pk,
            "statement-speaker_office": "SRE",
            "statement-kind": "quotation",
            "statement-text": "Models of cooperation that work",
            "statement-language": "en",
            "statement-said_on": "2025-09-03",
            "statement-sources": [source.pk],
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="statements"')
    assert "Models of cooperation that work" in html and "Statement added." in html
    assert Statement.objects.get().sources.get() == source


def test_milestone_before_the_meeting_is_refused_in_place(client, editor, meeting, commitment):
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {
            "action": "add_milestone",
            "milestone-commitment": commitment.pk,
            "milestone-title": "Too early",
            "milestone-due_date": "2025-08-01",
        },
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "A milestone cannot fall due before the meeting that agreed it" in html
    assert 'value="Too early"' in html
    assert not Milestone.objects.exists()


def test_editor_adds_a_milestone(client, editor, meeting, commitment):
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {
            "action": "add_milestone",
            "milestone-commitment": commitment.pk,
            "milestone-title": "First report",
            "milestone-due_date": "2025-12-01",
        },
    )
    assert response.status_code == 302
    assert Milestone.objects.get().commitment == commitment


def test_claim_needs_a_source_unless_unconfirmed(client, editor, meeting, commitment, team):
    client.force_login(editor)
    data = {
        "action": "add_claim",
        "claim-text": "The group met in October",
        "claim-verification": "verified",
    }
    response = client.post(detail_url(meeting), data, **HTMX)
    assert response.status_code == 422
    assert "A claim marked “Verified” needs at least one source." in response.content.decode()
    source = make_source(team)
    response = client.post(
        detail_url(meeting),
        data | {"claim-sources": [source.pk], "claim-commitment": commitment.pk},
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.commitment, claim.meeting, claim.verification) == (
        commitment,
        None,
        Verification.VERIFIED,
    )


def test_editor_adds_a_source_and_the_meeting_cites_it(client, editor, meeting):
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {
            "action": "add_source",
            "source-title": "Official readout",
            "source-url": "https://gob.example/readout",
            "source-publisher": "SRE",
        },
        **HTMX,
    )
    assert response.status_code == 200
    source = Source.objects.get()
    assert source.team == meeting.team
    assert list(meeting.sources.all()) == [source]
    response = client.post(
        detail_url(meeting),
        {
            "action": "add_source",
            "source-title": "Same",
            "source-url": "https://gob.example/readout",
        },
        **HTMX,
    )
    assert "This team already has a source with this address." in response.content.decode()


def test_reviewer_cannot_add_to_a_meeting(client, reviewer, meeting):
    client.force_login(reviewer)
    for kind in ("milestone", "statement", "claim", "source"):
        response = client.post(detail_url(meeting), {"action": f"add_{kind}"})
        assert response.status_code == 403


def test_detail_query_count_does_not_grow(client, editor, team, us, queries):
    def meeting_with(n: int) -> Meeting:
        meeting = make_meeting(team)
        person = Person.objects.create(team=team, name="Speaker")
        body = make_body(meeting)
        for i in range(n):
            commitment = make_commitment(meeting, parties=[us])
            Milestone.objects.create(commitment=commitment, title="m", due_date=meeting.start_date)
            Statement.objects.create(
                meeting=meeting, speaker=person, text=f"s{i}", said_on=meeting.start_date
            )
            readout = Statement.objects.create(
                meeting=meeting, party=us, kind="readout", text=f"r{i}", said_on=meeting.start_date
            )
            readout.commitments.add(commitment)
            readout.sources.add(make_source(team))
            Claim.objects.create(commitment=commitment, text="c").sources.add(make_source(team))
            ContextEvent.objects.create(
                meeting=meeting, title=f"e{i}", relation="background", actor=us
            )
            BodyMembership.objects.create(body=body, person=person, party=us)
            Participant.objects.create(
                meeting=meeting,
                person=Person.objects.create(team=team, name=f"p{i}"),
                party=us,
                office="x",
                role="delegate",
            )
        return meeting

    client.force_login(editor)
    small, large = meeting_with(5), meeting_with(50)
    assert queries.of(client, detail_url(small)) == queries.of(client, detail_url(large))


# Access, fragments and the details of the page ---------------------------------------------


@pytest.mark.parametrize(
    "name", ["meeting_list", "meeting_create", "meeting_detail", "meeting_edit"]
)
def test_every_meeting_page_needs_a_sign_in(client, meeting, name):
    args = [] if name in ("meeting_list", "meeting_create") else [meeting.pk]
    url = reverse(f"agreements:{name}", args=args)
    for response in (client.get(url), client.post(url, {"action": "add_claim"})):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/accounts/login/")
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    "action",
    [
        "add_link",
        "unlink",
        "add_body",
        "add_event",
        "edit_event",
        "archive_event",
        "add_milestone",
        "add_statement",
        "add_claim",
        "add_source",
        "archive",
        "unknown",
    ],
)
def test_outsider_posting_to_a_meeting_gets_404(client, outsider, meeting, action):
    client.force_login(outsider)
    response = client.post(detail_url(meeting), {"action": action, "reason": "x"}, **HTMX)
    assert response.status_code == 404
    edit = reverse("agreements:meeting_edit", args=[meeting.pk])
    assert (
        client.post(edit, meeting_data(meeting.team, *meeting.parties.all(), [])).status_code == 404
    )
    assert client.get(edit, {"row": 2}, **HTMX).status_code == 404


def test_reviewer_gets_403_on_every_write(client, reviewer, meeting, us, mexico):
    client.force_login(reviewer)
    edit = reverse("agreements:meeting_edit", args=[meeting.pk])
    assert client.post(edit, meeting_data(meeting.team, us, mexico, [])).status_code == 403
    assert client.get(edit, {"row": 2}, **HTMX).status_code == 403
    assert client.get(NEW, {"row": 2}, **HTMX).status_code == 403
    assert client.post(NEW, meeting_data(meeting.team, us, mexico, []), **HTMX).status_code == 403
    archive = {"action": "archive", "reason": "Duplicate"}
    assert client.post(detail_url(meeting), archive).status_code == 403
    meeting.refresh_from_db()
    assert not meeting.is_archived


def test_reviewer_sees_the_page_without_any_form(client, reviewer, meeting, commitment):
    client.force_login(reviewer)
    html = client.get(detail_url(meeting)).content.decode()
    assert "hx-post" not in html and 'name="action"' not in html
    for title in ("Add a milestone", "Add a statement", "Add a claim", "Add a source"):
        assert title not in html


ADD_KINDS = ("link", "milestone", "body", "event", "statement", "claim", "source")


def test_editor_is_offered_every_add_form_fetched_when_opened(client, editor, meeting, commitment):
    client.force_login(editor)
    html = client.get(detail_url(meeting)).content.decode()
    for kind in ADD_KINDS:
        # Offered closed, with no form drawn: the form is fetched when its editor opens it.
        assert f'hx-get="{detail_url(meeting)}?add={kind}" hx-trigger="toggle once"' in html
        assert f'name="action" value="add_{kind}"' not in html
        fragment = client.get(detail_url(meeting), {"add": kind}, **HTMX)
        assert fragment.status_code == 200
        text = fragment.content.decode()
        assert "<html" not in text and "<details" not in text
        assert text.lstrip().startswith("<form") and f'value="add_{kind}"' in text


def test_without_javascript_an_add_form_opens_on_the_page(client, editor, meeting, commitment):
    client.force_login(editor)
    response = client.get(detail_url(meeting), {"add": "statement"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert '<details id="add-form-statement" class="card add-form" open>' in html
    assert 'value="add_statement"' in html and 'value="add_claim"' not in html


def test_add_forms_open_only_for_editors(client, reviewer, editor, meeting, admin_user):
    client.force_login(reviewer)
    for kind in ADD_KINDS:
        html = client.get(detail_url(meeting), {"add": kind}, **HTMX).content.decode()
        assert f'value="add_{kind}"' not in html
    client.force_login(editor)
    html = client.get(detail_url(meeting), {"add": "nonsense"}, **HTMX).content.decode()
    assert "<html" in html and 'value="add_' not in html  # an unknown kind: the page, closed
    actions.archive_record(record=meeting, by=admin_user, reason="Duplicate")
    html = client.get(detail_url(meeting), {"add": "claim"}, **HTMX).content.decode()
    assert 'value="add_claim"' not in html  # an archived meeting is read-only


@pytest.mark.parametrize(
    ("kind", "section", "data"),
    [
        (
            "milestone",
            "commitments",
            {"milestone-title": "First group meeting", "milestone-due_date": "2025-10-01"},
        ),
        (
            "claim",
            "claims",
            {"claim-text": "Schedule not published", "claim-verification": "unconfirmed"},
        ),
        ("source", "sources", {"source-title": "SRE readout", "source-publisher": "SRE"}),
    ],
)
def test_adding_in_place_answers_with_the_changed_section_only(
    client, editor, meeting, commitment, kind, section, data
):
    client.force_login(editor)
    if kind == "milestone":
        data = data | {"milestone-commitment": commitment.pk}
    response = client.post(detail_url(meeting), {"action": f"add_{kind}"} | data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith(f'<section id="{section}"')
    assert f"{kind.capitalize()} added." in html
    assert next(iter(data.values())) in html  # the new record is listed


def test_invalid_add_without_javascript_answers_422_with_the_whole_page(client, editor, meeting):
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {"action": "add_statement", "statement-text": "Words without a speaker"},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" in html
    assert "A statement is attributed to a speaker or a party." in html
    assert "Words without a speaker" in html
    assert '<details id="add-form-statement" class="card add-form" open>' in html  # stays open


def test_unknown_form_is_a_bad_request(client, editor, meeting):
    client.force_login(editor)
    assert client.post(detail_url(meeting), {"action": "nonsense"}).status_code == 400


def test_body_without_members_says_so_plainly(client, editor, meeting):
    make_body(meeting, name="High-level implementation group")
    client.force_login(editor)
    html = client.get(detail_url(meeting)).content.decode()
    assert "No published membership" in html


def test_statement_shows_its_attribution_and_language(client, editor, meeting, mexico):
    person = Person.objects.create(team=meeting.team, name="Ramón de la Fuente")
    Statement.objects.create(
        meeting=meeting,
        speaker=person,
        speaker_office="Foreign Affairs Secretary",
        party=mexico,
        text="Modelos de cooperación que funcionan",
        language="es",
        said_on=meeting.start_date,
    )
    client.force_login(editor)
    html = client.get(detail_url(meeting)).content.decode()
    assert '<blockquote lang="es">' in html
    for text in (
        "Ramón de la Fuente",
        "Foreign Affairs Secretary",
        "for Mexico",
        "in Spanish",
        "3 Sep 2025",
    ):
        assert text in html, text


def test_detail_links_each_commitment_and_shows_its_roles(client, editor, meeting, us, mexico):
    commitment = make_commitment(meeting, title="Curb fuel theft", lead_agency="Pemex")
    commitment.party_roles.create(party=mexico, role="committed")
    commitment.party_roles.create(party=us, role="counterpart")
    client.force_login(editor)
    html = client.get(detail_url(meeting)).content.decode()
    assert f'href="/commitments/{commitment.pk}/"' in html
    assert ">MX</abbr>: committed" in html and ">US</abbr>: counterpart" in html
    assert "lead: Pemex" in html


def test_list_hides_archived_meetings_and_other_teams_parties(client, editor, meetings, other_team):
    hidden_party = make_meeting(other_team, title="Elsewhere")
    hidden_party.parties.add(Party.objects.create(name="Ruritania", code="RU"))
    client.force_login(editor)
    response = client.get(LIST)
    party_choices = [str(p) for p in response.context["form"].fields["party"].queryset]
    assert "Ruritania" not in party_choices
    assert set(party_choices) == {"United States", "Mexico"}


# Related meetings (fidelity 4) ----------------------------------------------------------------


def link(client, meeting, other, relation="follows_up", note="", **extra):
    data = {
        "action": "add_link",
        "link-relation": relation,
        "link-other": other.pk,
        "link-note": note,
    }
    return client.post(detail_url(meeting), data, **extra)


def test_a_follow_up_is_shown_on_both_meetings_and_as_a_chain(client, editor, meeting, team):
    dialogue = make_meeting(
        team, title="High-Level Security Dialogue", start_date=datetime.date(2021, 10, 8)
    )
    next_round = make_meeting(team, title="Next round", start_date=datetime.date(2026, 1, 20))
    client.force_login(editor)
    response = link(client, meeting, dialogue, note="Continues its cooperation", **HTMX)
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="related"')
    assert link(client, next_round, meeting).status_code == 302
    assert list(MeetingLink.objects.values_list("meeting", "relation", "other")) == [
        (meeting.pk, "follows_up", dialogue.pk),
        (next_round.pk, "follows_up", meeting.pk),
    ]
    page = client.get(detail_url(meeting)).content.decode()
    assert f'Follows up <a href="{dialogue.get_absolute_url()}">{dialogue}</a>' in page
    assert "Continues its cooperation" in page
    assert f'Followed up by <a href="{next_round.get_absolute_url()}">{next_round}</a>' in page
    older = client.get(detail_url(dialogue)).content.decode()
    assert f'Followed up by <a href="{meeting.get_absolute_url()}">{meeting}</a>' in older
    assert meeting.chain() == [dialogue, meeting, next_round]
    assert next_round.chain() == [dialogue, meeting, next_round]
    assert f'<strong aria-current="page">{meeting}</strong>' in page


@pytest.mark.parametrize(
    ("relation", "when", "message"),
    [
        ("follows_up", datetime.date(2026, 1, 1), "is later than this meeting"),
        ("supersedes", datetime.date(2026, 1, 1), "is later than this meeting"),
    ],
)
def test_a_meeting_does_not_follow_up_a_later_one(
    client, editor, meeting, team, relation, when, message
):
    later = make_meeting(team, title="Later", start_date=when)
    client.force_login(editor)
    response = link(client, meeting, later, relation, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not MeetingLink.objects.exists()


def test_a_link_is_made_once_whichever_side_it_is_made_from(client, editor, meeting, team):
    round_two = make_meeting(team, title="Round two", start_date=datetime.date(2025, 11, 3))
    client.force_login(editor)
    assert link(client, meeting, round_two, "same_series").status_code == 302
    for response in (
        link(client, meeting, round_two, "same_series", **HTMX),
        link(client, round_two, meeting, "same_series", **HTMX),
    ):
        assert response.status_code == 422
        assert "already" in response.content.decode()
    assert MeetingLink.objects.count() == 1
    page = client.get(detail_url(round_two)).content.decode()
    assert f'Same series as <a href="{meeting.get_absolute_url()}">{meeting}</a>' in page


def test_another_teams_meeting_is_neither_offered_nor_linked(client, editor, meeting, other_team):
    theirs = make_meeting(other_team, title="Brussels talks", start_date=datetime.date(2021, 1, 1))
    client.force_login(editor)
    response = link(client, meeting, theirs, **HTMX)
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    picker = client.get(
        detail_url(meeting), {"_pick": "link-other", "find": "Brussels"}, **HTMX
    ).content.decode()
    assert "Brussels" not in picker
    assert not MeetingLink.objects.exists()


def test_removing_a_link_keeps_who_removed_it(client, editor, meeting, team, outsider):
    earlier = make_meeting(team, title="Earlier", start_date=datetime.date(2024, 1, 1))
    client.force_login(editor)
    link(client, meeting, earlier)
    made = MeetingLink.objects.get()
    client.force_login(outsider)
    assert (
        client.post(detail_url(meeting), {"action": "unlink", "link": made.pk}).status_code == 404
    )
    client.force_login(editor)
    unrelated = make_meeting(team, title="Unrelated")
    response = client.post(detail_url(unrelated), {"action": "unlink", "link": made.pk})
    assert response.status_code == 404  # a link of another meeting's is not this page's
    response = client.post(detail_url(earlier), {"action": "unlink", "link": made.pk}, **HTMX)
    assert response.status_code == 200
    assert "Link removed." in response.content.decode()
    assert not MeetingLink.objects.exists()
    removed = MeetingLink.history.filter(history_type="-").get()
    assert removed.history_user == editor


def test_reviewer_cannot_link_meetings(client, reviewer, meeting, team):
    earlier = make_meeting(team, title="Earlier", start_date=datetime.date(2024, 1, 1))
    client.force_login(reviewer)
    assert link(client, meeting, earlier).status_code == 403
    assert not MeetingLink.objects.exists()


# Bodies and context events from the meeting page (fidelity 2, 3) ------------------------------


def test_staff_record_the_implementation_group_from_the_meeting_page(
    client, editor, meeting, commitment
):
    client.force_login(editor)
    page = client.get(detail_url(meeting), {"add": "body"}, **HTMX).content.decode()
    assert 'name="body-name"' in page
    assert "Version:" not in page  # the version a form was opened at travels hidden, unlabelled
    data = {
        "action": "add_body",
        "body-name": "High-level implementation group",
        "body-mandate": "Carry out the security cooperation agreed at the meeting.",
        "body-cadence": "meets regularly",
        "body-lifecycle": "announced",
        "body-commitments": [commitment.pk],
        "body-membership_note": "Precise membership not published.",
    }
    response = client.post(detail_url(meeting), data, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="bodies"')
    assert "High-level implementation group" in html
    assert "Precise membership not published." in html
    body = meeting.bodies.get()
    assert list(body.commitments.all()) == [commitment]
    assert body.history.first().history_user == editor
    again = client.post(detail_url(meeting), data, **HTMX)  # the same name twice
    assert again.status_code == 422
    assert "This meeting has a body of this name already." in again.content.decode()
    assert 'value="meets regularly"' in again.content.decode()


def test_a_body_is_corrected_on_its_own_page_and_a_stale_form_is_refused(
    client, editor, meeting, commitment
):
    body = make_body(meeting)
    url = reverse("agreements:body_detail", args=[body.pk])
    client.force_login(editor)
    data = {
        "action": "edit_body",
        "body-version": body.version,
        "body-name": "Security implementation group",
        "body-lifecycle": "constituted",
        "body-commitments": [commitment.pk],
    }
    assert client.post(url, data).status_code == 302
    body.refresh_from_db()
    assert (body.name, body.lifecycle) == ("Security implementation group", "constituted")
    assert list(body.commitments.all()) == [commitment]
    stale = client.post(url, data | {"body-name": "Older name"})
    assert stale.status_code == 409
    body.refresh_from_db()
    assert body.name == "Security implementation group"


def test_a_body_takes_only_its_meetings_commitments(client, editor, meeting, team):
    elsewhere = make_commitment(make_meeting(team, title="Other meeting"))
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {
            "action": "add_body",
            "body-name": "Group",
            "body-lifecycle": "announced",
            "body-commitments": [elsewhere.pk],
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def event_data(**extra) -> dict:
    return {
        "action": "add_event",
        "event-title": "U.S. strike on a vessel in the Caribbean",
        "event-relation": "background",
        "event-occurred_on": "2025-09-02",
        "event-location": "Caribbean Sea",
        "event-fatalities": "11",
    } | extra


def test_staff_add_correct_and_archive_a_context_event(client, editor, meeting, us, team):
    source = make_source(team, title="Reuters on the strike")
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        event_data(**{"event-actor": us.pk, "event-sources": [source.pk]}),
        **HTMX,
    )
    assert response.status_code == 200
    assert "11 killed" in response.content.decode()
    event = ContextEvent.objects.get()
    assert (event.actor, list(event.sources.all())) == (us, [source])
    page = client.get(detail_url(meeting), {"edit_event": event.pk}).content.decode()
    assert f'name="event-{event.pk}-title"' in page
    edit = {
        "action": "edit_event",
        "event": event.pk,
        f"event-{event.pk}-version": event.version,
        f"event-{event.pk}-title": "U.S. strike on a drug boat",
        f"event-{event.pk}-relation": "background",
        f"event-{event.pk}-timing_note": "the day before",
    }
    assert client.post(detail_url(meeting), edit).status_code == 302
    event.refresh_from_db()
    assert (event.title, event.occurred_on, event.timing_note) == (
        "U.S. strike on a drug boat",
        None,
        "the day before",
    )
    archive = {"action": "archive_event", "event": event.pk, "reason": "Recorded twice"}
    response = client.post(detail_url(meeting), archive, **HTMX)
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.is_archived
    assert 'class="archived"' in response.content.decode()
    again = client.post(detail_url(meeting), archive, **HTMX)
    assert again.status_code == 409  # archiving twice is refused


def test_an_event_needs_a_date_or_a_timing_note(client, editor, meeting):
    client.force_login(editor)
    response = client.post(detail_url(meeting), event_data(**{"event-occurred_on": ""}), **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give a date, or say when it happened" in html
    assert 'value="Caribbean Sea"' in html
    assert not ContextEvent.objects.exists()


def test_another_meetings_event_is_not_found_here(client, editor, meeting, team):
    theirs = ContextEvent.objects.create(
        meeting=make_meeting(team), title="Elsewhere", relation="background"
    )
    client.force_login(editor)
    response = client.post(
        detail_url(meeting), {"action": "archive_event", "event": theirs.pk, "reason": "x"}
    )
    assert response.status_code == 404


def test_an_archived_meeting_takes_no_new_link(client, editor, meeting, team, admin_user):
    from agreements import actions

    earlier = make_meeting(team, title="Earlier", start_date=datetime.date(2024, 1, 1))
    actions.archive_record(record=earlier, by=admin_user, reason="Duplicate")
    client.force_login(editor)
    response = link(client, meeting, earlier, **HTMX)
    assert response.status_code == 409
    assert "read-only" in response.content.decode()
    assert not MeetingLink.objects.exists()
