"""A meeting's page: everything it holds, what editors add in place (with and without
JavaScript), and who may see and change it."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import reverse

from agreements import actions
from agreements.models import (
    BodyMembership,
    Claim,
    ContextEvent,
    Meeting,
    Milestone,
    Participant,
    Person,
    Source,
    Statement,
    Verification,
)
from agreements.views.common import Outcome
from tests.conftest import (
    HTMX,
    make_body,
    make_commitment,
    make_meeting,
    make_party,
    make_source,
    meeting_data,
)

NEW = "/meetings/new/"


def detail_url(meeting) -> str:
    return reverse("agreements:meeting_detail", args=[meeting.pk])


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


@pytest.mark.perf
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


@pytest.mark.perf
def test_the_meeting_page_costs_the_same_with_many_readouts_and_participants(
    client, editor, team, meeting, us, mexico, queries
):

    client.force_login(editor)

    def fill(n: int) -> None:
        for _ in range(n):
            k = Statement.objects.count()
            party = make_party(code=f"O{k}", name=f"Org {k}", kind="organisation")
            meeting.parties.add(party)
            c = make_commitment(meeting, parties=[us, party])
            person = Person.objects.create(
                team=team, name=f"P{c.pk}", party=party, current_office="Minister"
            )
            Participant.objects.create(
                meeting=meeting, person=person, party=party, office="Minister", role="delegate"
            )
            s = Statement.objects.create(
                meeting=meeting,
                party=party,
                speaker=person,
                kind="readout",
                text="x",
                said_on=meeting.start_date,
            )
            s.commitments.add(c)
            s.sources.add(make_source(team))

    queries.stay_flat(
        client,
        fill,
        meeting.get_absolute_url(),
        reverse("agreements:meeting_edit", args=[meeting.pk]),
    )


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


def test_a_closed_add_form_is_written_as_the_template_would_escape_it(rf):
    """An add form drawn closed is written by the ``add_form`` tag, not its template: each
    value escaped as Django's templates escape it, with the page's address it is fetched
    from and the link that opens it without JavaScript; open when it is the page's open
    form."""
    page = engines["django"].from_string("{% load tracker %}{% add_form adding form %}")
    adding = {"kind": "note", "title": "Say \"hi\" & <b>'bye'</b>"}
    request = rf.get("/meetings/m'1\"/")
    html = page.render({"adding": adding, "form": None, "open_form": ""}, request)
    assert html == (
        '\n\n\n\n\n\n<details id="add-form-note" class="card add-form" '
        'hx-get="/meetings/m&#x27;1&quot;/?add=note" hx-trigger="toggle once" '
        'hx-target="find .form-slot">\n'
        "  <summary>Say &quot;hi&quot; &amp; &lt;b&gt;&#x27;bye&#x27;&lt;/b&gt;</summary>\n"
        '  <div class="form-slot">\n  \n'
        '  <p><a href="?add=note#add-form-note">Open the form</a></p>\n  \n  </div>\n</details>\n'
    )
    opened = page.render({"adding": adding, "form": None, "open_form": "note"}, request)
    assert '<details id="add-form-note" class="card add-form" open hx-get=' in opened


def test_an_actions_outcome_is_written_in_the_section_that_answered_it():
    """The ``action_outcome`` tag: in the section that answered, the notice and why the action
    was refused (each escaped as the templates escape it); in the others, the empty live
    region that a later swap fills."""
    drawn = engines["django"].from_string('{% load tracker %}{% action_outcome "claims" %}')
    refused = Outcome(notice="“A” & <b>", refusal="Not 'now'")
    assert drawn.render({"answered": "claims", "outcome": refused}) == (
        '\n\n\n<p role="status" class="notice">“A” &amp; &lt;b&gt;</p>\n'
        '<p role="alert" class="refusal">Not &#x27;now&#x27;</p>\n\n'
    )
    done = Outcome(notice="Claim added.")
    assert drawn.render({"answered": "claims", "outcome": done}) == (
        '\n\n\n<p role="status" class="notice">Claim added.</p>\n\n\n'
    )
    empty = '\n\n\n<p role="status" class="notice"></p>\n'
    assert drawn.render({"answered": "events", "outcome": refused}) == empty
    assert drawn.render({}) == empty


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


def test_each_meeting_shows_its_own_bodies_and_members(client, editor, team, meeting, us, mexico):
    """Their rows' SQL is made once a process (``body_rows``): another meeting reads its own."""
    body = make_body(meeting, name="High-level implementation group")
    BodyMembership.objects.create(body=body, party=mexico, role="Chair", confirmation="reported")
    BodyMembership.objects.create(body=body, party=us, confirmation="confirmed")
    other = make_meeting(team, title="Follow-up")
    make_body(other, name="Technical working group")
    client.force_login(editor)
    first = client.get(detail_url(meeting)).content.decode()
    second = client.get(detail_url(other)).content.decode()
    assert "High-level implementation group" in first and "Technical working group" not in first
    bodies = first[first.index('id="bodies"') : first.index('id="statements"')]
    assert bodies.index("Mexico, Chair") < bodies.index("United States")  # in their order
    assert "Technical working group" in second and "High-level implementation group" not in second
    assert "No published membership" in second and "No published membership" not in first


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
    assert f'href="/commitments/commitment-{commitment.pk}/"' in html
    assert ">MX</abbr>: committed" in html and ">US</abbr>: counterpart" in html
    assert "lead: Pemex" in html
