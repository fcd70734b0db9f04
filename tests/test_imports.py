"""Commitments from a spreadsheet (issue #11, point 2): a dry run that shows each row's outcome
and every error by line and column, then all or nothing; an export imports back unchanged; a
re-import updates instead of duplicating; bad files get a clear message."""

from __future__ import annotations

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from agreements.models import (
    Commitment,
    Milestone,
)
from agreements.system_texts import shown
from tests.conftest import make_body, make_commitment, make_meeting
from tests.test_fuzz import FUZZ, hostile, no_server_error

HEADER = "title,reference,text,theme,target_date,party_roles\n"


def url(meeting) -> str:
    return f"/meetings/meeting-{meeting.pk}/import/"


def upload(client, meeting, text: str | bytes, name: str = "plan.csv"):
    content = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(url(meeting), {"file": SimpleUploadedFile(name, content)})


def apply(client, meeting, dry_run):
    """Press "Apply" on a dry run's page: post back what it carries."""
    plan = dry_run.context["plan"]
    versions = " ".join(f"{r.record.pk}:{r.expected}" for r in plan.changes if r.expected)
    return client.post(
        url(meeting),
        {
            "filename": dry_run.context["filename"],
            "content": dry_run.context["content"],
            "versions": versions,
            "kind": dry_run.context["kind"],
        },
    )


def outcomes(response) -> list[tuple[int, str, str]]:
    return [(r.line, r.title, r.outcome) for r in response.context["plan"].rows]


def test_a_dry_run_shows_each_row_and_saves_nothing(client, editor, meeting, us, mexico):
    client.force_login(editor)
    text = HEADER + (
        "Halt fentanyl,1.1,Disrupt shipments,Drugs,2026-06-30,MX: Committed; US: Counterpart\n"
        "Stop guns,1.2,Stop firearms,arms,,US: Joint\n"
    )
    response = upload(client, meeting, text)
    assert response.status_code == 200
    assert outcomes(response) == [(2, "Halt fentanyl", "new"), (3, "Stop guns", "new")]
    assert not Commitment.objects.exists()  # a dry run
    assert "Apply: save 2 commitments" in response.content.decode()

    done = apply(client, meeting, response)
    assert done.status_code == 302
    fentanyl = Commitment.objects.get(title="Halt fentanyl")
    assert (fentanyl.reference, fentanyl.theme_id, str(fentanyl.target_date)) == (
        "1.1",
        "drugs",
        "2026-06-30",
    )
    assert {r.party.code: r.role for r in fentanyl.party_roles.all()} == {
        "MX": "committed",
        "US": "counterpart",
    }
    entry = fentanyl.history.get()
    assert (entry.history_user, shown(entry.history_change_reason)) == (
        editor,
        "Imported from plan.csv",
    )


def test_every_error_is_shown_by_line_and_column_and_nothing_is_saved(client, editor, meeting, us):
    client.force_login(editor)
    text = HEADER + (
        "Good row,,Text,drugs,,\n"
        ",,No title,drugs,,\n"
        "Bad theme,,Text,astrology,2026-02-30,XX: Joint\n"
        "Formula,,=HYPERLINK(1),drugs,,\n"
        "Good row,,Twice,drugs,,\n"
    )
    response = upload(client, meeting, text)
    assert response.status_code == 422
    rows = {r.line: r for r in response.context["plan"].rows}
    assert rows[2].outcome == "new" and not rows[2].errors
    assert [c for c, _ in rows[3].errors] == ["title"]
    assert sorted(c for c, _ in rows[4].errors) == ["party_roles", "target_date", "theme"]
    (theme,) = [message for column, message in rows[4].errors if column == "theme"]
    assert theme.startswith("No theme “astrology”. The themes are: Arms trafficking, Drugs,")
    assert rows[5].errors == [("text", "A formula: write the value itself.")]
    assert rows[6].errors == [("title", "The same commitment as line 2.")]
    assert "Apply" not in response.content.decode()
    # Applying anyway (a forged post) writes nothing either.
    forged = client.post(url(meeting), {"filename": "x.csv", "content": text})
    assert forged.status_code == 422
    assert not Commitment.objects.exists()


