"""A whole meeting entered from the pages by policy staff, never the admin (issue #10, point 8):
the meeting with a party new to the tracker, its participants (one found, one created), a
commitment under a theme a records admin added, then on its page a related meeting, a body, a
context event, a milestone (then rescheduled) and both parties' readouts; every fact is then
read back on the meeting's page, in the lists and in the history."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from agreements.models import Meeting, Party, Person, Theme
from tests.browser.conftest import htmx_settled, sign_in
from tests.conftest import PASSWORD, make_meeting, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pick(page, scope, label: str, typed: str, option: str) -> None:
    """Choose ``option`` in a search-as-you-type picker: type, wait for the match, select it
    (tick it, in a picker of boxes: a plain click keeps the others ticked)."""
    scope.get_by_label(f"{label}: type to find").fill(typed)
    boxes = scope.get_by_role("group", name=label).locator(".picker-choices")
    if boxes.count():
        box = boxes.get_by_role("checkbox", name=option)
        expect(box).to_have_count(1)
        box.click()
        expect(box).to_be_checked()
        htmx_settled(page)
        return
    select = scope.get_by_role("combobox", name=label).or_(scope.get_by_role("listbox", name=label))
    match = select.locator("option", has_text=option)
    expect(match).to_have_count(1)
    value = match.get_attribute("value")
    chosen = select.evaluate("s => [...s.selectedOptions].map(o => o.value).filter(Boolean)")
    select.select_option([*chosen, value] if select.evaluate("s => s.multiple") else value)
    htmx_settled(page)


def add_form(page, title: str):
    """Open the meeting page's add form titled ``title``; the form inside it."""
    details = page.locator("details.add-form", has_text=title)
    details.locator("summary").click()
    form = details.locator("form")
    expect(form).to_be_visible()
    htmx_settled(page)
    return form


def submit(page, form, notice: str) -> None:
    form.get_by_role("button").last.click()
    expect(page.get_by_text(notice).first).to_be_visible()
    htmx_settled(page)


