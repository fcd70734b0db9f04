"""Readouts side by side (issue #10, point 7): each party's own readout of a meeting, with the
commitments it mentions, so a reader sees what one side reported and the other did not."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from agreements import actions
from agreements.models import Statement, compare_readouts
from tests.conftest import HTMX, make_commitment, make_meeting

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a trigger of PostgreSQL's"
)


def readout(client, meeting, party, text, commitments=()):
    return client.post(
        meeting.get_absolute_url(),
        {
            "action": "add_statement",
            "statement-party": party.pk,
            "statement-kind": "readout",
            "statement-text": text,
            "statement-language": "en",
            "statement-said_on": "2025-09-03",
            "statement-commitments": [c.pk for c in commitments],
        },
        **HTMX,
    )


@pytest.fixture
def three(meeting, us, mexico):
    meeting.parties.add(us, mexico)
    return [
        make_commitment(meeting, title=title, parties=[us, mexico])
        for title in ("Halt fentanyl", "Stop guns", "Curb fuel theft")
    ]


def test_each_partys_readout_side_by_side_with_what_it_reported(
    client, editor, meeting, us, mexico, three
):
    fentanyl, guns, fuel = three
    client.force_login(editor)
    readout(client, meeting, us, "The sides agreed to disrupt fentanyl flows.", [fentanyl, guns])
    response = readout(client, meeting, mexico, "Mexico secured action on weapons.", [guns, fuel])
    html = response.content.decode()
    assert response.status_code == 200
    assert "Readouts side by side" in html  # the statements section answers with the comparison
    comparison = response.context["readouts"]
    assert [party for party, _ in comparison.columns] == [mexico, us]  # the meeting's parties
    rows = {c.title: (marks, [p.code for p in only]) for c, marks, only in comparison.rows}
    # Columns: Mexico, then the United States.
    assert rows == {
        "Halt fentanyl": ([False, True], ["US"]),  # only the US reported it
        "Stop guns": ([True, True], []),  # both did
        "Curb fuel theft": ([True, False], ["MX"]),  # only Mexico did
    }
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Mexico secured action on weapons." in page
    assert '<span class="badge warn">only US</span>' in page


def test_a_party_without_a_readout_is_shown_as_such_and_nothing_is_one_sided(
    client, editor, meeting, us, mexico, three
):
    client.force_login(editor)
    readout(client, meeting, us, "Our readout.", three[:1])
    page = client.get(meeting.get_absolute_url())
    comparison = page.context["readouts"]
    (mexico_column, us_column) = comparison.columns
    assert mexico_column[1] == [] and len(us_column[1]) == 1  # Mexico published none
    assert all(not only for _, _, only in comparison.rows)
    assert all(marks[0] is None for _, marks, _ in comparison.rows)
    assert "No readout recorded." in page.content.decode()


def test_no_comparison_without_a_readout(client, editor, meeting, us, three):
    Statement.objects.create(meeting=meeting, party=us, text="A quotation", said_on="2025-09-03")
    client.force_login(editor)
    page = client.get(meeting.get_absolute_url())
    assert not page.context["readouts"]  # read only when drawn (a lazy value): nothing
    assert "Readouts side by side" not in page.content.decode()


def test_a_readout_says_whose_it_is(client, editor, meeting, three):
    client.force_login(editor)
    response = client.post(
        meeting.get_absolute_url(),
        {
            "action": "add_statement",
            "statement-kind": "readout",
            "statement-text": "Typed readout",
            "statement-language": "en",
            "statement-said_on": "2025-09-03",
        },
        **HTMX,
    )
    assert response.status_code == 422
    form = response.context["forms"]["statement"]
    assert form.errors["party"] == ["A readout is a party's own account: say whose."]
    assert form["text"].value() == "Typed readout"
    assert not Statement.objects.exists()


def test_a_readout_mentions_only_its_own_meetings_commitments(
    client, editor, team, meeting, us, three
):
    elsewhere = make_commitment(make_meeting(team), title="Another meeting's")
    client.force_login(editor)
    response = readout(client, meeting, us, "Readout", [elsewhere])
    assert response.status_code == 422
    assert "commitments" in response.context["forms"]["statement"].errors
    # The action refuses it too, said by field, whoever calls it.
    statement = Statement(meeting=meeting, party=us, kind="readout", text="r", said_on="2025-09-03")
    with pytest.raises(ValidationError) as refused:
        actions.add_statement(statement=statement, commitments=[elsewhere], by=editor)
    assert "commitments" in refused.value.message_dict


@postgres_only
def test_postgresql_refuses_a_mention_of_another_meetings_commitment(team, meeting, us, three):
    statement = Statement.objects.create(meeting=meeting, party=us, text="r", said_on="2025-09-03")
    elsewhere = make_commitment(make_meeting(team))
    with pytest.raises(DatabaseError, match="own meeting"), transaction.atomic():
        statement.commitments.add(elsewhere)


def test_compare_readouts_adds_a_column_for_a_party_not_at_the_table(us, mexico, meeting):
    """A readout by a party not listed among the meeting's (an observer's) still shows."""
    commitment = make_commitment(meeting)
    said = Statement.objects.create(
        meeting=meeting, party=mexico, kind="readout", text="r", said_on="2025-09-03"
    )
    said.commitments.add(commitment)
    comparison = compare_readouts([us], [said], [commitment])
    assert [party for party, _ in comparison.columns] == [us, mexico]
    assert comparison.rows == [(commitment, [None, True], [])]


def test_the_admin_refuses_a_mention_of_another_meetings_commitment(
    admin_client, team, meeting, us
):
    elsewhere = make_commitment(make_meeting(team), title="Another meeting's")
    response = admin_client.post(
        "/admin/agreements/statement/add/",
        {
            "meeting": meeting.pk,
            "party": us.pk,
            "kind": "readout",
            "text": "Readout",
            "language": "en",
            "said_on": "2025-09-03",
            "commitments": [elsewhere.pk],
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["commitments"] == ["Name only commitments of this statement's meeting."]
    assert not Statement.objects.exists()


def test_a_joint_readout_counts_as_each_signatorys_readout(
    client, editor, meeting, us, mexico, three
):
    """Issue #26, point 3: a joint statement attributed to both parties is each one's readout,
    so the side-by-side view does not say the other party published nothing."""
    fentanyl, guns, _fuel = three
    client.force_login(editor)
    response = client.post(
        meeting.get_absolute_url(),
        {
            "action": "add_statement",
            "statement-party": us.pk,
            "statement-joint_parties": [mexico.pk],
            "statement-kind": "readout",
            "statement-text": "Joint statement of the Security Implementation Group.",
            "statement-language": "en",
            "statement-said_on": "2025-09-03",
            "statement-commitments": [fentanyl.pk, guns.pk],
        },
        **HTMX,
    )
    assert response.status_code == 200
    statement = Statement.objects.get(meeting=meeting)
    assert list(statement.joint_parties.all()) == [mexico]
    comparison = response.context["readouts"]
    columns = {party.code: said for party, said in comparison.columns}
    assert columns == {"MX": [statement], "US": [statement]}
    rows = {c.title: marks for c, marks, _only in comparison.rows}
    assert rows["Halt fentanyl"] == [True, True]
    assert rows["Curb fuel theft"] == [False, False]
    assert "jointly with" in response.content.decode()


def test_joint_parties_need_a_first_party(client, editor, meeting, us, mexico):
    client.force_login(editor)
    response = client.post(
        meeting.get_absolute_url(),
        {
            "action": "add_statement",
            "statement-joint_parties": [mexico.pk],
            "statement-kind": "quotation",
            "statement-text": "Words",
            "statement-language": "en",
            "statement-said_on": "2025-09-03",
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert not Statement.objects.filter(meeting=meeting).exists()
