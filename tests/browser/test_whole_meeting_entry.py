"""A real meeting entered whole from its report (issue #26, point 15): the US–China economic
and trade talks in Geneva, 10–11 May 2025, and their joint statement of 12 May 2025.

Facts kept to what the joint statement and the public record say: the two delegations (the
United States already in the tracker, China new to it), four participants (one whose role the
report does not state), three commitments (each side suspends 24 points of its additional
tariff for an initial 90 days; a mechanism continues the talks), the mechanism as a body whose
representatives the statement names, its first meeting (London, 9–10 June 2025, where the U.S.
Secretary of Commerce Howard Lutnick and China's Minister of Commerce Wang Wentao joined the two
sides), the 90-day suspension's end (12 August 2025) extended by another 90 days (to 10
November 2025, on 11 August 2025), and the joint statement attributed to both.

The meeting form records the meeting, the new party, the participants, the commitments, the
body and the joint statement in one save; the suspension's end is added on the meeting's page,
as a milestone of the meeting itself (the meeting form holds no milestones), and moved there
with its name; one visit to the body's page adds its own milestone and its members, two of
them new to the tracker, in one submit. Every fact is then read back on the pages."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from agreements.models import BodyMembership, Meeting, Milestone, Participant, Person
from tests.browser.conftest import htmx_settled, sign_in
from tests.browser.test_whole_meeting import add_form, pick, submit
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "U.S.–China economic and trade meeting in Geneva"
COMMITMENTS = (
    # title, the United States' role, China's
    ("Suspend 24 points of the additional tariff on Chinese goods for 90 days", "committed", ""),
    ("Suspend 24 points of the additional tariff on U.S. goods for 90 days", "", "committed"),
    ("Establish a mechanism to continue economic and trade talks", "joint", "joint"),
)
PARTICIPANTS = (
    # name, office, acting for, role at the meeting
    ("Scott Bessent", "Secretary of the Treasury", "United States", "head_of_delegation"),
    ("Jamieson Greer", "United States Trade Representative", "United States", "not_stated"),
    ("He Lifeng", "Vice Premier of the State Council", "new", "head_of_delegation"),
    ("Li Chenggang", "China International Trade Representative", "new", "delegate"),
)
BODY = "U.S.–China economic and trade consultation mechanism"
MEMBERS = (
    # name, new to the tracker, party, role, confirmation, start date
    ("He Lifeng", False, "China", "Chinese side representative", "confirmed", "2025-05-12"),
    ("Howard Lutnick", True, "United States", "U.S. side, London round", "reported", "2025-06-09"),
    ("Wang Wentao", True, "China", "Chinese side, London round", "reported", "2025-06-09"),
)
JOINT = (
    "Each side suspends 24 percentage points of its additional tariff for an initial period "
    "of 90 days, retaining 10 percent, and the two sides establish a mechanism to continue "
    "discussions about economic and trade relations."
)


def test_a_real_meeting_is_entered_in_one_pass_and_read_back(page, editor, us):
    sign_in(page, "editor", PASSWORD)

    # 1. One save of the meeting form: the meeting, China new to the tracker, four
    # participants (Greer's role not stated in the report), three commitments, the mechanism
    # (overseeing them all) and the joint statement, attributed to both parties.
    page.goto("/meetings/new/")
    htmx_settled(page)
    page.get_by_label("Title:", exact=True).first.fill(TITLE)
    page.get_by_label("Start date").fill("2025-05-10")
    page.get_by_label("End date").fill("2025-05-11")
    page.get_by_label("City").fill("Geneva")
    page.get_by_label("Outcome type").select_option("joint_statement")
    pick(page, page, "Parties", "united", "United States")
    new_party = page.get_by_role("group", name="Add a party not in the tracker")
    new_party.get_by_label("Name").fill("China")
    new_party.get_by_label("Short code").fill("CN")
    new_party.get_by_label("Short code").press("Tab")  # the name's change redraws the roles
    rows = page.locator("fieldset.commitment-row")
    expect(rows.nth(0).get_by_label("China (added above)")).to_be_visible()
    htmx_settled(page)

    participants = page.locator("fieldset.participant-row")
    for number, (name, office, party, role) in enumerate(PARTICIPANTS):
        if number:
            page.get_by_role("button", name="Add participant").click()
            participants.nth(number).wait_for()
            htmx_settled(page)
        row = participants.nth(number)
        row.get_by_label("Or a new person").fill(name)
        row.get_by_label("Office held then").fill(office)
        if party == "new":
            row.get_by_role("combobox", name="Acting for").select_option("new")
        else:
            pick(page, row, "Acting for", "united", party)
        row.get_by_label("Role at the meeting").select_option(role)

    for number, (title, us_role, china_role) in enumerate(COMMITMENTS):
        if number:
            page.get_by_role("button", name="Add commitment").click()
            rows.nth(number).wait_for()
            htmx_settled(page)
        row = rows.nth(number)
        row.get_by_label("Title").fill(title)
        row.get_by_label("Theme").select_option("trade")
        if us_role:
            row.get_by_label("United States").select_option(us_role)
        if china_role:
            row.get_by_label("China (added above)").select_option(china_role)
    body = page.locator("fieldset.body-row").first
    body.get_by_label("Name of the body").fill(BODY)
    body.get_by_label("Mandate").fill("Continue discussions about economic and trade relations")
    body.get_by_label("Oversees all the commitments of this meeting").check()
    joint = page.locator("fieldset.statement-row").first
    joint.get_by_label("Kind").select_option("readout")
    joint.get_by_label("Said on").fill("2025-05-12")
    joint.get_by_label("Text").fill(JOINT)
    joint.get_by_label("United States").check()
    joint.get_by_label("China (added above)").check()  # issued jointly
    page.get_by_role("button", name="Save meeting").first.click()
    page.get_by_role("heading", name=TITLE).wait_for()
    meeting = Meeting.objects.get(title=TITLE)

    # 2. On the meeting's page: the suspension's end as a milestone of the meeting itself,
    # then extended by name.
    form = add_form(page, "Add a milestone")
    expect(form.get_by_label("Milestone of")).to_have_value("")  # the meeting itself
    form.get_by_label("Title").fill("Tariff suspension ends")
    form.get_by_label("Due date").fill("2025-08-12")
    submit(page, form, "Milestone added.")
    own = page.locator("#commitments li", has_text="Tariff suspension ends")
    moved = own.locator("details.reschedule")
    moved.locator("summary").click()
    moved.locator("input[name=to_date]").fill("2025-11-10")
    moved.get_by_label("Reason").fill("Suspension extended by another 90 days")
    moved.get_by_label("Name of the new date").fill("Extended suspension ends")
    moved.get_by_label("Moved on").fill("2025-08-11")
    moved.get_by_role("button").last.click()
    expect(page.get_by_text("“Tariff suspension ends” moved to")).to_be_visible()
    htmx_settled(page)

    # 3. One visit to the body's page: its own milestone, its members in one submit (two of
    # them typed as new persons, created on the spot).
    page.get_by_role("link", name=BODY).click()
    page.get_by_role("heading", name=BODY).wait_for()
    form = add_form(page, "Add a milestone")
    form.get_by_label("Title").fill("Second round of talks, London")
    form.get_by_label("Due date").fill("2025-06-09")
    submit(page, form, "Milestone added.")
    members = page.locator("#members details", has_text="Add members")
    members.locator("summary").click()
    rows = members.locator("fieldset.member-row")
    for number, (name, new, party, role, confirmation, start) in enumerate(MEMBERS):
        row = rows.nth(number)
        if new:
            row.get_by_label("Or a new person").fill(name)
        else:
            pick(page, row, "Person", name.split()[-1].lower(), name)
        row.get_by_label("Party:", exact=True).select_option(label=party)
        row.get_by_label("Role:", exact=True).fill(role)
        row.get_by_label("Confirmation").select_option(confirmation)
        row.get_by_label("Start date").fill(start)
    members.get_by_role("button", name="Add members").click()
    expect(page.get_by_text("Added: ")).to_be_visible()
    htmx_settled(page)
    london = page.locator("#milestones li", has_text="Second round of talks, London")
    london.get_by_label("Done on, if not today").fill("2025-06-10")
    london.get_by_role("switch").click()
    expect(page.get_by_text("“Second round of talks, London” done.")).to_be_visible()

    # 4. Every fact, read back: the body's page, drawn anew.
    page.reload()
    main = page.locator("main")
    for fact in (
        f"{TITLE}, 10 May 2025",
        "Continue discussions about economic and trade relations",
        "He Lifeng for China",
        "Howard Lutnick for United States",
        "Wang Wentao for China",
        "Chinese side representative",
        "U.S. side, London round",
        "1 of 3 confirmed.",
        *(title for title, _us, _china in COMMITMENTS),
        "Second round of talks, London",
        "done 10 Jun 2025",
    ):
        # Where it is shown (a closed edit form holds some of it too).
        expect(main.get_by_text(fact).locator("visible=true").first).to_be_visible()

    # The meeting's page.
    page.goto(meeting.get_absolute_url())
    main = page.locator("main")
    for fact in (
        "Geneva",
        "Saturday 10 May 2025 – Sunday 11 May 2025",
        "China",
        "Scott Bessent",
        "Secretary of the Treasury",
        "Jamieson Greer",
        "United States Trade Representative",
        "role not stated",
        "He Lifeng",
        "Vice Premier of the State Council",
        "Li Chenggang",
        "China International Trade Representative",
        *(title for title, _us, _china in COMMITMENTS),
        BODY,
        "Milestones of the meeting itself",
        "First due 12 Aug 2025, moved once:",
        "Readouts side by side",
    ):
        # Where it is shown (a closed edit form holds some of it too).
        expect(main.get_by_text(fact).locator("visible=true").first).to_be_visible()
    expect(main.locator(".moves li", has_text="Extended suspension ends")).to_contain_text(
        "Extended suspension ends: 12 Aug 2025 → 10 Nov 2025, "
        "“Suspension extended by another 90 days”"
    )
    expect(main.locator(".moves li", has_text="Extended suspension ends")).to_contain_text(
        "moved 11 Aug 2025"
    )
    # The joint statement is each party's readout: neither is said to have published none.
    readouts = main.locator("article.readout")
    expect(readouts).to_have_count(2)
    for readout in readouts.all():
        expect(readout).to_contain_text(JOINT)
        expect(readout.get_by_text("No readout recorded.")).to_have_count(0)

    # And as stored.
    assert set(meeting.parties.values_list("code", flat=True)) == {"US", "CN"}
    stored = {
        p.person.name: (p.office, p.party.code, p.role)
        for p in Participant.objects.filter(meeting=meeting).select_related("person", "party")
    }
    assert stored == {
        name: (office, "US" if party != "new" else "CN", role)
        for name, office, party, role in PARTICIPANTS
    }
    roles = {
        c.title: dict(c.party_roles.values_list("party__code", "role"))
        for c in meeting.commitments.all()
    }
    assert roles == {
        title: {code: role for code, role in (("US", us_role), ("CN", china_role)) if role}
        for title, us_role, china_role in COMMITMENTS
    }
    body = meeting.bodies.get()
    assert set(body.commitments.values_list("title", flat=True)) == {
        title for title, _us, _china in COMMITMENTS
    }
    assert set(
        BodyMembership.objects.filter(body=body).values_list(
            "person__name", "party__code", "confirmation"
        )
    ) == {
        ("He Lifeng", "CN", "confirmed"),
        ("Howard Lutnick", "US", "reported"),
        ("Wang Wentao", "CN", "reported"),
    }
    # The two typed as new are persons of the meeting's team now, their party the one they sit
    # for; He Lifeng is the participant recorded with the meeting, not a second record.
    persons = Person.objects.filter(team=meeting.team)
    assert dict(persons.values_list("name", "party__code")) == {
        "Scott Bessent": "US",
        "Jamieson Greer": "US",
        "He Lifeng": "CN",
        "Li Chenggang": "CN",
        "Howard Lutnick": "US",
        "Wang Wentao": "CN",
    }
    suspension = Milestone.objects.get(meeting=meeting)
    assert (suspension.original_due_date, suspension.due_date) == (
        datetime.date(2025, 8, 12),
        datetime.date(2025, 11, 10),
    )
    assert suspension.reschedules.get().name == "Extended suspension ends"
    london = Milestone.objects.get(body=body)
    assert (london.status, london.completed_on) == ("done", datetime.date(2025, 6, 10))
    statement = meeting.statements.get()
    assert (statement.kind, statement.said_on, statement.text) == (
        "readout",
        datetime.date(2025, 5, 12),
        JOINT,
    )
    assert [p.code for p in statement.signatories()] == ["US", "CN"]
