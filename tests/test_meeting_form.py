"""Recording and editing a meeting with its commitment rows: the form, its errors, its
conflicts, with and without JavaScript."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Commitment, Meeting
from tests.conftest import HTMX, make_commitment, make_user, meeting_data

LIST = "/meetings/"
NEW = "/meetings/new/"
SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() is True, int() refuses it


def _detail(meeting) -> str:
    return meeting.get_absolute_url()


# Recording a meeting -----------------------------------------------------------------------


def test_editor_records_a_meeting_with_two_commitments(client, editor, team, us, mexico):
    client.force_login(editor)
    rows = [
        {
            "title": "Halt fentanyl",
            "text": "Disrupt shipments",
            "theme": "drugs",
            f"role_{mexico.pk}": "committed",
            f"role_{us.pk}": "counterpart",
        },
        {
            "title": "Stop guns",
            "text": "Stop firearms moving south",
            "theme": "arms",
            f"role_{us.pk}": "committed",
        },
    ]
    response = client.post(NEW, meeting_data(team, us, mexico, rows))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == _detail(meeting)
    commitments = list(meeting.commitments.order_by("position"))
    assert [c.title for c in commitments] == ["Halt fentanyl", "Stop guns"]
    assert {r.party.code: r.role for r in commitments[0].party_roles.all()} == {
        "MX": "committed",
        "US": "counterpart",
    }
    assert {r.party.code: r.role for r in commitments[1].party_roles.all()} == {"US": "committed"}
    assert meeting.team == team


def test_single_team_is_preselected(client, editor):
    client.force_login(editor)
    assert client.get(NEW).context["form"]["team"].value() == editor.team_memberships.get().team_id


def test_empty_extra_row_is_ignored(client, editor, team, us, mexico):
    client.force_login(editor)
    rows = [{"title": "Halt fentanyl", "text": "x", "theme": "drugs"}, {}]
    assert client.post(NEW, meeting_data(team, us, mexico, rows)).status_code == 302
    assert Commitment.objects.count() == 1


def test_add_row_partial_returns_the_next_row_and_updates_the_count(client, editor):
    client.force_login(editor)
    html = client.get(NEW, {"row": 3}, **HTMX).content.decode()
    assert "<html" not in html
    assert 'name="commitments-3-title"' in html
    assert 'id="id_commitments-TOTAL_FORMS" hx-swap-oob="true"' in html
    assert 'value="4"' in html
    assert "?row=4" in html  # the button now fetches the row after
    assert "New commitment 4" in html


def test_add_row_without_javascript_keeps_everything_typed(client, editor, team, us, mexico):
    client.force_login(editor)
    data = meeting_data(
        team, us, mexico, [{"title": "Halt fentanyl", "text": "Typed text", "theme": "drugs"}]
    )
    response = client.post(NEW, data | {"add_row": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="commitments-1-title"' in html
    assert 'value="Halt fentanyl"' in html and "Typed text" in html
    assert "This field is required" not in html
    assert not Meeting.objects.exists()


def test_invalid_meeting_shows_errors_next_to_fields_and_keeps_input(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    rows = [{"title": "", "text": "Typed commitment", "theme": "drugs"}]
    data = meeting_data(team, us, mexico, rows, start_date="2025-09-03", end_date="2025-09-01")
    response = client.post(NEW, data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "A meeting cannot end before it starts." in html
    assert "This field is required." in html  # the row's missing title
    assert 'value="Border security talks"' in html and "Typed commitment" in html
    assert 'aria-invalid="true"' in html
    assert not Meeting.objects.exists()


def test_reviewer_and_outsider_cannot_record_for_a_team(
    client, reviewer, outsider, team, us, mexico
):
    client.force_login(reviewer)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, meeting_data(team, us, mexico, [])).status_code == 403
    client.force_login(outsider)  # an editor elsewhere cannot pick this team
    response = client.post(NEW, meeting_data(team, us, mexico, []))
    assert response.status_code == 422
    assert not Meeting.objects.exists()


def test_editing_a_meeting_and_its_commitments(client, editor, meeting, commitment, us, mexico):
    client.force_login(editor)
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    assert client.get(url).status_code == 200
    data = meeting_data(meeting.team, us, mexico, [], title="Renamed talks") | {
        "version": meeting.version,
        "commitments-TOTAL_FORMS": "1",
        "commitments-INITIAL_FORMS": "1",
        "commitments-0-id": commitment.pk,
        "commitments-0-version": commitment.version,
        "commitments-0-title": "Renamed commitment",
        "commitments-0-text": commitment.text,
        "commitments-0-theme": commitment.theme_id,
        f"commitments-0-role_{us.pk}": "implementer",
    }
    assert client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    commitment.refresh_from_db()
    assert (meeting.title, commitment.title) == ("Renamed talks", "Renamed commitment")
    assert {r.party.code: r.role for r in commitment.party_roles.all()} == {"US": "implementer"}


def test_reviewer_cannot_edit_and_outsider_cannot_see(client, reviewer, outsider, meeting):
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(_detail(meeting)).status_code == 404


def test_admin_may_record_for_any_team(client, admin_user, team, us, mexico):
    make_user("someone", team=team)
    client.force_login(admin_user)
    assert client.post(NEW, meeting_data(team, us, mexico, [])).status_code == 302


def edit_data(meeting, commitment, us, mexico, **changes) -> dict:
    return (
        meeting_data(meeting.team, us, mexico, [], version=meeting.version)
        | {
            "commitments-TOTAL_FORMS": "1",
            "commitments-INITIAL_FORMS": "1",
            "commitments-0-id": commitment.pk,
            "commitments-0-version": commitment.version,
            "commitments-0-title": commitment.title,
            "commitments-0-text": commitment.text,
            "commitments-0-theme": commitment.theme_id,
        }
        | changes
    )


def test_saving_over_a_newer_version_shows_the_conflict_and_loses_nothing(
    client, editor, meeting, commitment, us, mexico
):
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    client.force_login(editor)
    mine = edit_data(meeting, commitment, us, mexico, title="My title", city="Monterrey")
    # Meanwhile a colleague saves the meeting.
    meeting.title = "Their title"
    meeting.save_versioned(expected=meeting.version, update_fields=["title"])
    response = client.post(url, mine)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this while you were editing" in html
    assert "Their title" in html and "My title" in html  # side by side
    meeting.refresh_from_db()
    assert meeting.title == "Their title"  # nothing overwritten
    # The form now carries the current version: saving again applies mine on top.
    form = response.context["form"]
    assert form["version"].value() == meeting.version
    assert form["title"].value() == "My title"
    again = client.post(url, mine | {"version": meeting.version})
    assert again.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.city) == ("My title", "Monterrey")


def test_a_conflict_on_a_commitment_row_is_caught_too(
    client, editor, meeting, commitment, us, mexico
):
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    client.force_login(editor)
    mine = edit_data(meeting, commitment, us, mexico, **{"commitments-0-title": "My wording"})
    commitment.title = "Their wording"
    commitment.save_versioned(expected=commitment.version, update_fields=["title"])
    response = client.post(url, mine)
    assert response.status_code == 409
    assert "Their wording" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.title == "Their wording"


@pytest.mark.perf
def test_edit_form_query_count_does_not_grow_with_commitments(client, editor, meeting, us, queries):
    client.force_login(editor)

    def fill(n: int) -> None:
        for _ in range(n):
            make_commitment(meeting, parties=[us])

    queries.stay_flat(client, fill, reverse("agreements:meeting_edit", args=[meeting.pk]))


def as_sent_back(page) -> dict:
    """What the edit page's forms send when saved as they were opened."""
    data = {}
    forms = [page.context["form"]]
    for rows in (page.context["rows"], page.context["participants"]):
        forms += [rows.management_form, *rows.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if value not in (None, "", []):
                data[field.html_name] = value
    return data


@pytest.mark.perf
def test_saving_the_form_costs_the_same_queries_with_many_commitments(client, editor, meeting, us):
    """The rows' records are fetched for all rows at once, and a row sent back as stored is
    not checked against the database again (a changed one still is, and is saved)."""
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    client.force_login(editor)

    def save(changed: int = 0) -> int:
        data = as_sent_back(client.get(url))
        for i in range(changed):
            data[f"commitments-{i}-lead_agency"] = "Customs"
        with CaptureQueriesContext(connection) as captured:
            assert client.post(url, data).status_code == 302
        return len(captured)

    for _ in range(5):
        make_commitment(meeting, parties=[us])
    few = save()
    for _ in range(45):
        make_commitment(meeting, parties=[us])
    assert save() == few
    save(changed=2)
    assert Commitment.objects.filter(lead_agency="Customs").count() == 2


def test_end_before_start_is_refused_with_the_model_message(client, editor, team, us, mexico):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, [], end_date="2025-09-02")
    response = client.post(NEW, data, **HTMX)
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["end_date"] == ["A meeting cannot end before it starts."]
    html = response.content.decode()
    assert 'id="id_end_date_error"' in html and 'value="2025-09-02"' in html


