"""Recording a meeting in a real browser: commitment rows added in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agreements.models import (
    BodyMembership,
    Claim,
    ContextEvent,
    Meeting,
    Milestone,
    Participant,
    Person,
    Statement,
)
from tests.browser.conftest import axe_violations, htmx_settled, open_every_disclosure, sign_in
from tests.conftest import (
    PASSWORD,
    make_body,
    make_commitment,
    make_meeting,
    make_source,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_recording_a_meeting_with_rows_added_in_place(page, editor, us, mexico):
    sign_in(page, "editor", PASSWORD)
    page.goto("/meetings/new/")
    page.evaluate("window.__marker = 1")
    page.get_by_label("Title:", exact=True).first.fill("Border security talks")
    page.get_by_label("Start date").fill("2025-09-03")
    page.get_by_label("Outcome type").select_option("reaffirmation")
    rows = page.locator("fieldset.commitment-row")
    # The parties are picked by search; choosing them redraws the rows with a role for each.
    htmx_settled(page)
    parties = page.get_by_role("group", name="Parties")
    for typed, name in (("mex", "Mexico"), ("united", "United States")):
        page.get_by_label("Parties: type to find").fill(typed)
        box = parties.get_by_role("checkbox", name=name)
        expect(box).to_have_count(1)
        box.click()  # a plain click: the parties ticked before stay ticked
        expect(rows.nth(0).get_by_label(name)).to_be_visible()
        htmx_settled(page)
    expect(parties.get_by_role("checkbox", name="Mexico")).to_be_checked()

    rows.nth(0).get_by_label("Title").fill("Halt fentanyl")
    rows.nth(0).get_by_label("Theme").select_option("drugs")
    rows.nth(0).get_by_label("Text").fill("Disrupt shipments of fentanyl")
    rows.nth(0).get_by_label("Mexico").select_option("committed")

    page.get_by_role("button", name="Add commitment").click()
    rows.nth(1).wait_for()
    assert page.evaluate("window.__marker") == 1  # no full page load
    second = rows.nth(1)
    expect(second.get_by_label("Title")).to_be_focused()  # htmx honours autofocus after settling
    second.get_by_label("Title").fill("Stop guns")
    second.get_by_label("Theme").select_option("arms")
    second.get_by_label("Text").fill("Stop firearms moving south")
    second.get_by_label("United States").select_option("committed")
    expect(page.locator("#id_commitments-TOTAL_FORMS")).to_have_value("2")

    page.get_by_role("button", name="Add commitment").click()  # a third row, left empty
    rows.nth(2).wait_for()
    page.get_by_role("button", name="Save meeting").first.click()
    page.get_by_role("heading", name="Border security talks").wait_for()
    assert page.get_by_text("Meeting “Border security talks” saved.").is_visible()
    assert page.get_by_role("link", name="Halt fentanyl").is_visible()
    assert page.get_by_role("link", name="Stop guns").is_visible()
    meeting = Meeting.objects.get()
    assert meeting.commitments.count() == 2


def test_adding_a_participant_row_in_place_and_finding_a_person(page, editor, team, us, mexico):
    rubio = Person.objects.create(
        team=team, name="Marco Rubio", party=us, current_office="Secretary of State"
    )
    meeting = make_meeting(team, title="Border security talks")
    meeting.parties.set([us, mexico])
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/meetings/meeting-{meeting.pk}/edit/")
    page.evaluate("window.__marker = 1")
    rows = page.locator("fieldset.participant-row")
    first = rows.nth(0)
    htmx_settled(page)
    first.get_by_label("Person: type to find").fill("rubio")
    person = first.get_by_role("combobox", name="Person")
    expect(person.locator("option", has_text="Marco Rubio")).to_have_count(1)
    person.select_option(label="Marco Rubio")
    first.get_by_label("Role at the meeting").select_option("delegate")

    page.get_by_role("button", name="Add participant").click()
    rows.nth(1).wait_for()
    htmx_settled(page)
    assert page.evaluate("window.__marker") == 1  # no full page load
    expect(page.locator("#id_participants-TOTAL_FORMS")).to_have_value("2")
    second = rows.nth(1)
    second.get_by_label("Or a new person").fill("Claudia Sheinbaum")
    second.get_by_label("Office held then").fill("President of Mexico")
    second.get_by_label("Acting for: type to find").fill("mex")
    acting = second.get_by_role("combobox", name="Acting for")
    expect(acting.locator("option", has_text="Mexico")).to_have_count(1)
    acting.select_option(label="Mexico")
    second.get_by_label("Role at the meeting").select_option("host")
    page.get_by_role("button", name="Save meeting").first.click()
    page.get_by_role("heading", name="Border security talks").wait_for()
    seen = {
        (p.person.name, p.office, p.party.code, p.role)
        for p in Participant.objects.select_related("person", "party")
    }
    assert seen == {
        ("Marco Rubio", "Secretary of State", "US", "delegate"),
        ("Claudia Sheinbaum", "President of Mexico", "MX", "host"),
    }
    assert Person.objects.get(name="Claudia Sheinbaum").team == team
    assert rubio.participations.get().meeting == meeting


def meeting_with_every_kind_of_child(team, us, mexico) -> Meeting:
    """A meeting holding one of everything its page shows."""
    meeting = make_meeting(
        team,
        title="U.S.–Mexico security meeting",
        city="Mexico City",
        venue="National Palace",
        outcome_type="reaffirmation",
        outcome_note="MOU discussed, not signed",
        summary="Both sides agreed to intensify cooperation.",
        context_notes="Amid regional tension.",
    )
    meeting.parties.set([us, mexico])
    rubio = Person.objects.create(team=team, name="Marco Rubio", party=us)
    Participant.objects.create(
        meeting=meeting, person=rubio, party=us, office="Secretary of State", role="delegate"
    )
    commitment = make_commitment(meeting, title="Halt fentanyl", parties=[us, mexico], status=1)
    Milestone.objects.create(commitment=commitment, title="Report", due_date=meeting.start_date)
    make_commitment(meeting, title="Stop guns", is_stalled=True)
    body = make_body(meeting, name="High-level implementation group")
    BodyMembership.objects.create(body=body, person=rubio, party=us, confirmation="reported")
    make_body(meeting, name="Working group")  # no published membership
    source = make_source(team, title="Wire report", published_on=meeting.start_date)
    meeting.sources.add(source)
    Statement.objects.create(
        meeting=meeting,
        speaker=rubio,
        speaker_office="Secretary of State",
        party=us,
        text="A high-level group",
        said_on=meeting.start_date,
    )
    Claim.objects.create(meeting=meeting, text="Membership not published")
    Claim.objects.create(body=body, text="The group met", verification="verified").sources.add(
        source
    )
    ContextEvent.objects.create(
        meeting=meeting, title="Strike", relation="background", fatalities=11
    )
    ContextEvent.objects.create(
        meeting=meeting, title="Ecuador visit", relation="follow_up", timing_note="the next day"
    )
    return meeting


def test_meeting_pages_have_no_accessibility_violations(page, editor, team, us, mexico):
    meeting = meeting_with_every_kind_of_child(team, us, mexico)
    sign_in(page, "editor", PASSWORD)
    for path in (
        "/meetings/",
        f"/meetings/meeting-{meeting.pk}/",
        f"/meetings/meeting-{meeting.pk}/edit/",
    ):
        page.goto(path)
        open_every_disclosure(page)
        assert axe_violations(page) == "", path
    page.goto("/meetings/new/")
    page.get_by_role("button", name="Add commitment").click()
    page.locator("fieldset.commitment-row").nth(1).wait_for()
    page.get_by_role("button", name="Add participant").click()
    page.locator("fieldset.participant-row").nth(1).wait_for()
    assert axe_violations(page) == "", "the form with added rows"
    page.get_by_label("Name:", exact=True).fill("Mexico City")
    page.get_by_label("Short code").fill("CDMX")
    page.get_by_role("button", name="Save meeting").first.click()
    expect(page.get_by_text("Please correct the fields marked below")).to_be_visible()
    assert axe_violations(page) == "", "the form with errors"


def test_adding_a_claim_swaps_its_section_in_place(page, editor, team, us, mexico):
    meeting = meeting_with_every_kind_of_child(team, us, mexico)
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/meetings/meeting-{meeting.pk}/")
    page.evaluate("window.__marker = 1")
    claims = page.locator("#claims")
    claims.locator("summary", has_text="Add a claim").click()
    claims.get_by_label("Text").fill("The schedule has not been published")
    claims.get_by_label("Verification").select_option("verified")
    claims.get_by_role("button", name="Add a claim").click()
    # Refused in place: the message next to the field, the typed text kept.
    expect(page.locator("#claims").get_by_text("needs at least one source")).to_be_visible()
    expect(page.locator("#claims").get_by_label("Text")).to_have_value(
        "The schedule has not been published"
    )
    # Sources grow with the data: typed into the picker, then chosen among its matches.
    htmx_settled(page)
    page.locator("#claims").get_by_label("Sources: type to find").fill("wire")
    sources = page.locator("#claims").get_by_role("listbox", name="Sources")
    expect(sources.locator("option", has_text="Wire report")).to_have_count(1)
    sources.select_option(label="Wire report — Wire, 3 Sep 2025")  # its publisher and date
    page.locator("#claims").get_by_role("button", name="Add a claim").click()
    expect(page.locator("#claims").get_by_text("Claim added.")).to_be_visible()
    expect(
        page.locator("#claims li", has_text="The schedule has not been published")
    ).to_be_visible()
    assert page.evaluate("window.__marker") == 1  # no full page load


def test_a_claim_is_verified_from_the_claims_page_in_place(page, editor, team, us, mexico):
    meeting = meeting_with_every_kind_of_child(team, us, mexico)
    claim = Claim.objects.create(text="A second round is planned for October", meeting=meeting)
    sign_in(page, "editor", PASSWORD)
    page.goto("/claims/")
    page.evaluate("window.__marker = 1")
    row = page.locator(f"#claim-{claim.pk}")
    # The row's form is fetched when opened; focus stays on what was pressed.
    row.get_by_text("Update verification").click()
    row.get_by_label("New state").select_option("verified")
    htmx_settled(page)
    row.get_by_role("button", name="Update").click()
    expect(row.get_by_text("needs at least one source")).to_be_visible()
    htmx_settled(page)
    row.get_by_label("Source: type to find").fill("wire")
    source = row.locator("select[name=source]")
    expect(source.locator("option", has_text="Wire report")).to_have_count(1)
    source.select_option(label="Wire report — Wire, 3 Sep 2025")  # its publisher and date
    row.get_by_role("button", name="Update").click()
    expect(page.get_by_text("Claim marked verified.")).to_be_visible()
    assert Claim.objects.get(pk=claim.pk).verification == "verified"
    assert page.evaluate("window.__marker") == 1  # no full page load


def test_a_form_fetched_on_opening_hears_what_is_typed_the_moment_it_appears(
    page, editor, team, us, mexico
):
    """htmx makes what it fetches live as it shows it (no settle delay, base.html): text typed
    into a fetched form's picker at once still finds its matches instead of going unheard."""
    meeting = meeting_with_every_kind_of_child(team, us, mexico)
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/meetings/meeting-{meeting.pk}/")
    claims = page.locator("#claims")
    # Types into the picker in the same turn of the page as the form is inserted.
    claims.evaluate(
        """section => new MutationObserver((_, observer) => {
            const find = section.querySelector(".picker-find");
            if (!find) return;
            observer.disconnect();
            find.value = "wire";
            find.dispatchEvent(new Event("input", {bubbles: true}));
        }).observe(section, {childList: true, subtree: true})"""
    )
    claims.locator("summary", has_text="Add a claim").click()
    sources = claims.get_by_role("listbox", name="Sources")
    expect(sources.locator("option", has_text="Wire report")).to_have_count(1)


