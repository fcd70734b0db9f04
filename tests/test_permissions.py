"""Team scoping: a user outside a record's team cannot see that it exists."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from agreements import models as m
from agreements import permissions
from agreements.models import Participant, Person
from agreements.models.teams import memberships
from tests.conftest import (
    HTMX,
    compiled_sql,
    make_body,
    make_commitment,
    make_meeting,
    make_source,
    make_user,
    meeting_data,
)

SEPT_3 = datetime.date(2025, 9, 3)
NEW = "/meetings/new/"


def scoped_models():
    return [
        model
        for model in apps.get_app_config("agreements").get_models()
        if hasattr(model, "team_lookups")
    ]


def test_every_team_scoped_model_is_covered_here(records):
    assert set(scoped_models()) == set(records)


def test_members_see_their_teams_records(records, editor, reviewer):
    for model, record in records.items():
        for user in (editor, reviewer):
            visible = set(model.objects.visible_to(user))
            assert record in visible, (model, user)
            assert visible == set(model.objects.all()), (model, user)


def test_outsiders_see_none_of_another_teams_records(records, outsider, other_team):
    make_meeting(other_team, title="Their own meeting")
    for model in records:
        visible = model.objects.visible_to(outsider)
        assert not visible.filter(pk=records[model].pk).exists(), model


def test_anonymous_and_inactive_users_see_nothing(records, editor):
    editor.is_active = False
    for model in records:
        assert not model.objects.visible_to(AnonymousUser()).exists()
        assert not model.objects.visible_to(editor).exists()


def test_admins_see_everything(records, admin_user, other_team):
    theirs = make_meeting(other_team)
    ours = {records[m.Meeting], records[m.MeetingLink].other}
    assert set(m.Meeting.objects.visible_to(admin_user)) == ours | {theirs}


def test_milestones_and_claims_are_scoped_through_each_parent(meeting, commitment, outsider):
    body = make_body(meeting)
    m.Milestone.objects.create(commitment=commitment, title="A", due_date=SEPT_3)
    m.Milestone.objects.create(body=body, title="B", due_date=SEPT_3)
    m.Claim.objects.create(text="About meeting", meeting=meeting)
    m.Claim.objects.create(text="About body", body=body)
    assert not m.Milestone.objects.visible_to(outsider).exists()
    assert not m.Claim.objects.visible_to(outsider).exists()


def test_member_of_two_teams_sees_both_without_duplicates(team, other_team, meeting):
    both = make_user("both", team=team)
    m.TeamMembership.objects.create(user=both, team=other_team, role=m.TeamRole.REVIEWER)
    theirs = make_meeting(other_team)
    assert sorted(m.Meeting.objects.visible_to(both), key=lambda x: x.pk) == [meeting, theirs]


def test_editor_may_edit_reviewer_may_only_read(meeting, editor, reviewer):
    assert permissions.get_meeting_for_user(editor, meeting.pk, edit=True) == meeting
    assert permissions.get_meeting_for_user(reviewer, meeting.pk) == meeting
    with pytest.raises(PermissionDenied):
        permissions.get_meeting_for_user(reviewer, meeting.pk, edit=True)


def test_outsider_gets_not_found_not_forbidden(meeting, commitment, outsider):
    for getter, pk in (
        (permissions.get_meeting_for_user, meeting.pk),
        (permissions.get_commitment_for_user, commitment.pk),
    ):
        for edit in (False, True):
            with pytest.raises(Http404):
                getter(outsider, pk, edit=edit)


def test_editor_role_is_per_team(team, other_team, meeting):
    user = make_user("split", team=other_team, role=m.TeamRole.EDITOR)
    m.TeamMembership.objects.create(user=user, team=team, role=m.TeamRole.REVIEWER)
    assert permissions.is_reviewer(user, team)
    assert not permissions.is_editor(user, team)
    assert permissions.is_editor(user, other_team)
    with pytest.raises(PermissionDenied):
        permissions.get_meeting_for_user(user, meeting.pk, edit=True)


def test_a_page_reads_the_users_teams_once_and_names_them_in_the_header(
    client, team, other_team, meeting, commitment
):
    """The header, the lists' team split and each role check (editor here, reviewer there)
    share one read of the user's memberships per request: the dashboard, which asks all of
    them, reads the memberships once, and still tells the roles apart."""
    commitment_page = f"/commitments/commitment-{commitment.pk}/"
    user = make_user("split", team=other_team, role=m.TeamRole.EDITOR)
    m.TeamMembership.objects.create(user=user, team=team, role=m.TeamRole.REVIEWER)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(commitment_page)
    assert len([q for q in queries.captured_queries if "teammembership" in q["sql"]]) == 1
    assert "Europe, North America" in page.content.decode()
    assert not page.context["can_edit"]  # North America's reviewer, Europe's editor
    assert client.get("/").context["reviews"]  # its review queue is on the dashboard
    assert m.team_ids(user, role=m.TeamRole.REVIEWER) == [team.pk]
    assert m.team_ids(user, role=m.TeamRole.EDITOR) == [other_team.pk]


def test_each_users_memberships_are_read_by_sql_made_once(team, other_team, editor, outsider):
    """Every signed-in page reads its user's memberships: the SQL is made once a process and
    run with each user's id, so each user still gets their own teams, in name order, with
    their roles, and a user in no team none."""
    user = make_user("split", team=team, role=m.TeamRole.REVIEWER)
    m.TeamMembership.objects.create(user=user, team=other_team, role=m.TeamRole.EDITOR)
    nobody = make_user("nobody")
    memberships(editor)  # the SQL made with the first user read
    with compiled_sql() as compiled:
        seen = {u.username: memberships(u) for u in (user, outsider, nobody)}
    assert not [sql for sql in compiled if "teammembership" in sql]
    assert seen == {
        "split": {
            other_team.pk: ("Europe", m.TeamRole.EDITOR),
            team.pk: ("North America", m.TeamRole.REVIEWER),
        },
        "outsider": {other_team.pk: ("Europe", m.TeamRole.EDITOR)},
        "nobody": {},
    }
    assert list(seen["split"]) == [other_team.pk, team.pk]  # by the teams' names


def test_a_page_that_names_no_teams_reads_no_memberships(
    admin_client, admin_user, team, commitment
):
    """The header's teams are read when a template shows them (``user_teams``): the admin's
    pages, which never do, read no memberships."""
    m.TeamMembership.objects.create(user=admin_user, team=team, role=m.TeamRole.EDITOR)
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/agreements/commitment/")
    assert page.status_code == 200
    assert not [q for q in queries.captured_queries if "teammembership" in q["sql"]]


def test_visible_teams_are_those_whose_records_the_user_sees(team, other_team, admin_user):
    """What a filter by team offers: a reviewer's teams too, every team for an admin, none for
    an anonymous or deactivated user; editable teams are only those where the user edits."""
    user = make_user("split", team=other_team, role=m.TeamRole.EDITOR)
    m.TeamMembership.objects.create(user=user, team=team, role=m.TeamRole.REVIEWER)
    assert set(permissions.visible_teams(user)) == {team, other_team}
    assert set(permissions.editable_teams(user)) == {other_team}
    assert set(permissions.visible_teams(admin_user)) == set(m.Team.objects.all())
    assert not permissions.visible_teams(AnonymousUser()).exists()
    user.is_active = False
    assert not permissions.visible_teams(user).exists()


def test_malformed_id_is_not_found(editor, meeting):
    with pytest.raises(Http404):
        permissions.get_meeting_for_user(editor, "not-a-number")


def test_getters_exist_for_records_with_pages(commitment, editor):
    body = make_body(commitment.meeting)
    milestone = m.Milestone.objects.create(body=body, title="A", due_date=SEPT_3)
    claim = m.Claim.objects.create(text="x", body=body)
    source = make_source(commitment.meeting.team)
    assert permissions.get_body_for_user(editor, body.pk) == body
    assert permissions.get_milestone_for_user(editor, milestone.pk, edit=True) == milestone
    assert permissions.get_claim_for_user(editor, claim.pk, edit=True) == claim
    assert permissions.get_source_for_user(editor, source.pk) == source


def test_dashboard_shows_only_the_users_teams(client, meeting, outsider, editor, other_team):
    make_commitment(meeting)
    theirs = make_meeting(other_team, title="Brussels talks")
    client.force_login(editor)
    page = client.get("/").content.decode()
    assert meeting.title in page
    assert theirs.title not in page
    client.force_login(outsider)
    page = client.get("/").content.decode()
    assert meeting.title not in page
    assert theirs.title in page


@pytest.fixture
def rubio(team, us):
    return Person.objects.create(team=team, name="Marco Rubio", party=us, current_office="SecState")


def test_outsider_probes_find_nothing_of_another_team(
    client, outsider, team, other_team, meeting, us, mexico, rubio
):
    client.force_login(outsider)
    found = []
    for query in [
        {"_pick": "participants-0-person", "find": "Rubio", "team": team.pk},
        {"_pick": "participants-0-person", "participants-0-person": rubio.pk},
        {"participant_row": "0", "team": team.pk},
        {"_pick": "body-meeting", "find": "Meeting"},
    ]:
        url = "/bodies/" if query.get("_pick") == "body-meeting" else NEW
        found.append(client.get(url, query, **HTMX).content.decode())
    assert not any("Rubio" in text or meeting.title in text for text in found)
    # posting another team's person, or a body at another team's meeting, is refused
    data = meeting_data(
        other_team,
        us,
        mexico,
        [],
        [{"person": rubio.pk, "office": "x", "party": us.pk, "role": "delegate"}],
    )
    assert client.post(NEW, data).status_code == 422
    body = {"body-meeting": meeting.pk, "body-name": "G", "body-lifecycle": "announced"}
    assert client.post("/bodies/", body).status_code == 422
    assert not Participant.objects.exists()


def test_a_meeting_and_a_body_are_read_for_their_pages_by_sql_made_once(
    editor, outsider, admin_user, team, other_team
):
    """A meeting's or a body's page reads it by SQL made once a process for the number of the
    reader's teams: another record of the same team compiles none of it, with what the page
    shows beside it joined (the team), and a record of another team is still a 404."""
    mine, again, theirs = make_meeting(team), make_meeting(team), make_meeting(other_team)
    body, other_body = make_body(mine), make_body(theirs)
    assert permissions.get_meeting_for_user(editor, mine.pk) == mine
    assert permissions.get_body_for_user(editor, body.pk) == body
    with compiled_sql() as compiled, CaptureQueriesContext(connection) as ran:
        read = permissions.get_meeting_for_user(editor, again.pk)
        assert read == again and read.team.name == "North America"
        for get, record in (
            (permissions.get_meeting_for_user, theirs),
            (permissions.get_body_for_user, other_body),
        ):
            with pytest.raises(Http404):
                get(editor, record.pk)
    assert not compiled
    assert len(ran) == 3  # a query each: the team read with the meeting
    assert permissions.get_meeting_for_user(outsider, theirs.pk) == theirs
    assert permissions.get_body_for_user(admin_user, other_body.pk).meeting.team == other_team
    for pk in ("x", "-1", "9" * 30):  # not an id: refused as the ORM refuses it
        with pytest.raises(Http404):
            permissions.get_meeting_for_user(editor, pk)