def test_add_row_link_without_javascript_shows_the_whole_form(client, editor):
    client.force_login(editor)
    response = client.get(NEW, {"row": 3})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'name="title"' in html


def test_a_row_id_outside_the_meeting_is_refused_alike_whoever_holds_it(
    client, outsider, other_team, us, mexico, commitment
):
    """No existence oracle: another team's commitment id and an id nobody holds get the same
    answer, and neither becomes a row of this meeting (security 6)."""
    from agreements.models import Commitment

    from .conftest import make_meeting

    client.force_login(outsider)
    mine = make_meeting(other_team, title="Mine")
    url = reverse("agreements:meeting_edit", args=[mine.pk])
    answers = []
    for pk in (commitment.pk, 999_999):
        row = {"id": str(pk), "title": "X", "text": "t", "theme": "drugs", "version": "1"}
        data = meeting_data(other_team, us, mexico, [row], version=str(mine.version))
        data["commitments-INITIAL_FORMS"] = "1"
        response = client.post(url, data)
        message = "This row is not one of this meeting's commitments."
        answers.append((response.status_code, message in html.unescape(response.text)))
    assert answers == [(422, True), (422, True)]
    assert not Commitment.objects.filter(meeting=mine).exists()
    assert Commitment.objects.get(pk=commitment.pk).title == commitment.title