def test_an_exported_file_imports_back_unchanged(client, editor, meeting, us, mexico):
    make_commitment(
        meeting, title="=Halt fentanyl", reference="1", parties=[us, mexico], lead_agency="SRE"
    )
    make_commitment(meeting, title="Stop guns", theme="arms", indicator="Seizures\nper month")
    client.force_login(editor)
    exported = b"".join(client.get("/commitments/", {"format": "csv"}).streaming_content).decode(
        "utf-8"
    )
    response = upload(client, meeting, exported, "commitments-2026.csv")
    assert response.status_code == 200
    assert [o for _, _, o in outcomes(response)] == ["unchanged", "unchanged"]
    assert response.context["plan"].changes == []


def test_a_reimport_updates_instead_of_duplicating(client, editor, meeting, us):
    first = make_commitment(meeting, title="Halt fentanyl", reference="1.1", text="Old")
    client.force_login(editor)
    # Found by reference though retitled; then by title without one; by id when given.
    text = (
        "id,title,reference,text\n"
        ",Halt fentanyl flows,1.1,New text\n"
        f"{first.pk},Halt fentanyl flows,1.1,New text\n"
    )
    response = upload(client, meeting, text)
    rows = response.context["plan"].rows
    assert rows[1].errors == [("title", "The same commitment as line 2.")]
    text = "title,reference,text\nHalt fentanyl flows,1.1,Newer text\n"
    response = upload(client, meeting, text)
    assert outcomes(response) == [(2, "Halt fentanyl flows", "update")]
    assert response.context["plan"].rows[0].changed == ["title", "text"]
    apply(client, meeting, response)
    first.refresh_from_db()
    assert (first.title, first.text, first.version) == ("Halt fentanyl flows", "Newer text", 2)
    assert Commitment.objects.count() == 1


def test_another_meetings_commitment_is_never_touched(client, editor, team, meeting):
    elsewhere = make_commitment(make_meeting(team), title="Elsewhere")
    client.force_login(editor)
    response = upload(client, meeting, f"id,title\n{elsewhere.pk},Hijacked\n")
    assert response.context["plan"].rows[0].errors == [
        ("id", "Not a commitment of this meeting: leave it empty to add one.")
    ]
    elsewhere.refresh_from_db()
    assert elsewhere.title == "Elsewhere"


def test_a_change_meanwhile_is_caught_when_applying(client, editor, meeting):
    commitment = make_commitment(meeting, title="Halt fentanyl", text="Old")
    client.force_login(editor)
    response = upload(client, meeting, "title,text\nHalt fentanyl,From the file\n")
    assert f'name="versions" value="{commitment.pk}:1 "' in response.content.decode()
    commitment.text = "Someone else's"
    commitment.save_versioned(expected=commitment.version)
    applied = apply(client, meeting, response)
    assert applied.status_code == 409
    commitment.refresh_from_db()
    assert commitment.text == "Someone else's"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.csv", "title,text\n".encode("utf-16"), "not UTF-8"),
        ("plan.csv", b"name,words\nA,B\n", "Unknown columns: name, words"),
        ("plan.csv", b"text\nA\n", "no “title” column"),
        ("plan.csv", b"title,text\n", "no commitments"),
        ("plan.pdf", b"%PDF", "Upload a .csv or .xlsx file."),
        ("plan.csv", b"title\n" + b"x" * (3 * 1024 * 1024), "at most 2 MB"),
    ],
)
def test_a_bad_file_gets_a_clear_message(client, editor, meeting, name, content, message):
    client.force_login(editor)
    response = upload(client, meeting, content, name)
    assert response.status_code == 422
    assert message in response.context["form"].errors["file"][0]


def test_an_excel_file_is_read_too(client, editor, meeting):
    sheet = tablib.Dataset(headers=["title", "text", "theme"])
    sheet.append(["Halt fentanyl", "Disrupt shipments", "Drugs"])
    client.force_login(editor)
    response = upload(client, meeting, sheet.export("xlsx"), "plan.xlsx")
    assert outcomes(response) == [(2, "Halt fentanyl", "new")]


def test_only_editors_of_the_meetings_team_import(client, reviewer, outsider, meeting):
    client.force_login(reviewer)
    assert client.get(url(meeting)).status_code == 403
    client.force_login(outsider)
    assert client.get(url(meeting)).status_code == 404
    assert upload(client, meeting, HEADER + "X,,Y,drugs,,\n").status_code == 404


def test_the_import_page_links_from_the_meeting(client, editor, meeting):
    client.force_login(editor)
    assert url(meeting) in client.get(meeting.get_absolute_url()).content.decode()


def test_hostile_content_never_errs(client, editor, meeting):
    client.force_login(editor)
    text = st.one_of(hostile, hostile.map(lambda v: "title,text\n" + v))

    @FUZZ
    @given(text, hostile, hostile)
    def check(content, versions, filename):
        data = {"content": content, "versions": versions, "filename": filename}
        no_server_error(client.post(url(meeting), data))

    check()


