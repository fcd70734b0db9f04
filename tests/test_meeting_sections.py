"""A meeting's long sections, a page of rows at a time: the first commitments and how many
there are, the next ones appended in place (htmx) or on their own page (no JavaScript), the
other long sections paged alike, a cost that does not grow with the meeting, and the
briefing that still prints everything."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from agreements.models import BodyMembership, Claim, ContextEvent, Participant, Person, Statement
from agreements.views import meeting_sections, meetings
from tests.conftest import HTMX, make_body, make_commitment, make_meeting, make_source


@pytest.fixture
def shown_three(monkeypatch):
    """Three commitments, and two rows of another section, a page (the page's sizes are
    25 and 25: the tests need fewer rows to cross them)."""
    monkeypatch.setattr(meetings, "COMMITMENTS_SHOWN", 3)
    monkeypatch.setattr(meeting_sections, "SECTION_SHOWN", 2)


def titles_in(html: str) -> list[str]:
    return re.findall(r"<strong>(Row \d+)</strong>", html)


@pytest.fixture
def long_meeting(meeting):
    for n in range(1, 9):  # listed by position, not by when they were recorded
        make_commitment(meeting, title=f"Row {n}", position=n, status=3 if n <= 2 else 0)
    return meeting


def test_the_page_shows_the_first_commitments_and_how_many_there_are(
    client, reviewer, long_meeting, shown_three
):
    client.force_login(reviewer)
    html = client.get(long_meeting.get_absolute_url()).content.decode()
    assert titles_in(html) == ["Row 1", "Row 2", "Row 3"]
    assert "Showing 1–3 of 8" in html
    assert 'href="?commitments_page=2#commitments"' in html  # works without JavaScript
    assert 'hx-get="?commitments_page=2&amp;commitments_since=1"' in html
    # The index is the meeting's, over all eight, not over the rows shown: 2 × 3 of 8 × 3.
    assert "Implementation index: 25%" in html


def test_the_index_is_over_every_commitment_that_counts_on_any_page_and_day(
    client, reviewer, long_meeting, shown_three
):
    """Read with the rows (a window over all the meeting's commitments): a cancelled or an
    archived one leaves it, a later page and a past day show the same figure."""
    import datetime

    from django.utils import timezone

    make_commitment(long_meeting, title="Row 9", position=9, status=3, cancellation="cancelled")
    make_commitment(long_meeting, title="Row 10", position=10, status=3, archived_at=timezone.now())
    client.force_login(reviewer)
    url = long_meeting.get_absolute_url()
    today = timezone.localdate().isoformat()
    for query in ({}, {"commitments_page": 2}, {"commitments_page": 4}, {"as_of": today}):
        html = client.get(url, query).content.decode()
        assert "Implementation index: 25%" in html, query
        assert "of 10" in html, query  # every commitment listed, the index over those counting
    before = (long_meeting.start_date - datetime.timedelta(days=1)).isoformat()
    assert "Implementation index: 25%" in client.get(url, {"as_of": before}).content.decode()


def test_without_javascript_the_next_commitments_are_a_page_of_their_own(
    client, reviewer, long_meeting, shown_three
):
    client.force_login(reviewer)
    html = client.get(long_meeting.get_absolute_url(), {"commitments_page": 2}).content.decode()
    assert "<html" in html and titles_in(html) == ["Row 4", "Row 5", "Row 6"]
    assert "Showing 4–6 of 8" in html
    assert 'href="?commitments_page=1#commitments"' in html  # back
    assert 'href="?commitments_page=3#commitments"' in html  # on


def test_show_more_appends_the_next_commitments_in_place(
    client, reviewer, long_meeting, shown_three
):
    client.force_login(reviewer)
    url = long_meeting.get_absolute_url()
    response = client.get(url, {"commitments_page": 2, "commitments_since": 1}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and response["Vary"].count("HX-Request") == 1
    # The rows alone, with the line that fetches the next ones: no page, no section around.
    assert "<html" not in html and 'id="commitments"' not in html
    assert titles_in(html) == ["Row 4", "Row 5", "Row 6"]
    assert "Showing 1–6 of 8" in html  # the reader's list starts at the first row
    assert 'hx-get="?commitments_page=3&amp;commitments_since=1"' in html
    last = client.get(url, {"commitments_page": 3, "commitments_since": 1}, **HTMX)
    html = last.content.decode()
    assert titles_in(html) == ["Row 7", "Row 8"] and "Show more" not in html


def test_a_page_past_the_end_or_not_a_number_shows_rows_that_exist(
    client, reviewer, long_meeting, shown_three
):
    client.force_login(reviewer)
    url = long_meeting.get_absolute_url()
    past = client.get(url, {"commitments_page": 99}).content.decode()
    assert titles_in(past) == ["Row 7", "Row 8"] and "Showing 7–8 of 8" in past
    for junk in ("0", "-1", "x", "2" * 40):
        html = client.get(url, {"commitments_page": junk}).content.decode()
        assert titles_in(html) == ["Row 1", "Row 2", "Row 3"], junk


def test_a_short_meeting_shows_all_its_commitments_without_paging(
    client, reviewer, meeting, shown_three
):
    make_commitment(meeting, title="Row 1")
    client.force_login(reviewer)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert titles_in(html) == ["Row 1"] and "Showing" not in html


def test_another_teams_meeting_is_not_found_however_it_is_paged(
    client, outsider, long_meeting, shown_three
):
    client.force_login(outsider)
    url = long_meeting.get_absolute_url()
    assert client.get(url, {"commitments_page": 2}).status_code == 404
    assert client.get(url, {"commitments_page": 2}, **HTMX).status_code == 404
    assert client.get(url, {"participants_page": 2}, **HTMX).status_code == 404


def test_a_past_day_keeps_its_place_in_the_pages(client, reviewer, long_meeting, shown_three):
    client.force_login(reviewer)
    url = long_meeting.get_absolute_url()
    html = client.get(url, {"as_of": "2025-10-01"}).content.decode()
    assert 'href="?as_of=2025-10-01&amp;commitments_page=2#commitments"' in html


def test_a_sections_links_keep_the_pages_other_parameters_but_open_no_form(
    client, editor, long_meeting, shown_three
):
    """Each section's links keep what else the page was asked (its day, the other sections'
    pages) and drop what opens a form (``?add=``, ``?edit_event=``…), put together only for a
    section that draws links: a section shown whole (no links) never does."""
    client.force_login(editor)
    asked = {"as_of": "2025-10-01", "claims_page": "1", "add": "claim", "edit_event": "4"}
    html = client.get(long_meeting.get_absolute_url(), asked).content.decode()
    assert 'href="?as_of=2025-10-01&amp;claims_page=1&amp;commitments_page=2#commitments"' in html
    request = client.get(long_meeting.get_absolute_url(), asked).wsgi_request
    whole = meeting_sections.shown(request, "claims", Claim.objects.none())
    assert not whole.is_partial and "query" not in whole.__dict__  # no links: nothing built
    assert whole.query == "as_of=2025-10-01"  # its own page and the forms' dropped


def test_participants_are_paged_and_swapped_in_place(
    client, reviewer, meeting, team, us, shown_three
):
    for n in range(1, 4):
        person = Person.objects.create(team=team, name=f"Delegate {n}")
        Participant.objects.create(meeting=meeting, person=person, party=us, office="Envoy")
    client.force_login(reviewer)
    url = meeting.get_absolute_url()
    first = client.get(url).content.decode()
    assert "Delegate 2" in first and "Delegate 3" not in first
    assert "Showing 1–2 of 3" in first and 'href="?participants_page=2#participants"' in first
    section = client.get(url, {"participants_page": 2}, **HTMX).content.decode()
    assert section.lstrip().startswith('<section id="participants"')
    assert "Delegate 3" in section and "Delegate 1" not in section
    assert "Showing 3–3 of 3" in section and "Previous" in section


def reading(ran, *tables: str) -> list[str]:
    """The queries ``ran`` that read from any of ``tables``."""
    return [
        q["sql"] for q in ran.captured_queries if any(f'FROM "{t}"' in q["sql"] for t in tables)
    ]


PLAIN = (
    "agreements_participant",
    "agreements_statement",
    "agreements_claim",
    "agreements_implementationbody",
)


def test_a_page_drawn_whole_reads_its_small_sections_together(
    client, reviewer, meeting, team, us, mexico, shown_three
):
    """Participants, statements, claims, bodies (plain rows) and sources (records), with what
    the statements and claims shown link (joint parties, commitments mentioned, sources), are
    read in one query where the page is drawn whole (PostgreSQL: each section's first page in
    its own order; a query each elsewhere), each showing its own rows; a section's next page
    without JavaScript is read on its own, the others' first pages together; drawn alone
    (htmx), a section reads only its own rows and theirs."""
    older = make_source(team, title="B older", published_on=datetime.date(2025, 1, 1))
    newer = make_source(team, title="A newer", published_on=datetime.date(2025, 2, 1))
    for n in range(1, 4):
        person = Person.objects.create(team=team, name=f"Delegate {n}")
        Participant.objects.create(meeting=meeting, person=person, party=us, office="Envoy")
        claim = Claim.objects.create(meeting=meeting, text=f"Claim {n}", verification="disputed")
        claim.sources.add(*[older, newer][: n - 1])
    said = Statement.objects.create(
        meeting=meeting, party=us, text="Said once", said_on=meeting.start_date
    )
    said.joint_parties.add(us, mexico)
    said.commitments.add(make_commitment(meeting, title="Halt fentanyl"))
    body = make_body(meeting, name="Working group")
    member = Person.objects.create(team=team, name="Member")
    BodyMembership.objects.create(body=body, person=member, party=us)
    meeting.sources.add(make_source(team, title="Cited alone"))
    linked = (
        *PLAIN,
        "agreements_claim_sources",
        "agreements_statement_joint_parties",
        "agreements_statement_commitments",
        "agreements_source",  # the meeting's own sources: records
    )
    in_one = connection.features.supports_slicing_ordering_in_compound
    client.force_login(reviewer)
    url = meeting.get_absolute_url()
    with CaptureQueriesContext(connection) as ran:
        html = client.get(url).text
    assert "Delegate 2" in html and "Delegate 3" not in html and "Showing 1–2 of 3" in html
    assert "Claim 2" in html and "Claim 3" not in html and "Said once" in html
    assert 'Claim 2\n        <span class="muted"> · source: B older</span>' in html
    assert "jointly with Mexico, United States" in html and "Mentions: Halt fentanyl" in html
    assert "Working group" in html and "Member" in html and "Cited alone" in html
    assert len(reading(ran, *linked)) == (1 if in_one else 8)
    with CaptureQueriesContext(connection) as ran:
        html = client.get(url, {"claims_page": 2}).text
    assert "Claim 3" in html and "Claim 1" not in html and "Delegate 1" in html
    assert "sources: A newer; B older</span>" in html and "Mentions: Halt fentanyl" in html
    assert len(reading(ran, "agreements_claim")) == 1
    assert len(reading(ran, *linked)) == (3 if in_one else 8)
    with CaptureQueriesContext(connection) as ran:
        section = client.get(url, {"claims_page": 2}, **HTMX).text
    assert "Claim 3" in section and "Delegate" not in section and "A newer; B older" in section
    assert len(reading(ran, *linked)) == 2


def test_a_sections_pages_are_written_with_each_value_escaped_in_the_readers_language(rf):
    """The pages of a section (the ``section_pager`` tag): which rows of how many and a link
    each way, the addresses and the section's name escaped as the templates escape them;
    nothing for a section shown whole."""
    pager = engines["django"].from_string(
        '{% load tracker %}{% section_pager shown "claims" label %}'
    )
    asked = rf.get("/", {"claims_page": "2", "x": "<b>"}).GET
    shown = meeting_sections.Shown("claims", ["c", "d"], 5, 2, 2, asked)  # rows 3-4 of 5
    html = pager.render({"shown": shown, "label": "Claims & more"})
    link = 'href="?x=%3Cb%3E&amp;claims_page={0}#claims" hx-get="?x=%3Cb%3E&amp;claims_page={0}"'
    rest = 'hx-target="#claims" hx-swap="outerHTML" hx-push-url="true"'
    assert html == (
        '\n\n<nav class="pagination" aria-label="Pages of Claims &amp; more">\n'
        f"  <a {link.format(1)} {rest}>← Previous</a>\n"
        "  <span>Showing 3–4 of 5</span>\n"
        f"  <a {link.format(3)} {rest}>Next →</a>\n</nav>\n\n"
    )
    with translation.override("es"):
        spanish = pager.render({"shown": shown, "label": "Reclamaciones"})
    assert 'aria-label="Páginas de Reclamaciones"' in spanish and "Se muestran 3–4 de 5" in spanish
    whole = meeting_sections.Shown("claims", ["a"], 1, 1, 2, asked)
    assert pager.render({"shown": whole, "label": "Claims"}) == "\n\n"


def test_the_briefing_still_prints_every_commitment(client, reviewer, long_meeting, shown_three):
    client.force_login(reviewer)
    url = reverse("agreements:meeting_briefing", args=[long_meeting.pk])
    html = client.get(url).content.decode()
    for n in range(1, 9):
        assert f"Row {n}" in html


def test_a_meeting_shows_its_first_25_commitments_as_the_commitment_list_does(
    client, editor, meeting
):
    for i in range(26):
        make_commitment(meeting, title=f"Commitment {i:02d}", position=i)
    client.force_login(editor)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "Commitment 24" in html and "Commitment 25" not in html
    assert "Showing 1–25 of 26" in html
    assert 'href="?commitments_page=2#commitments"' in html


@pytest.mark.perf
def test_the_next_commitments_cost_the_same_however_many_there_are(
    client, editor, team, us, queries
):
    def meeting_with(n: int):
        meeting = make_meeting(team)
        for _ in range(n):
            make_commitment(meeting, parties=[us])
        return meeting

    client.force_login(editor)
    # Every page full: 25 rows of 100 and of 200 (the page's own size).
    small, large = meeting_with(100), meeting_with(200)
    page = ({"commitments_page": 2, "commitments_since": 1}, HTMX)
    assert queries.of(client, (small.get_absolute_url(), *page)) == queries.of(
        client, (large.get_absolute_url(), *page)
    )


def test_a_commitment_row_escapes_its_texts_and_reads_in_the_readers_language(
    client, editor, meeting, us
):
    """The meeting page's rows are a Jinja2 template (agreements/jinja2.py): texts escaped as
    Django's are, sentences and dates in the reader's language, the parties' roles named."""
    import datetime

    make_commitment(
        meeting,
        parties=[us],
        title="Halt <b>fentanyl</b> flows",
        lead_agency="Ministry <i>of</i> Security",
        target_date=datetime.date(2030, 1, 15),
    )
    client.force_login(editor)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Halt &lt;b&gt;fentanyl&lt;/b&gt; flows" in page and "<b>fentanyl" not in page
    assert "lead: Ministry &lt;i&gt;of&lt;/i&gt; Security" in page and "<i>of" not in page
    assert (
        "target 15 Jan 2030" in page and f'<abbr title="{us.name}">{us.code}</abbr>: joint' in page
    )
    spanish = client.get(meeting.get_absolute_url(), headers={"accept-language": "es"})
    spanish = spanish.content.decode()
    assert "previsto para el 15 Ene 2030" in spanish
    assert "responsable: Ministry &lt;i&gt;of&lt;/i&gt; Security" in spanish