@pytest.mark.parametrize(
    "query",
    [
        {"_pick": "parties", "parties": SUPERSCRIPT_TWO},
        {"_pick": "participants-0-person", "team": SUPERSCRIPT_TWO},
        {"_pick": "participants-0-person", "participants-0-person": SUPERSCRIPT_TWO},
        {"row": "0", "parties": SUPERSCRIPT_TWO},
    ],
)
def test_a_non_ascii_digit_in_a_meeting_form_request_is_not_a_500(client, editor, query):
    client.force_login(editor)
    response = client.get(NEW, query, **HTMX)
    assert response.status_code < 500


@pytest.mark.parametrize(
    "change",
    [
        {"parties": SUPERSCRIPT_TWO},
        {"team": SUPERSCRIPT_TWO},
        {"participants-0-person": SUPERSCRIPT_TWO},
        {"participants-0-id": SUPERSCRIPT_TWO},
        {"participants-TOTAL_FORMS": SUPERSCRIPT_TWO, "add_participant": "1"},
        {"commitments-TOTAL_FORMS": SUPERSCRIPT_TWO, "add_row": "1"},
    ],
)
def test_a_non_ascii_digit_in_a_meeting_form_post_is_not_a_500(
    client, editor, team, us, mexico, change
):
    client.force_login(editor)
    person = {"new_person": "A", "office": "B", "party": us.pk, "role": "delegate"}
    data = meeting_data(team, us, mexico, [], [person]) | change
    response = client.post(NEW, data)
    assert response.status_code < 500


# Required fields marked before the first submit (issue #26, point 2) ---------------------------


def marked(page: str, field_id: str) -> bool:
    """Whether the label of ``field_id`` carries the required mark (its class)."""
    labels = re.findall(rf'<(?:label|legend)[^>]*for="{field_id}"[^>]*>', page)
    return bool(labels) and all('class="required"' in label for label in labels)


def test_required_fields_are_marked_before_the_first_submit_and_the_mark_explained_once(
    client, editor
):
    client.force_login(editor)
    page = client.get(NEW).content.decode()
    assert page.count("Fields marked * are required.") == 1
    # Required: a visible mark (the label's class, drawn "*") and the attributes.
    assert marked(page, "id_title") and marked(page, "id_start_date")
    assert 'name="title" maxlength="300" required aria-required="true"' in page
    # Required in some cases only: marked, told by aria-required, no browser check.
    for field in ("outcome_type", "new_party_name", "new_party_code", "participants-0-person"):
        assert marked(page, f"id_{field}"), field
    assert re.search(r'<select name="outcome_type"[^>]*aria-required="true"', page)
    assert marked(page, "id_commitments-0-title") and marked(page, "id_commitments-0-theme")
    assert re.search(r'name="commitments-0-title"[^>]*aria-required="true"', page)
    # Optional fields carry no mark.
    for field in ("venue", "commitments-0-text", "participants-0-role", "new_party_kind"):
        assert not marked(page, f"id_{field}"), field


def test_a_commitments_text_may_be_left_empty_when_the_title_says_it_all(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    rows = [{"title": "Halt the flow of fentanyl", "theme": "drugs", "text": ""}]
    assert client.post(NEW, meeting_data(team, us, mexico, rows)).status_code == 302
    assert Commitment.objects.get().text == ""


# Planned meetings (issue #26, point 10) -----------------------------------------------------


def test_a_planned_meeting_may_leave_its_outcome_empty_a_held_one_may_not(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    held = client.post(NEW, meeting_data(team, us, mexico, [], outcome_type=""))
    assert held.status_code == 422
    assert "planned" in str(held.context["form"].errors["outcome_type"])
    planned = client.post(NEW, meeting_data(team, us, mexico, [], outcome_type="", planned="on"))
    assert planned.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.planned and meeting.outcome_type == ""
    # Filled in later like any meeting: held, with its outcome.
    data = meeting_data(team, us, mexico, [], version=meeting.version)
    assert client.post(f"/meetings/meeting-{meeting.pk}/edit/", data).status_code == 302
    meeting.refresh_from_db()
    assert not meeting.planned and meeting.outcome_type == "reaffirmation"