# Milestones -----------------------------------------------------------------------------------


def upload_milestones(client, meeting, text: str, name: str = "steps.csv"):
    content = SimpleUploadedFile(name, text.encode("utf-8"))
    return client.post(url(meeting), {"kind": "milestones", "file": content})


def test_milestones_come_in_under_their_commitment_or_body(client, editor, meeting):
    fentanyl = make_commitment(meeting, title="Halt fentanyl", reference="1.1")
    body = make_body(meeting, name="Working group")
    client.force_login(editor)
    text = (
        "title,due_date,owner,commitment,body\n"
        "Report delivered,2026-03-01,SRE,1.1,\n"
        "First sitting,2026-01-15,,,Working group\n"
    )
    response = upload_milestones(client, meeting, text)
    assert outcomes(response) == [(2, "Report delivered", "new"), (3, "First sitting", "new")]
    assert "Apply: save 2 milestones" in response.content.decode()
    assert apply(client, meeting, response).status_code == 302
    report = Milestone.objects.get(title="Report delivered")
    assert (report.commitment, report.owner, str(report.due_date)) == (
        fentanyl,
        "SRE",
        "2026-03-01",
    )
    assert Milestone.objects.get(title="First sitting").body == body
    assert shown(report.history.get().history_change_reason) == "Imported from steps.csv"


def test_an_exported_milestone_list_imports_back_unchanged(client, editor, meeting, commitment):
    Milestone.objects.create(commitment=commitment, title="=Report", due_date="2026-03-01")
    body = make_body(meeting, name="Working group")
    Milestone.objects.create(body=body, title="Sitting", due_date="2026-04-01", owner="SRE")
    client.force_login(editor)
    exported = b"".join(client.get("/milestones/", {"format": "csv"}).streaming_content).decode(
        "utf-8"
    )
    response = upload_milestones(client, meeting, exported, "milestones.csv")
    assert [o for _, _, o in outcomes(response)] == ["unchanged", "unchanged"]


def test_a_milestone_of_the_meeting_itself_is_imported_and_exported_back_unchanged(
    client, editor, meeting, team
):
    """Issue #26, point 4: ``of`` says "meeting" (as the milestones list exports it, with the
    meeting's title); another meeting's title is refused."""
    other = make_meeting(team, title="Another meeting")
    client.force_login(editor)
    text = (
        "title,due_date,of\n"
        "Ratification deadline,2026-03-01,meeting\n"
        f"Review,2026-06-01,meeting: {other.title}\n"
    )
    rows = upload_milestones(client, meeting, text).context["plan"].rows
    assert rows[0].errors == [] and rows[1].errors[0][0] == "of"
    dry_run = upload_milestones(
        client, meeting, "title,due_date,of\nRatification deadline,2026-03-01,meeting\n"
    )
    assert apply(client, meeting, dry_run).status_code == 302
    added = Milestone.objects.get()
    assert (added.meeting, added.commitment, added.body) == (meeting, None, None)
    exported = b"".join(client.get("/milestones/", {"format": "csv"}).streaming_content).decode(
        "utf-8"
    )
    response = upload_milestones(client, meeting, exported, "milestones.csv")
    assert [o for _, _, o in outcomes(response)] == ["unchanged"]


def test_an_import_never_moves_a_milestone_nor_guesses_its_commitment(client, editor, commitment):
    step = Milestone.objects.create(commitment=commitment, title="Report", due_date="2026-03-01")
    client.force_login(editor)
    text = (
        "id,title,due_date,commitment\n"
        f"{step.pk},Report,2026-09-01,\n"
        ",Orphan,2026-03-01,No such commitment\n"
        ",Too early,2020-01-01," + commitment.title + "\n"
    )
    response = upload_milestones(client, commitment.meeting, text)
    rows = response.context["plan"].rows
    assert rows[0].errors[0][0] == "due_date"
    assert "new date on its commitment's page" in rows[0].errors[0][1]
    assert rows[1].errors == [
        (
            "commitment",
            "Name the commitment (its title or reference) or body it is a step of, or "
            "“meeting” for the meeting itself.",
        )
    ]
    assert rows[2].errors[0][0] == "due_date"  # before the meeting that agreed it
    step.refresh_from_db()
    assert str(step.due_date) == "2026-03-01"
    assert Milestone.objects.count() == 1