def test_participant_and_claim_rows_escape_their_texts_and_read_in_the_readers_language(
    client, editor, team, meeting, us, commitment
):
    """The meeting page's participants and claims are Jinja2 rows: texts escaped as Django's
    are, sentences and the sources' label (one source, or several) in the reader's language."""
    person = Person.objects.create(team=team, name="Ana <b>Ruiz</b>")
    Participant.objects.create(meeting=meeting, person=person, party=us, office="Envoy <i>x</i>")
    commitment.title = "Halt <b>flows</b>"
    commitment.save()
    one = Claim.objects.create(commitment=commitment, text="Seized <script>")
    one.sources.add(make_source(team, title="Report <1>"))
    two = Claim.objects.create(meeting=meeting, text="Two sources")
    two.sources.add(make_source(team, title="A"), make_source(team, title="B"))
    client.force_login(editor)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "<strong>Ana &lt;b&gt;Ruiz&lt;/b&gt;</strong>, Envoy &lt;i&gt;x&lt;/i&gt;" in page
    assert f"· for {us}</span>" in page
    assert "Seized &lt;script&gt;" in page and "<script>" not in page.split("<main")[1]
    assert "about “Halt &lt;b&gt;flows&lt;/b&gt;”" in page and "<b>flows" not in page
    assert " · source: Report &lt;1&gt;</span>" in page
    assert " · sources: A; B</span>" in page
    spanish = client.get(meeting.get_absolute_url(), headers={"accept-language": "es"})
    spanish = spanish.content.decode()
    assert f"· por {us}</span>" in spanish
    assert " · fuentes: A; B</span>" in spanish


