from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements import actions
from agreements.models import Claim, Meeting, TeamMembership, TeamRole, Verification
from tests.conftest import HTMX, make_body, make_meeting, make_source, make_user

URL = "/claims/"


def verify(claim, verification: str, source=None, *, version: int | None = None) -> dict:
    """The POST body of a claim row's "verify" action."""
    body = {"action": "verify", "claim": claim.pk, "verification": verification}
    body["version"] = claim.version if version is None else version
    return body | ({"source": source.pk} if source is not None else {})


@pytest.fixture
def claim(meeting):
    return Claim.objects.create(
        text="Details of a possible MOU were not disclosed.", meeting=meeting
    )


def test_claims_page_lists_unconfirmed_and_disputed_only(client, reviewer, claim, commitment, team):
    source = make_source(team)
    disputed = Claim.objects.create(
        text="Seizures doubled", commitment=commitment, verification=Verification.DISPUTED
    )
    disputed.sources.add(source)
    verified = Claim.objects.create(
        text="The meeting took place", meeting=claim.meeting, verification=Verification.VERIFIED
    )
    verified.sources.add(source)
    client.force_login(reviewer)
    page = client.get(URL).content.decode()
    assert claim.text in page
    assert "Seizures doubled" in page
    assert "The meeting took place" not in page
    assert "Update verification" not in page and "?verify=" not in page  # reviewers change nothing


def test_a_claim_row_escapes_its_texts_and_reads_in_the_readers_language(
    client, editor, meeting, team
):
    """The rows are a Jinja2 template (agreements/jinja2.py): escaped as Django's are, the
    sources in their own order (newest first), labels and dates in the reader's language."""
    meeting.title = "Talks <b>bold</b>"
    meeting.save()
    tagged = Claim.objects.create(
        text="Seizures <script>x</script>",
        meeting=meeting,
        verification=Verification.DISPUTED,
        verified_on=datetime.date(2025, 1, 15),
    )
    older = make_source(team, title="Old <i>wire</i>", published_on=datetime.date(2024, 1, 1))
    newer = make_source(team, title="New readout", published_on=datetime.date(2025, 1, 1))
    tagged.sources.add(older, newer)
    client.force_login(editor)
    html = client.get(URL).content.decode()
    assert "<script>x" not in html and "Seizures &lt;script&gt;x&lt;/script&gt;" in html
    assert "About the meeting “Talks &lt;b&gt;bold&lt;/b&gt;” · North America" in html
    assert "sources: New readout; Old &lt;i&gt;wire&lt;/i&gt;" in html
    assert '<span class="muted">as of 15 Jan 2025</span>' in html
    assert '<span class="badge state-disputed">Disputed</span>' in html
    spanish = client.get(URL, headers={"accept-language": "es"}).content.decode()
    assert "a fecha de 15 Ene 2025" in spanish and "fuentes: New readout" in spanish


def test_a_rows_form_is_fetched_when_its_editor_opens_it(client, editor, claim):
    client.force_login(editor)
    page = client.get(URL).content.decode()
    assert f'hx-get="{URL}?verify={claim.pk}" hx-trigger="toggle once"' in page
    assert "New state" not in page  # a page of claims draws no form
    fragment = client.get(URL, {"verify": claim.pk}, **HTMX)
    text = fragment.content.decode()
    assert fragment.status_code == 200 and text.lstrip().startswith("<form")
    assert f'name="claim" value="{claim.pk}"' in text
    assert f'name="version" value="{claim.version}"' in text
    assert 'value="unconfirmed" selected' in text
    # Without JavaScript: the page with that claim and its form open.
    html = client.get(URL, {"verify": claim.pk}).content.decode()
    assert "<html" in html and '<details class="row-form" open>' in html and "New state" in html


def test_only_editors_open_a_rows_form(client, reviewer, outsider, claim):
    client.force_login(reviewer)
    assert client.get(URL, {"verify": claim.pk}, **HTMX).status_code == 403
    client.force_login(outsider)
    assert client.get(URL, {"verify": claim.pk}, **HTMX).status_code == 404
    assert client.get(URL, {"verify": "x"}, **HTMX).status_code == 404


