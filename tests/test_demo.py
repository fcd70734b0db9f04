"""The demo is the reference meeting: each fact of the report is where a user would look."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Model
from django.urls import reverse

from agreements import models as m

User = get_user_model()


@pytest.fixture
def demo(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "staff" in out.getvalue() and "password “demo”" in out.getvalue()
    return m.Meeting.objects.get(title="U.S.–Mexico security meeting")


def sign_in(client, username: str) -> bool:
    """Through the sign-in page, as a person does (and its throttling sees)."""
    response = client.post("/accounts/login/", {"username": username, "password": "demo"})
    return response.status_code == 302


def page(client, username: str, url: str) -> str:
    assert sign_in(client, username)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def admin_page(client, obj: Model) -> str:
    meta = obj._meta
    return page(
        client, "admin", reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )


def test_the_meeting_when_where_and_outcome(client, demo):
    assert demo.start_date == datetime.date(2025, 9, 3)
    assert (demo.city, demo.venue) == ("Mexico City", "National Palace")
    assert demo.outcome_type == m.OutcomeType.REAFFIRMATION
    assert {p.code for p in demo.parties.all()} == {"US", "MX"}
    html = admin_page(client, demo)
    for fact in (
        "National Palace",
        "Mexico City",
        "memorandum of understanding",
        "no treaty was signed",
        "respect each nation",
    ):
        assert fact in html, fact


def test_the_three_officials_with_the_offices_they_held(client, demo):
    offices = {p.person.name: (p.office, p.role, p.party.code) for p in demo.participants.all()}
    assert offices == {
        "Marco Rubio": ("U.S. Secretary of State", "head_of_delegation", "US"),
        "Claudia Sheinbaum": ("President of Mexico", "host", "MX"),
        "Ramón de la Fuente": ("Secretary of Foreign Affairs of Mexico", "delegate", "MX"),
    }
    html = admin_page(client, demo)
    for office in (
        "U.S. Secretary of State",
        "President of Mexico",
        "Secretary of Foreign Affairs",
    ):
        assert office in html


def test_the_five_commitments_with_each_partys_role(client, demo):
    commitments = {c.title: c for c in demo.commitments.all()}
    assert list(commitments) == [
        "Halt fentanyl and other illicit drug flows",
        "Stop firearms moving south",
        "Curb fuel theft",
        "Control migration",
        "Act only from each country's own side of the border",
    ]
    themes = [c.theme_id for c in commitments.values()]
    assert themes == ["drugs", "arms", "fuel_theft", "migration", "sovereignty"]
    arms = commitments["Stop firearms moving south"]
    assert {r.party.code: r.role for r in arms.party_roles.all()} == {
        "US": "committed",
        "MX": "counterpart",
    }
    assert "precursor" in commitments["Halt fentanyl and other illicit drug flows"].text
    sovereignty = commitments["Act only from each country's own side of the border"]
    assert "sovereignty" in sovereignty.text
    assert sovereignty.jurisdiction_note
    assert all(c.status == m.ImplementationStatus.NOT_STARTED for c in commitments.values())
    html = page(client, "staff", "/")  # the dashboard counts them
    assert "over 5 commitments that count" in html


def test_the_implementation_group_without_published_members(client, demo):
    body = demo.bodies.get()
    assert body.name == "High-level implementation group"
    assert body.lifecycle == m.Lifecycle.ANNOUNCED
    assert body.commitments.count() == 5
    assert not body.members.exists()
    html = page(client, "reviewer", reverse("agreements:body_detail", args=[body.pk]))
    assert "High-level implementation group" in html
    assert "No members published" in html
    assert "Meets regularly" in html
    assert "The precise membership, schedule and legal authorities" in html


def test_both_quotations_with_attribution(client, demo):
    rubio = demo.statements.get(speaker__name="Marco Rubio")
    assert rubio.text.startswith("This is a high-level group that will meet and coordinate")
    assert "… are being implemented" in rubio.text
    assert (rubio.speaker_office, rubio.party.code) == ("U.S. Secretary of State", "US")
    fuente = demo.statements.get(speaker__name="Ramón de la Fuente")
    assert "models of cooperation can be built that work, that give results" in fuente.text
    assert fuente.said_on == datetime.date(2025, 9, 3)
    assert "that give results" in admin_page(client, fuente)


def test_the_three_open_questions_are_unconfirmed_claims(client, demo):
    claims = m.Claim.objects.all()
    assert claims.count() == 3
    assert {c.verification for c in claims} == {m.Verification.UNCONFIRMED}
    html = page(client, "staff", reverse("agreements:claim_list"))
    for words in (
        "received warnings before the engagement",
        "membership, schedule and legal authorities",
        "memorandum of understanding would differ",
    ):
        assert words in html


def test_the_context_events(client, demo):
    events = {e.title: e for e in demo.context_events.all()}
    strike = events["U.S. strike on a vessel in the Caribbean"]
    assert (strike.fatalities, strike.relation, strike.actor.code) == (11, "background", "US")
    assert "Tren de Aragua" in strike.description
    assert "55 cartel suspects" in " ".join(events)
    assert "National Guard deployed to Mexico's northern border" in events
    ecuador = events["Rubio visits Ecuador"]
    assert (ecuador.occurred_on, ecuador.relation) == (datetime.date(2025, 9, 4), "follow_up")
    assert "killed 11 people" in admin_page(client, strike)


def test_the_report_is_the_source_of_every_record(demo):
    source = m.Source.objects.get()
    assert source.title == "U.S., Mexico to Deepen Border Security Cooperation"
    assert demo.sources.get() == source
    for queryset in (
        demo.commitments.all(),
        demo.bodies.all(),
        demo.statements.all(),
        m.Claim.objects.all(),
        demo.context_events.all(),
    ):
        assert all(record.sources.get() == source for record in queryset)


def test_demo_logins_and_their_roles(client, demo):
    team = demo.team
    assert User.objects.get(username="admin").is_superuser
    assert m.TeamMembership.objects.get(user__username="staff", team=team).role == "editor"
    assert m.TeamMembership.objects.get(user__username="reviewer", team=team).role == "reviewer"
    assert not m.TeamMembership.objects.filter(user__username="outsider", team=team).exists()
    for username in ("admin", "staff", "reviewer", "outsider"):
        assert sign_in(client, username), username
    assert demo.title in page(client, "staff", "/")
    assert demo.title not in page(client, "outsider", "/")


def counts() -> dict[str, int]:
    models = [
        model
        for model in m.__dict__.values()
        if isinstance(model, type) and issubclass(model, Model) and not model._meta.abstract
    ]
    return {model.__name__: model.objects.count() for model in models} | {
        "User": User.objects.count()
    }


def test_loading_again_duplicates_nothing_and_keeps_changes(demo):
    commitment = demo.commitments.first()
    commitment.lead_agency = "Secretaría de Seguridad"
    commitment.save(update_fields=["lead_agency"])
    before = counts()  # history included: a second run must not write any
    call_command("load_demo", stdout=io.StringIO())
    assert counts() == before
    commitment.refresh_from_db()
    assert commitment.lead_agency == "Secretaría de Seguridad"


def test_migrations_alone_create_no_users(db):
    assert not User.objects.exists()
