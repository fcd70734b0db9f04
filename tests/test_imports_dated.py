"""Dated facts in a spreadsheet (issue #21, point 5): an export with its days imports back
unchanged; an admin's import sets a status on its day, an editor's proposes it for review; a
day to come or before the meeting is refused by line and column; a milestone is ticked done on
its day. Reading and applying a file is tested in test_imports.py."""

from __future__ import annotations

import csv
import datetime
import io

import tablib
from django.utils import timezone

from agreements import actions
from agreements.models import (
    Commitment,
    Milestone,
    ProgressUpdate,
    ReviewState,
    StatusChange,
)
from agreements.system_texts import shown
from tests.conftest import make_meeting
from tests.test_imports import apply, outcomes, upload, upload_milestones

OCT, NOV = datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)  # the meeting: 3 Sep 2025


def download(client, path: str) -> str:
    return b"".join(client.get(path, {"format": "csv"}).streaming_content).decode("utf-8")


def approved(commitment, editor, reviewer, status, day, **proposed):
    update = actions.submit_update(
        commitment=commitment,
        author=editor,
        narrative=f"Progress of {day}",
        proposed_status=status,
        happened_on=day,
        **proposed,
    )
    return actions.approve_update(update=update, by=reviewer)


def test_an_export_with_dated_facts_imports_back_unchanged(
    client, editor, reviewer, meeting, commitment
):
    approved(commitment, editor, reviewer, 1, OCT)
    approved(commitment, editor, reviewer, None, NOV, proposed_stalled=True)
    done = Milestone.objects.create(commitment=commitment, title="Report", due_date=OCT)
    actions.toggle_milestone(milestone=done, expected=done.version, by=editor, on=OCT)
    moved = Milestone.objects.create(commitment=commitment, title="Audit", due_date=NOV)
    actions.reschedule_milestone(
        milestone=moved, expected=moved.version, to_date=NOV.replace(year=2026),
        reason="Extended", by=editor, moved_on=OCT,
    )  # fmt: skip
    client.force_login(editor)
    exported = download(client, "/commitments/")
    assert "2025-11-01" in exported  # the day its state took effect
    response = upload(client, meeting, exported, "commitments.csv")
    assert [o for _, _, o in outcomes(response)] == ["unchanged"]
    response = upload_milestones(client, meeting, download(client, "/milestones/"))
    assert [o for _, _, o in outcomes(response)] == ["unchanged", "unchanged"]


def test_an_admins_import_sets_the_status_on_its_day_and_history_says_imported(
    client, admin_user, meeting, commitment
):
    client.force_login(admin_user)
    text = f"title,status,stalled,status_since\n{commitment.title},3,no,2025-11-01\n"
    response = upload(client, meeting, text)
    assert outcomes(response) == [(2, commitment.title, "update")]
    assert response.context["plan"].rows[0].changed == ["status"]
    assert "Official status: Complete as of 1 Nov 2025." in response.content.decode()
    assert not StatusChange.objects.exists()  # a dry run
    assert apply(client, meeting, response).status_code == 302
    change = StatusChange.objects.get()
    assert (change.from_status, change.to_status, change.effective_on) == (0, 3, NOV)
    assert (change.changed_by, change.changed_via, shown(change.reason)) == (
        admin_user,
        "import",
        "Imported from plan.csv",
    )
    commitment.refresh_from_db()
    assert commitment.status == 3
    entry = commitment.history.latest()
    assert (entry.history_via, shown(entry.history_change_reason)) == (
        "import",
        "Imported from plan.csv",
    )
    assert commitment.history.count() == 2  # made, then its status: no empty save between
    client.force_login(admin_user)
    html = client.get(commitment.get_absolute_url()).content.decode()
    assert "since 1 Nov 2025" in html


def test_dates_survive_an_export_imported_into_another_meeting(
    client, admin_user, editor, reviewer, team, meeting, commitment
):
    approved(commitment, editor, reviewer, 2, OCT)
    client.force_login(admin_user)
    rows = list(csv.DictReader(io.StringIO(download(client, "/commitments/").lstrip("\ufeff"))))
    sheet = tablib.Dataset(headers=["title", "text", "theme", "status", "status_since"])
    for row in rows:
        sheet.append([row[name] for name in sheet.headers])
    other = make_meeting(team, title="Follow-up", start_date=datetime.date(2025, 9, 10))
    response = upload(client, other, sheet.export("csv"))
    assert apply(client, other, response).status_code == 302
    copied = Commitment.objects.get(meeting=other)
    assert copied.status == 2
    assert copied.status_changes.get().effective_on == OCT
    again = list(csv.DictReader(io.StringIO(download(client, "/commitments/").lstrip("\ufeff"))))
    assert {r["status_since"] for r in again} == {"2025-10-01"}


def test_an_editors_import_proposes_the_status_for_review_on_its_day(
    client, editor, reviewer, meeting, commitment
):
    client.force_login(editor)
    text = f"title,status,status_since\n{commitment.title},Complete,2025-11-01\n"
    response = upload(client, meeting, text)
    assert "Proposes Complete as of 1 Nov 2025, for a reviewer to approve." in (
        response.content.decode()
    )
    assert apply(client, meeting, response).status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == 0  # not until a reviewer approves
    update = ProgressUpdate.objects.get()
    assert (update.author, update.review_state, update.proposed_status, update.happened_on) == (
        editor,
        ReviewState.SUBMITTED,
        3,
        NOV,
    )
    assert update.narrative == "Imported from plan.csv: Complete since 2025-11-01."
    # The same file again proposes nothing more.
    assert [o for _, _, o in outcomes(upload(client, meeting, text))] == ["unchanged"]
    actions.approve_update(update=update, by=reviewer)
    change = StatusChange.objects.get()
    assert (change.to_status, change.effective_on) == (3, NOV)
    assert "Imported from plan.csv" in shown(change.reason)