def test_editor_verifies_a_claim_with_a_source_in_place(client, editor, claim, team):
    source = make_source(team, title="Official readout")
    client.force_login(editor)
    response = client.post(
        URL,
        verify(claim, "verified", source),
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Claim marked verified." in html
    claim.refresh_from_db()
    assert claim.verification == Verification.VERIFIED
    assert list(claim.sources.all()) == [source]


def test_verifying_without_a_source_is_refused_next_to_the_field(client, editor, claim):
    client.force_login(editor)
    response = client.post(
        URL,
        verify(claim, "reported"),
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "A claim marked “Reported” needs at least one source." in html
    assert 'value="reported" selected' in html  # the chosen state is kept
    claim.refresh_from_db()
    assert claim.verification == Verification.UNCONFIRMED


def test_source_of_another_team_cannot_be_cited(client, editor, claim, other_team):
    foreign = make_source(other_team)
    client.force_login(editor)
    response = client.post(
        URL,
        verify(claim, "verified", foreign),
    )
    assert response.status_code == 422
    claim.refresh_from_db()
    assert claim.verification == Verification.UNCONFIRMED


def test_without_javascript_the_change_redirects_back(client, editor, claim, team):
    source = make_source(team)
    client.force_login(editor)
    response = client.post(
        URL,
        verify(claim, "disputed", source),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("agreements:claim_list")


def test_reviewer_and_outsider_cannot_change_claims(client, reviewer, outsider, claim):
    client.force_login(reviewer)
    assert (
        client.post(
            URL,
            verify(claim, "retracted"),
        ).status_code
        == 403
    )
    client.force_login(outsider)
    assert (
        client.post(
            URL,
            verify(claim, "retracted"),
        ).status_code
        == 404
    )
    assert claim.text not in client.get(URL).content.decode()


@pytest.mark.perf
def test_claims_page_query_count_does_not_grow(client, editor, team, queries):
    meeting = make_meeting(team)
    make_source(team)

    def fill(n: int) -> None:
        body = make_body(meeting)
        for i in range(n):
            claim = Claim.objects.create(text=f"Claim {i}", body=body)
            claim.sources.add(make_source(team))

    client.force_login(editor)
    filtered = (URL, {"q": "claim", "verification": "unconfirmed", "meeting": meeting.pk})
    queries.stay_flat(client, fill, URL, filtered)


def test_stale_verification_is_a_conflict_shown_in_place(client, editor, claim, team):
    source = make_source(team)
    opened = claim.version
    claim.note = "Edited meanwhile"
    claim.save_versioned(expected=opened, update_fields=["note"])
    client.force_login(editor)
    response = client.post(
        URL,
        verify(claim, "verified", source, version=opened),
        **HTMX,
    )
    assert response.status_code == 409
    assert f"Someone else changed “{claim}”" in response.content.decode()
    claim.refresh_from_db()
    assert claim.verification == Verification.UNCONFIRMED
    assert not claim.sources.exists()


def test_claims_page_is_paginated(client, editor, meeting):
    for i in range(30):
        Claim.objects.create(text=f"Open question {i:02d}", meeting=meeting)
    client.force_login(editor)
    response = client.get(URL, {"page": 2})
    assert [row["claim"].text for row in response.context["rows"]] == [
        f"Open question {i:02d}" for i in range(25, 30)
    ]
    assert "Page 2 of 2" in response.content.decode()


@pytest.mark.parametrize("archived", ["meeting", "commitment", "body"])
def test_claims_of_archived_records_leave_the_list(
    client, editor, admin_user, meeting, commitment, archived
):
    body = make_body(meeting)
    subjects = {"meeting": meeting, "commitment": commitment, "body": body}
    for name, subject in subjects.items():
        Claim.objects.create(text=f"About the {name}", **{name: subject})
    actions.archive_record(record=subjects[archived], by=admin_user, reason="Duplicate")
    client.force_login(editor)
    html = client.get(URL).content.decode()
    gone = {"meeting": {"meeting", "commitment", "body"}}.get(archived, {archived})
    for name in subjects:
        assert (f"About the {name}" in html) is (name not in gone), name


def _csv_texts(client, query: dict) -> list[str]:
    response = client.get(URL, query | {"format": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return sorted(row[1] for row in lines[1:])


def test_open_claims_are_filtered_by_state_team_meeting_body_and_words(
    client, editor, team, other_team, meeting, commitment
):
    second = make_meeting(team, title="Border talks")
    body = make_body(second)
    Claim.objects.create(text="A memorandum was drafted", meeting=meeting)
    Claim.objects.create(
        text="Seizures doubled", commitment=commitment, verification=Verification.DISPUTED
    )
    Claim.objects.create(text="The group met twice", body=body)
    Claim.objects.create(text="Elsewhere unconfirmed", meeting=make_meeting(other_team))
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)

    def listed(user, **query) -> list[str]:
        client.force_login(user)
        rows = client.get(URL, query).context["rows"]
        return sorted(row["claim"].text for row in rows)

    assert listed(editor, verification="disputed") == ["Seizures doubled"]
    # The meeting's own claims and its records' (here its commitment's).
    assert listed(editor, meeting=meeting.pk) == ["A memorandum was drafted", "Seizures doubled"]
    assert listed(editor, body=body.pk) == ["The group met twice"]
    assert listed(editor, q="memorandum") == ["A memorandum was drafted"]
    assert listed(both, team=other_team.pk) == ["Elsewhere unconfirmed"]
    assert len(listed(both)) == 4
    # Another team's meeting is no filter of the editor's: ignored, as an invalid value is.
    assert len(listed(editor, meeting=Meeting.objects.get(team=other_team).pk)) == 3
    # The CSV downloads what the filters select, as the page links it.
    client.force_login(editor)
    page = client.get(URL, {"verification": "disputed", "team": team.pk}).content.decode()
    assert f'href="?verification=disputed&amp;team={team.pk}&amp;format=csv"' in page
    assert _csv_texts(client, {"verification": "disputed"}) == ["Seizures doubled"]
    assert _csv_texts(client, {"body": body.pk}) == ["The group met twice"]


def test_the_filters_swap_the_list_in_place_and_say_when_nothing_matches(client, editor, claim):
    client.force_login(editor)
    page = client.get(URL).content.decode()
    assert 'hx-target="#claim-list"' in page and 'hx-push-url="true"' in page
    fragment = client.get(URL, {"q": "nothing of the kind"}, **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="claim-list"') and "<form" not in fragment
    assert "No open claim matches these filters." in fragment
    assert claim.text in client.get(URL, {"q": "MOU"}, **HTMX).content.decode()


def test_the_claims_meeting_filter_is_a_picker_of_the_users_meetings(
    client, editor, meeting, other_team
):
    theirs = make_meeting(other_team, title=meeting.title)
    client.force_login(editor)
    options = client.get(
        URL, {"_pick": "meeting", "find": meeting.title.split()[0]}, **HTMX
    ).content.decode()
    assert f'value="meeting-{meeting.pk}"' in options and f"meeting-{theirs.pk}" not in options


def test_the_team_filter_offers_a_members_teams_from_their_memberships_an_admins_every_team(
    client, editor, admin_user, team, other_team
):
    """``forms.selects.TeamNames``: a member's teams as the memberships read once a request give
    them (names, in name order), no query of the teams of its own; an admin's, every team."""
    client.force_login(editor)
    with CaptureQueriesContext(connection) as ran:
        html = client.get(URL).text
    assert not [q for q in ran.captured_queries if 'FROM "agreements_team"' in q["sql"]]
    mine = f'<option value="" selected>Any team</option><option value="team-{team.pk}">'
    assert mine + "North America</option></select>" in html
    client.force_login(admin_user)
    html = client.get(URL).text
    every = f'<option value="team-{other_team.pk}">Europe</option><option value="team-{team.pk}">'
    assert every + "North America</option></select>" in html


def test_a_reader_of_several_teams_pages_through_their_open_claims_in_order(
    client, team, other_team, monkeypatch
):
    """Read in runs, one per team and open state (``views.paging.runs``), merged into the
    list's order (disputed, then unconfirmed, oldest first) and counted from the runs."""
    monkeypatch.setattr("agreements.views.claims.PAGE_SIZE", 4)
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.REVIEWER)
    held = {desk: make_meeting(desk) for desk in (team, other_team)}
    for n in range(5):
        for desk, place in held.items():
            for state in (Verification.UNCONFIRMED, Verification.DISPUTED):
                Claim.objects.create(
                    text=f"{desk.slug} {state} {n}", meeting=place, verification=state
                )
    Claim.objects.create(text="Settled", meeting=held[team], verification=Verification.VERIFIED)
    client.force_login(both)
    first = client.get(URL)
    assert first.context["page"].paginator.count == 20
    shown = [r["claim"] for n in range(1, 6) for r in client.get(URL, {"page": n}).context["rows"]]
    assert shown == list(Claim.objects.still_open().order_by("verification", "pk"))


@pytest.mark.perf
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a LIMIT inside a UNION is PostgreSQL's"
)
def test_the_unfiltered_list_is_counted_paged_and_read_in_a_query_each_for_every_reader(
    client, team, other_team, monkeypatch
):
    """The page as first opened: its count, its page's ids and its rows each one query of
    SQL made once a process (``claims._Unfiltered``), under the generic plan; the same SQL for
    two readers of as many teams gives each their own claims, as the ORM's list orders them."""
    monkeypatch.setattr("agreements.views.claims.PAGE_SIZE", 3)
    readers = {desk: make_user(f"reader-{desk.slug}", team=desk) for desk in (team, other_team)}
    for desk in readers:
        place = make_meeting(desk)
        for n in range(4):
            for state in (Verification.DISPUTED, Verification.UNCONFIRMED, Verification.VERIFIED):
                Claim.objects.create(
                    text=f"{desk.slug} {state} {n}", meeting=place, verification=state
                )
    for desk, reader in readers.items():
        client.force_login(reader)
        expected = list(
            Claim.objects.visible_to(reader).still_open().order_by("verification", "pk")
        )
        with CaptureQueriesContext(connection) as ran:
            first = client.get(URL)
        assert first.context["page"].paginator.count == len(expected) == 8
        sql = [query["sql"] for query in ran.captured_queries]
        generic = sql[sql.index("SET plan_cache_mode = force_generic_plan") + 1 :]
        generic = generic[: generic.index("RESET plan_cache_mode")]
        assert len(generic) == 3 and all('"agreements_claim"' in query for query in generic)
        shown = [
            r["claim"] for n in (1, 2, 3) for r in client.get(URL, {"page": n}).context["rows"]
        ]
        assert shown == expected and {claim.team_id for claim in shown} == {desk.pk}


def test_open_claims_are_counted_run_after_run_only_until_the_cap(
    client, editor, meeting, monkeypatch
):
    """A large list's first run (a team's unconfirmed claims) past the cap is the only one
    counted, and the page says "more than"; below the cap every run is counted exactly."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agreements.views.claims import _CountedInTurn

    monkeypatch.setattr(_CountedInTurn, "CAP", 26)  # at least a page and one: 26
    for i in range(2):
        Claim.objects.create(text=f"Disputed {i}", meeting=meeting, verification="disputed")
    client.force_login(editor)
    assert "2 unconfirmed or disputed" in client.get(URL).text
    Claim.objects.bulk_create(
        Claim(text=f"Unconfirmed {i}", meeting=meeting, record_meeting=meeting, team=meeting.team)
        for i in range(28)
    )
    with CaptureQueriesContext(connection) as ran:
        page = client.get(URL).text
    assert "More than 26 unconfirmed or disputed" in page
    counts = [q["sql"] for q in ran.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