def test_statements_claims_and_events_name_what_they_link_in_order(
    client, editor, meeting, us, mexico, team
):
    """A statement's joint parties (by name) and the commitments it mentions (in the meeting's
    order), a claim's and an event's sources (newest first, then by title), escaped."""
    first = make_commitment(meeting, title="Curb <fuel> theft", position=1)
    second = make_commitment(meeting, title="Halt fentanyl", position=2)
    statement = Statement.objects.create(
        meeting=meeting, party=us, text="Together", said_on=meeting.start_date
    )
    statement.commitments.add(second, first)
    statement.joint_parties.add(us, mexico)
    older = make_source(team, title="B older", published_on=datetime.date(2025, 1, 1))
    newer = make_source(team, title="A newer", published_on=datetime.date(2025, 2, 1))
    oldest = make_source(team, title="C oldest", published_on=datetime.date(2024, 1, 1))
    claim = Claim.objects.create(meeting=meeting, text="Said so", verification="unconfirmed")
    claim.sources.add(older, newer)
    event = ContextEvent.objects.create(meeting=meeting, title="A raid", relation="background")
    event.sources.add(older, oldest, newer)
    client.force_login(editor)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "jointly with Mexico, United States" in html
    assert "Mentions: Curb &lt;fuel&gt; theft; Halt fentanyl</span>" in html
    assert "sources: A newer; B older</span>" in html
    assert "Sources: A newer; B older; C oldest</span>" in html