def test_staff_enter_a_whole_meeting_and_read_it_back_everywhere(page, team, us, mexico):
    make_user("staff", team=team)  # policy staff: an editor of the team, no admin
    Theme.objects.create(code="cyber", name="Cyber security")  # added by a records admin
    Person.objects.create(
        team=team, name="Marco Rubio", party=us, current_office="Secretary of State"
    )
    earlier = make_meeting(team, title="High-Level Security Dialogue 2021")
    earlier.parties.set([us, mexico])

    sign_in(page, "staff", PASSWORD)

    # 1. The meeting form: parties, a new party, participants, a commitment.
    page.goto("/meetings/new/")
    htmx_settled(page)
    page.get_by_label("Title:", exact=True).first.fill("North American security framework")
    page.get_by_label("Start date").fill("2026-03-10")
    page.get_by_label("City").fill("Ottawa")
    page.get_by_label("Venue").fill("Global Affairs Canada")
    page.get_by_label("Outcome type").select_option("joint_statement")
    pick(page, page, "Parties", "united", "United States")
    pick(page, page, "Parties", "mex", "Mexico")
    new_party = page.get_by_role("group", name="Add a party not in the tracker")
    new_party.get_by_label("Name").fill("Canada")
    new_party.get_by_label("Short code").fill("CA")

    participants = page.locator("fieldset.participant-row")
    first = participants.nth(0)
    pick(page, first, "Person", "rubio", "Marco Rubio")
    first.get_by_label("Role at the meeting").select_option("head_of_delegation")
    page.get_by_role("button", name="Add participant").click()
    participants.nth(1).wait_for()
    htmx_settled(page)
    second = participants.nth(1)
    second.get_by_label("Or a new person").fill("Juan Ramón de la Fuente")
    second.get_by_label("Office held then").fill("Secretary of Foreign Affairs")
    pick(page, second, "Acting for", "mex", "Mexico")
    second.get_by_label("Role at the meeting").select_option("head_of_delegation")

    row = page.locator("fieldset.commitment-row").nth(0)
    row.get_by_label("Title").fill("Joint cyber action plan")
    row.get_by_label("Theme").select_option("cyber")
    row.get_by_label("Text").fill("Agree an action plan on cyber threats within three months")
    row.get_by_label("United States").select_option("committed")
    row.get_by_label("Mexico").select_option("joint")
    page.get_by_role("button", name="Save meeting").first.click()
    page.get_by_role("heading", name="North American security framework").wait_for()
    meeting = Meeting.objects.get(title="North American security framework")
    commitment = meeting.commitments.get()

    # 2. On its page: a related meeting, a body, a context event, a milestone, two readouts.
    form = add_form(page, "Link a related meeting")
    form.get_by_label("Relation").select_option("follows_up")
    pick(page, form, "Related meeting", "dialogue", "High-Level Security Dialogue 2021")
    submit(page, form, "Link added.")

    form = add_form(page, "Record a body")
    form.get_by_label("Name").fill("Security framework working group")
    form.get_by_label("Mandate").fill("Draft the action plan")
    form.get_by_label("Cadence").fill("Monthly")
    form.get_by_label("Joint cyber action plan").check()
    form.get_by_label("Membership note").fill("Members not published")
    submit(page, form, "Body added.")

    form = add_form(page, "Add a context event")
    form.get_by_label("Title").fill("Ransomware attack on customs systems")
    form.get_by_label("Relation").select_option("background")
    form.get_by_label("Occurred on").fill("2026-03-01")
    form.get_by_label("Location").fill("Laredo")
    form.get_by_label("Actor").select_option(label="Mexico")
    submit(page, form, "Event added.")

    form = add_form(page, "Add a milestone")
    form.get_by_label("Milestone of").select_option(label="Joint cyber action plan")
    form.get_by_label("Title").fill("Action plan delivered")
    form.get_by_label("Due date").fill("2026-06-10")
    submit(page, form, "Milestone added.")

    for party, words, mentions in (
        ("United States", "The parties agreed a joint cyber action plan.", True),
        ("Mexico", "Mexico and its partners reaffirmed sovereignty.", False),
    ):
        form = add_form(page, "Add a statement")
        form.get_by_label("Party").select_option(label=party)
        form.get_by_label("Kind").select_option("readout")
        form.get_by_label("Text").fill(words)
        form.get_by_label("Said on").fill("2026-03-10")
        if mentions:
            form.get_by_label("Joint cyber action plan").check()
        submit(page, form, "Statement added.")

    # 3. A milestone extended, on the commitment's page.
    page.goto(commitment.get_absolute_url())
    moved = page.locator("details.reschedule")
    moved.locator("summary").click()
    expect(moved.locator("form")).to_be_visible()  # fetched when opened
    htmx_settled(page)
    moved.locator("input[name=to_date]").fill("2026-09-10")  # "Name of the new date" too
    moved.get_by_label("Reason").fill("Delayed by the ransomware inquiry")
    moved.get_by_label("Name of the new date").fill("Inquiry report due")
    moved.get_by_role("button").last.click()
    # Shown in full, not folded away: the first date, the move's name, dates, why and who.
    expect(page.get_by_text("First due 10 Jun 2026, moved once:")).to_be_visible()
    expect(page.locator(".moves li")).to_contain_text(
        "Inquiry report due: 10 Jun 2026 → 10 Sep 2026, “Delayed by the ransomware inquiry” staff"
    )

    # 4. Every fact, read back on the meeting's page.
    page.goto(meeting.get_absolute_url())
    main = page.locator("main")
    for fact in (
        "Ottawa",
        "Global Affairs Canada",
        "Canada",
        "Marco Rubio",
        "Secretary of State",
        "Juan Ramón de la Fuente",
        "Secretary of Foreign Affairs",
        "Joint cyber action plan",
        "Cyber security",
        "High-Level Security Dialogue 2021",
        "Security framework working group",
        "Members not published",
        "Ransomware attack on customs systems",
        "Laredo",
        "Readouts side by side",
        "The parties agreed a joint cyber action plan.",
        "Mexico and its partners reaffirmed sovereignty.",
    ):
        expect(main.get_by_text(fact).first).to_be_visible()
    expect(main.locator("tr.differs", has_text="Joint cyber action plan")).to_contain_text(
        "only US"
    )
    assert set(meeting.parties.values_list("code", flat=True)) == {"US", "MX", "CA"}
    assert Party.objects.get(code="CA").name == "Canada"

    # 5. In the lists, and from the other side of the link.
    page.goto("/commitments/?theme=cyber")
    expect(page.get_by_role("link", name="Joint cyber action plan")).to_be_visible()
    page.goto("/bodies/")
    expect(page.get_by_role("link", name="Security framework working group")).to_be_visible()
    page.goto("/meetings/")
    expect(page.get_by_role("link", name="North American security framework")).to_be_visible()
    page.goto(earlier.get_absolute_url())
    expect(page.get_by_text("Followed up by")).to_be_visible()

    # 6. In the history: who entered it.
    page.goto(f"/history/meeting-{meeting.pk}/")
    created = page.locator("ol.timeline > li").last  # newest first: the creation is last
    expect(created).to_contain_text("Created")
    expect(created).to_contain_text("by staff · via web")
    added = page.locator("ol.timeline > li", has_text="Participant added")
    expect(added).to_have_count(2)
    expect(
        added.filter(has_text="Juan Ramón de la Fuente, Secretary of Foreign Affairs")
    ).to_contain_text("by staff")
    page.goto(f"/history/commitment-{commitment.pk}/")
    expect(page.locator("ol.timeline")).to_contain_text("by staff")
    page.goto(f"/history/body-{meeting.bodies.get().pk}/")
    expect(page.locator("ol.timeline")).to_contain_text("by staff")
    milestone = commitment.milestones.get()
    assert (milestone.original_due_date, milestone.due_date) == (
        datetime.date(2026, 6, 10),
        datetime.date(2026, 9, 10),
    )
    assert milestone.reschedules.get().by.username == "staff"
