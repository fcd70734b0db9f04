"""A record read by SQL made once a process (``models/records_once.py``): the commitment page
(``permissions.get_commitment_page_for_user``) reads each request's record, reader and teams,
never the first request's."""

import pytest
from django.http import Http404

from agreements import permissions
from agreements.models import Follow
from agreements.models.commitment_facts import reader_facts
from tests.conftest import make_commitment, make_meeting, make_user


def test_each_read_is_its_own_record_reader_and_teams(team, other_team, editor, meeting, us):
    """Two commitments, two readers (one following), another team's member and an admin,
    read in turn by the same SQL: each gets what the ORM's own query would give."""
    first = make_commitment(meeting, parties=[us])
    second = make_commitment(meeting, title="Second")
    theirs = make_commitment(make_meeting(other_team), title="Theirs")
    Follow.objects.create(user=editor, commitment=second)
    colleague = make_user("colleague", team=team)
    both = make_user("both", team=team)
    both.team_memberships.create(team=other_team, role="editor")
    admin = make_user("root", is_superuser=True)
    for user, commitment in [
        (editor, first),
        (editor, second),
        (colleague, second),
        (both, theirs),
        (both, first),
        (admin, theirs),
        (admin, second),
    ]:
        read = permissions.get_commitment_page_for_user(user, commitment.pk, reader_facts)
        orm = permissions.get_commitment_for_user(
            user, commitment.pk, annotate=reader_facts(user.pk)
        )
        assert (read.pk, read.title, read.meeting.team.name, read.theme.pk) == (
            orm.pk,
            orm.title,
            orm.meeting.team.name,
            orm.theme.pk,
        )
        assert read.following == (user == editor and commitment == second) == orm.following
        assert read.has_sources == orm.has_sources and read.status_since == orm.status_since


def test_not_seen_is_not_found(editor, other_team, meeting):
    """Another team's commitment, a missing one and one not an id: a 404, as before."""
    theirs = make_commitment(make_meeting(other_team))
    ours = make_commitment(meeting)
    assert permissions.get_commitment_page_for_user(editor, ours.pk, reader_facts) == ours
    for pk in (theirs.pk, theirs.pk + 1000, "x1", 10**30):
        with pytest.raises(Http404):
            permissions.get_commitment_page_for_user(editor, pk, reader_facts)


def test_a_commitment_pages_parties_and_bodies_are_its_own(meeting, us, mexico):
    """Read in turn by the same SQL, each commitment's parties (by name) and bodies."""
    from agreements.views.list_reads import bodies_of, party_roles_of
    from tests.conftest import make_body

    first = make_commitment(meeting, parties=[us, mexico])
    second = make_commitment(meeting, parties=[us])
    body = make_body(meeting)
    body.commitments.add(second)
    assert [(r.party.name, r.commitment_id) for r in party_roles_of(first)] == [
        ("Mexico", first.pk),
        ("United States", first.pk),
    ]
    assert [r.party.code for r in party_roles_of(second)] == ["US"]
    assert bodies_of(first) == [] and bodies_of(second) == [body]


def test_a_commitment_pages_sources_are_its_own_with_their_kept_files(team, editor, meeting):
    """Read in turn by the same SQL, each commitment's sources, flagged when they keep files."""
    from agreements.views.list_reads import sources_of
    from tests.conftest import keep_text_file, make_source

    first, second = make_commitment(meeting), make_commitment(meeting)
    kept, plain = make_source(team), make_source(team)
    keep_text_file(kept, editor)
    first.sources.add(kept, plain)
    second.sources.add(plain)
    assert {(s.pk, s.kept) for s in sources_of(first)} == {(kept.pk, True), (plain.pk, False)}
    assert [(s.pk, s.kept) for s in sources_of(second)] == [(plain.pk, False)]
    assert [s.pk for s in sources_of(first)] == [s.pk for s in first.sources.all()]