def test_participant_claim_and_commitment_rows_show_what_their_records_would(
    client, editor, team, meeting, us, commitment
):
    """Participants and claims are read as plain rows (``meeting_rows.participants_of``,
    ``claims_of``), not records, and a commitment's theme by its name: each row names what its
    record would (the person, the party, the role's label in the reader's language; the
    claim's commitment or body; the theme's label), and each meeting shows its own."""
    other = make_meeting(team, title="Round two")
    host = Person.objects.create(team=team, name="Ana Ruiz")
    Participant.objects.create(meeting=meeting, person=host, party=us, office="Envoy", role="host")
    Participant.objects.create(
        meeting=other, person=Person.objects.create(team=team, name="Ben Cole"), party=us
    )
    body = make_body(meeting, name="Working group")
    Claim.objects.create(commitment=commitment, text="About the commitment")
    Claim.objects.create(body=body, text="About the body", verification="disputed")
    client.force_login(editor)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert f'<strong>Ana Ruiz</strong>, Envoy <span class="muted">· Host · for {us}</span>' in html
    assert "Ben Cole" not in html
    assert f'About the commitment\n        <span class="muted">· about “{commitment.title}”' in html
    assert 'About the body\n        <span class="muted">· about Working group</span>' in html
    assert 'badge state-disputed">Disputed</span> About the body' in html
    spanish = client.get(meeting.get_absolute_url(), headers={"accept-language": "es"}).text
    assert '<strong>Ana Ruiz</strong>, Envoy <span class="muted">· Anfitrión ·' in spanish
    assert "Controvertido</span> About the body" in spanish
    # A commitment's theme, read by name with its row (not as a theme), in the reader's words.
    assert '<br><span class="muted">Drugs' in html
    assert '<br><span class="muted">Drogas' in spanish