def test_a_new_party_is_used_at_once_by_a_participant_and_a_commitment_in_one_save(
    page, editor, us, mexico
):
    """Issue #26, points 1, 2 and 9: the party typed on the form is offered at once to the
    participant rows and the commitment rows' roles, and one save records the meeting whole,
    a participant's role left "not stated"; required fields are marked before any submit."""
    sign_in(page, "editor", PASSWORD)
    page.goto("/meetings/new/")
    htmx_settled(page)
    expect(page.get_by_text("Fields marked * are required.")).to_be_visible()
    title = page.get_by_label("Title:", exact=True).first
    expect(title).to_have_attribute("aria-required", "true")
    star = page.locator("label[for=id_title]").evaluate(
        "l => getComputedStyle(l, '::after').content"
    )
    assert "*" in star  # the visible mark, before the first submit

    title.fill("North American security talks")
    page.get_by_label("Start date").fill("2026-03-10")
    page.get_by_label("City").fill("Ottawa")
    page.get_by_label("Outcome type").select_option("joint_statement")
    parties = page.get_by_role("group", name="Parties")
    page.get_by_label("Parties: type to find").fill("united")
    parties.get_by_role("checkbox", name="United States").click()
    htmx_settled(page)

    new_party = page.get_by_role("group", name="Add a party not in the tracker")
    new_party.get_by_label("Name").fill("Canada")
    new_party.get_by_label("Short code").fill("CA")
    new_party.get_by_label("Short code").press("Tab")  # the name's change redraws the roles
    row = page.locator("fieldset.commitment-row").nth(0)
    expect(row.get_by_label("Canada (added above)")).to_be_visible()
    htmx_settled(page)

    participant = page.locator("fieldset.participant-row").nth(0)
    participant.get_by_label("Or a new person").fill("Mélanie Joly")
    participant.get_by_label("Office held then").fill("Minister of Foreign Affairs")
    participant.get_by_role("combobox", name="Acting for").select_option("new")
    role = participant.get_by_label("Role at the meeting")
    expect(role).to_have_value("not_stated")

    row.get_by_label("Title").fill("Joint cyber action plan")
    row.get_by_label("Theme").select_option("drugs")  # the text is left empty: the title says it
    row.get_by_label("United States").select_option("committed")
    row.get_by_label("Canada (added above)").select_option("joint")
    assert axe_violations(page) == ""  # the form, with its marks and its ticked boxes
    page.get_by_role("button", name="Save meeting").first.click()
    page.get_by_role("heading", name="North American security talks").wait_for()

    meeting = Meeting.objects.get(title="North American security talks")
    assert set(meeting.parties.values_list("code", flat=True)) == {"US", "CA"}
    joly = Participant.objects.select_related("person", "party").get(meeting=meeting)
    assert (joly.person.name, joly.party.code, joly.role) == ("Mélanie Joly", "CA", "not_stated")
    roles = meeting.commitments.get().party_roles.values_list("party__code", "role")
    assert set(roles) == {("US", "committed"), ("CA", "joint")}
    main = page.locator("main")
    expect(main.get_by_text("Mélanie Joly")).to_be_visible()
    expect(main.get_by_text("role not stated").first).to_be_visible()
    assert axe_violations(page) == ""
