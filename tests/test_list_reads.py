"""The lists' queries whose SQL is made once a process (``views/list_reads.py``): each
request's values in their places, never the first request's."""

from agreements.forms import CommitmentFilterForm
from agreements.models import Commitment
from agreements.views.commitment_rows import party_roles
from tests.conftest import make_commitment, make_party


def test_party_roles_are_each_pages_own(meeting, us, mexico):
    """Two pages of as many rows read by the same SQL: each gets its own rows' parties."""
    canada = make_party("CA", name="Canada")
    first = [make_commitment(meeting, parties=[us]).pk, make_commitment(meeting, parties=[]).pk]
    second = [make_commitment(meeting, parties=[canada, mexico]).pk, first[0]]
    assert party_roles(first) == {first[0]: [("United States", "US", "joint")]}
    assert party_roles(second) == {
        second[0]: [("Canada", "CA", "joint"), ("Mexico", "MX", "joint")],
        first[0]: [("United States", "US", "joint")],
    }
    assert party_roles([]) == {}
    assert party_roles([second[0]]) == {second[0]: party_roles(second)[second[0]]}


def test_reference_labels_read_after_a_change(editor, us, mexico):
    """The themes' and parties' options, read by SQL made once, show a party added since."""
    form = CommitmentFilterForm(user=editor)
    assert form.reference("party", "theme") == {mexico.pk: "Mexico", us.pk: "United States"}
    assert form.reference("theme")["drugs"]
    canada = make_party("CA", name="Canada")
    again = CommitmentFilterForm(user=editor)
    assert list(again.reference("party", "theme")) == [canada.pk, mexico.pk, us.pk]
    assert again.reference("theme") == form.reference("theme")


def test_meeting_figures_and_parties_are_each_pages_own(team, us, mexico):
    """The meeting list's figures and parties, by SQL made once: each page's own."""
    from agreements.models import ImplementationStatus
    from agreements.views.list_reads import meeting_figures, meeting_parties
    from tests.conftest import make_meeting

    first, second, third = make_meeting(team), make_meeting(team), make_meeting(team)
    first.parties.set([us])
    second.parties.set([us, mexico])
    make_commitment(first, status=ImplementationStatus.COMPLETE)
    make_commitment(first, status=ImplementationStatus.NOT_STARTED, cancellation="")
    make_commitment(third)
    assert meeting_parties([first.pk, third.pk]) == {first.pk: [("United States", "US")]}
    assert meeting_parties([second.pk, first.pk]) == {
        second.pk: [("Mexico", "MX"), ("United States", "US")],
        first.pk: [("United States", "US")],
    }
    assert meeting_figures([first.pk, second.pk]) == {first.pk: (2, 1.5)}
    third_only = Commitment.objects.filter(meeting=third).totals_by_meeting()
    assert meeting_figures([third.pk, second.pk]) == third_only
    assert meeting_figures([]) == {} and meeting_parties([]) == {}


def test_a_past_days_rows_are_each_days_own(client, meeting, editor):
    """The commitment list's rows on a past day (``annotated_page(made=..., values=...)``),
    by SQL made once with the day a parameter: each row's state that day, as
    ``agreed_by(day)`` reads it, and a later day's page compiles none of their SQL."""
    import datetime

    from agreements import actions
    from tests.conftest import compiled_sql

    made = [make_commitment(meeting, title=f"Row {n}") for n in range(4)]
    for n, commitment in enumerate(made):
        actions.change_commitment_status(
            commitment=commitment, status=n % 4, is_stalled=n == 2, reason="Moved",
            by=editor, via="web", effective_on=datetime.date(2025, 10, 1 + n),
        )  # fmt: skip
    client.force_login(editor)
    state = ("pk", "status_then", "stalled_then", "cancellation_then")
    seen = set()
    for n, day in enumerate(("2025-09-20", "2025-10-02", "2025-10-05")):
        with compiled_sql() as compiled:
            page = client.get("/commitments/", {"as_of": day, "sort": "title"}).context["page"]
        # Each row's values (``Listed``), the state in its place that day's.
        shown = [(r.pk, r.status, r.is_stalled, r.cancellation) for r in page.object_list]
        ids = [c.pk for c in made]
        then = Commitment.objects.filter(pk__in=ids).agreed_by(datetime.date.fromisoformat(day))
        assert shown == list(then.order_by("title").values_list(*state)), day
        seen.add(tuple(shown))
        if n:  # the first day's request made it
            assert not [sql for sql in compiled if '"status_then"' in sql], day
    assert len(seen) == 3
