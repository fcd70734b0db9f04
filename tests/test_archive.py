"""Records are archived, not deleted: they leave lists and averages, stay reachable by link,
and an admin can restore them."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from agreements import actions
from agreements.history import history_of
from agreements.models import Commitment, ImplementationStatus, Meeting, Versioned
from agreements.views import PAGE_ACTIONS
from tests.conftest import make_commitment
from tests.test_permission_matrix import MATRIX


def commitment_url(commitment) -> str:
    return reverse("agreements:commitment_detail", args=[commitment.pk])


def test_a_long_reason_is_kept_whole(client, editor, meeting):
    """A reason is a paragraph at times: history keeps all of it (not simple_history's
    100 characters, which PostgreSQL refused with a server error)."""
    gone = make_commitment(meeting, title="Gone")
    reason = "Recorded twice: the second copy came from the embassy's cable of 4 September. " * 4
    client.force_login(editor)
    response = client.post(commitment_url(gone), {"action": "archive", "reason": reason})
    assert response.status_code == 302
    assert history_of(gone)[0].reason == reason.strip()


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
        {"action": "archive", "reason": "Recorded twice"},
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


def test_archiving_twice_keeps_the_first_archiving(client, editor, admin_user, meeting):
    actions.archive_record(record=meeting, by=admin_user, reason="Duplicate")
    first = (meeting.archived_at, meeting.archived_by)
    client.force_login(editor)
    response = client.post(
        reverse("agreements:meeting_detail", args=[meeting.pk]),
        {"action": "archive", "reason": "Again"},
    )
    assert response.status_code == 409
    assert "is already archived" in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.archived_at, meeting.archived_by) == first


def snapshot() -> dict:
    """Every row count and version of the tracker's tables: what a refused write leaves as is."""
    counts = {model.__name__: model.objects.count() for model in apps.get_models()}
    versions = {
        model.__name__: sorted(model.objects.values_list("pk", "version"))
        for model in apps.get_app_config("agreements").get_models()
        if issubclass(model, Versioned)
    }
    return counts | versions


@pytest.mark.parametrize(
    ("name", "action"),
    [(name, action) for name, registry in PAGE_ACTIONS.items() for action in registry],
)
def test_every_action_on_a_record_of_an_archived_meeting_is_refused(
    client, world, admin_user, reviewer, name, action
):
    actions.archive_record(record=world["meeting"], by=admin_user, reason="Recorded twice")
    writer = reviewer if PAGE_ACTIONS[name][action].permission == "review" else admin_user
    client.force_login(writer)
    row = MATRIX[name]
    before = snapshot()
    response = client.post(
        reverse(f"agreements:{name}", kwargs=row.kwargs(world)),
        {"action": action, **row.posts[action](world)},
    )
    assert response.status_code in (404, 409, 422)
    assert snapshot() == before


def test_archived_records_show_no_forms(client, world, admin_user, editor, reviewer):
    actions.archive_record(record=world["meeting"], by=admin_user, reason="Recorded twice")
    for user in (editor, reviewer, admin_user):
        client.force_login(user)
        for record in ("meeting", "commitment", "body"):
            html = client.get(world[record].get_absolute_url()).content.decode()
            assert 'name="action"' not in html, (user, record)


def test_the_admin_cannot_change_an_archived_record_or_what_it_holds(
    admin_client, admin_user, meeting, commitment
):
    actions.archive_record(record=meeting, by=admin_user, reason="Recorded twice")
    for record in (meeting, commitment):
        url = reverse(f"admin:agreements_{record._meta.model_name}_change", args=[record.pk])
        assert admin_client.post(url, {"title": "Renamed"}).status_code == 403
    meeting.refresh_from_db()
    commitment.refresh_from_db()
    assert "Renamed" not in (meeting.title, commitment.title)