def test_an_older_status_in_a_file_goes_in_its_place(client, admin_user, meeting, commitment):
    actions.change_commitment_status(
        commitment=commitment, status=2, reason="Newer", by=admin_user, via="admin",
        effective_on=NOV,
    )  # fmt: skip
    client.force_login(admin_user)
    text = f"title,status,status_since\n{commitment.title},1,2025-10-01\n"
    response = upload(client, meeting, text)
    assert outcomes(response) == [(2, commitment.title, "update")]
    apply(client, meeting, response)
    older = StatusChange.objects.get(effective_on=OCT)
    assert (older.from_status, older.to_status) == (0, 1)  # from what stood on its day
    commitment.refresh_from_db()
    assert commitment.status == 2  # the later change stands
    # What stood on a day is not changed again: the file says what the records say.
    assert [o for _, _, o in outcomes(upload(client, meeting, text))] == ["unchanged"]


def test_a_status_without_its_day_takes_effect_today(client, admin_user, meeting, commitment):
    client.force_login(admin_user)
    response = upload(client, meeting, f"title,status\n{commitment.title},1\n")
    apply(client, meeting, response)
    assert StatusChange.objects.get().effective_on == timezone.localdate()


def test_a_status_dated_in_the_future_or_before_the_meeting_is_refused_by_line_and_column(
    client, admin_user, meeting
):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    text = (
        "title,text,theme,status,stalled,status_since\n"
        f"Future,T,drugs,1,,{tomorrow.isoformat()}\n"
        "Too early,T,drugs,1,,2025-09-02\n"
        "Not a day,T,drugs,1,,soon\n"
        "Not a status,T,drugs,Done,maybe,\n"
    )
    client.force_login(admin_user)
    response = upload(client, meeting, text)
    assert response.status_code == 422
    errors = [row.errors for row in response.context["plan"].rows]
    assert errors == [
        [("status_since", "A status change cannot take effect in the future.")],
        [("status_since", "A status change cannot take effect before its meeting (3 Sep 2025).")],
        [("status_since", "Enter a valid date.")],
        [
            (
                "status",
                "No status “Done”. Write one of 0 (Not started), 1 (Minimal), "
                "2 (Intermediate), 3 (Complete).",
            ),
            ("stalled", "Write “yes” or “no”."),
        ],
    ]
    html = response.content.decode()
    assert "A status change cannot take effect in the future." in html
    assert not Commitment.objects.exists()


def test_an_excel_files_date_cells_are_read_as_days(client, admin_user, meeting):
    sheet = tablib.Dataset(
        headers=["title", "text", "theme", "target_date", "status", "status_since"]
    )
    sheet.append(
        [
            "Halt fentanyl",
            "T",
            "drugs",
            datetime.datetime(2026, 6, 30),
            1,
            datetime.datetime(2025, 10, 1),
        ]
    )
    client.force_login(admin_user)
    response = upload(client, meeting, sheet.export("xlsx"), "plan.xlsx")
    assert outcomes(response) == [(2, "Halt fentanyl", "new")]
    apply(client, meeting, response)
    made = Commitment.objects.get()
    assert made.target_date == datetime.date(2026, 6, 30)
    assert made.status_changes.get().effective_on == OCT


def test_a_milestone_row_ticks_it_done_on_its_day(client, editor, meeting, commitment):
    step = Milestone.objects.create(commitment=commitment, title="Report", due_date=NOV)
    client.force_login(editor)
    text = (
        "title,due_date,commitment,completed_on\n"
        f"Report,2025-11-01,{commitment.title},2025-10-15\n"
        f"Briefing,2025-12-01,{commitment.title},2025-12-02\n"
    )
    response = upload_milestones(client, meeting, text)
    assert outcomes(response) == [(2, "Report", "update"), (3, "Briefing", "new")]
    assert apply(client, meeting, response).status_code == 302
    step.refresh_from_db()
    assert (step.status, step.completed_on) == ("done", datetime.date(2025, 10, 15))
    assert shown(step.history.latest().history_change_reason) == "Imported from steps.csv"
    briefing = Milestone.objects.get(title="Briefing")
    assert (briefing.status, briefing.completed_on) == ("done", datetime.date(2025, 12, 2))
    # An empty cell leaves it done: an older file never opens it again.
    text = f"title,due_date,commitment,completed_on\nReport,2025-11-01,{commitment.title},\n"
    assert [o for _, _, o in outcomes(upload_milestones(client, meeting, text))] == ["unchanged"]


def test_a_milestones_day_done_is_checked_as_the_checklist_checks_it(
    client, editor, meeting, commitment
):
    missed = Milestone.objects.create(
        commitment=commitment, title="Missed", due_date=OCT, status="missed"
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    text = (
        "id,title,due_date,commitment,completed_on\n"
        f"{missed.pk},Missed,2025-10-01,{commitment.title},2025-10-02\n"
        f",Later,2025-10-01,{commitment.title},{tomorrow.isoformat()}\n"
        f",Early,2025-10-01,{commitment.title},2025-01-01\n"
    )
    client.force_login(editor)
    response = upload_milestones(client, meeting, text)
    assert response.status_code == 422
    assert [row.errors for row in response.context["plan"].rows] == [
        [("completed_on", "“Missed” is missed: it cannot be ticked.")],
        [("completed_on", "It cannot be dated in the future.")],
        [("completed_on", "It cannot be dated before its meeting (3 Sep 2025).")],
    ]
    assert Milestone.objects.count() == 1
