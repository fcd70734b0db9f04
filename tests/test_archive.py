"""Records are archived, not deleted: they leave lists and averages, stay reachable by link,
and an admin can restore them."""

from __future__ import annotations

from django.urls import reverse

from agreements.history import history_of
from agreements.models import Commitment, ImplementationStatus, Meeting
from tests.conftest import make_commitment


def commitment_url(commitment) -> str:
    return reverse("agreements:commitment_detail", args=[commitment.pk])


def test_editor_archives_a_commitment_with_a_reason(client, editor, meeting):
    make_commitment(meeting, title="Kept", status=ImplementationStatus.COMPLETE)
    gone = make_commitment(meeting, title="Gone")
    client.force_login(editor)
    response = client.post(commitment_url(gone), {"action": "archive", "reason": "Duplicate"})
    assert response.status_code == 302
    gone.refresh_from_db()
    assert gone.is_archived and gone.archived_by == editor
    listed = [c.title for c in client.get("/commitments/").context["page"].object_list]
    assert listed == ["Kept"]
    assert client.get("/").context["index"] == 100.0  # the archived one left the average
    page = client.get(commitment_url(gone)).content.decode()  # still reachable by link
    assert "Archived" in page and "an admin can restore it" in page
    assert history_of(gone)[0].reason == "Duplicate"


def test_archiving_needs_a_reason(client, editor, commitment):
    client.force_login(editor)
    response = client.post(
        commitment_url(commitment), {"action": "archive", "reason": " "}, follow=True
    )
    assert "Say why: it is kept in the record" in response.content.decode()
    commitment.refresh_from_db()
    assert not commitment.is_archived


def test_an_archived_meeting_takes_its_commitments_out_of_lists(
    client, editor, meeting, commitment
):
    client.force_login(editor)
    client.post(
        reverse("agreements:meeting_detail", args=[meeting.pk]),
        {"form": "archive", "reason": "Recorded twice"},
    )
    assert not client.get("/meetings/").context["page"].object_list
    assert not client.get("/commitments/").context["page"].object_list
    assert client.get("/").context["counting"] == 0
    assert client.get(reverse("agreements:meeting_detail", args=[meeting.pk])).status_code == 200


def test_reviewer_cannot_archive(client, reviewer, commitment):
    client.force_login(reviewer)
    response = client.post(commitment_url(commitment), {"action": "archive", "reason": "x"})
    assert response.status_code == 403
    commitment.refresh_from_db()
    assert not commitment.is_archived


def test_admin_restores_and_cannot_delete(client, admin_user, editor, meeting):
    meeting.archive(by=editor, reason="By mistake")
    client.force_login(admin_user)
    changelist = reverse("admin:agreements_meeting_changelist")
    response = client.post(
        changelist, {"action": "restore_selected", "_selected_action": [meeting.pk]}
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert not meeting.is_archived
    assert history_of(meeting)[0].reason == "Restored in the admin by admin"
    delete = reverse("admin:agreements_meeting_delete", args=[meeting.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_archived_filter_in_the_admin(client, admin_user, editor, meeting, commitment):
    commitment.archive(by=editor, reason="Old")
    make_commitment(meeting, title="Current one")
    client.force_login(admin_user)
    changelist = reverse("admin:agreements_commitment_changelist")
    archived = client.get(changelist, {"archived": "yes"}).context["cl"].result_list
    assert list(archived) == [Commitment.objects.get(pk=commitment.pk)]
