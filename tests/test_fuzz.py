"""Random and hostile input (Hypothesis) to the pages' URL parameters and forms: never a server
error, never a record the invariants forbid.

Values: huge and NUL-laden strings, invalid and inverted dates, huge, negative and non-numeric
ids, unknown choices, and parameters repeated.
"""

from __future__ import annotations

import pytest
from django.db.models import F
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.models import Assessment, Commitment, Meeting

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

hostile = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=5).map(
        lambda t: t + "\x00"
    ),
    st.integers().map(str),
    st.sampled_from(
        [
            str(2**63),
            str(-(2**63) - 1),
            "9" * 40,
            "1" * 4301,  # past the digits Python reads as a number
            "-1",
            "0",
            "1e9",
            "abc",
            "",
            "2025-02-30",
            "0000-00-00",
            "9999-12-31",
            "2025-13-01",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "²",  # a digit to Python's isdigit(), not to int()
            "a\x00b",
            "x" * 60_000,
        ]
    ),
)
values = st.one_of(hostile, st.lists(hostile, min_size=2, max_size=3))  # repeated parameters

LIST_PARAMS = [
    "q",
    "status",
    "theme",
    "party",
    "team",
    "body",
    "overdue",
    "stalled",
    "sort",
    "page",
    "when",
    "format",
]


def no_server_error(response) -> None:
    assert response.status_code < 500, response.status_code


@pytest.mark.parametrize(
    "path",
    [
        "/commitments/",
        "/meetings/",
        "/milestones/",
        "/bodies/",
        "/claims/",
        "/reviews/",
        "/search/",
        "/",
    ],
)
def test_list_parameters_never_cause_a_server_error(client, editor, records, path):
    client.force_login(editor)

    @FUZZ
    @given(st.dictionaries(st.sampled_from([*LIST_PARAMS, "_pick", "find"]), values, max_size=4))
    def check(params):
        no_server_error(client.get(path, params))
        no_server_error(client.get(path, params, HTTP_HX_REQUEST="true"))

    check()


MEETING_FIELDS = [
    "team",
    "title",
    "start_date",
    "end_date",
    "city",
    "venue",
    "parties",
    "outcome_type",
    "summary",
    "version",
    "commitments-TOTAL_FORMS",
    "commitments-INITIAL_FORMS",
    "commitments-0-id",
    "commitments-0-title",
    "commitments-0-theme",
    "commitments-0-status",
    "commitments-0-target_date",
    "commitments-0-version",
    "participants-TOTAL_FORMS",
    "participants-INITIAL_FORMS",
    "participants-0-id",
    "participants-0-person",
    "participants-0-new_person",
    "participants-0-office",
    "participants-0-party",
    "participants-0-role",
    "participants-0-DELETE",
    "new_party_name",
    "new_party_kind",
    "new_party_code",
    "new_party_anyway",
]


def test_the_meeting_form_never_errs_nor_saves_a_meeting_that_ends_before_it_starts(
    client, editor, team, records
):
    client.force_login(editor)
    edit = reverse("agreements:meeting_edit", args=[records[Meeting].pk])

    @FUZZ
    @given(
        st.dictionaries(st.sampled_from(MEETING_FIELDS), values, max_size=8),
        st.sampled_from(["", "add_row", "add_participant", "refresh"]),
    )
    def check(data, redraw):
        data = data | ({redraw: "1"} if redraw else {})
        no_server_error(client.post(reverse("agreements:meeting_create"), data))
        no_server_error(client.post(edit, data))
        assert not Meeting.objects.filter(end_date__lt=F("start_date")).exists()

    check()


ACTIONS = [
    "post_update",
    "submit_draft",
    "assess",
    "toggle_milestone",
    "reschedule_milestone",
    "archive",
    "approve",
]


def test_commitment_actions_never_err_nor_date_an_assessment_ahead(client, reviewer, records):
    client.force_login(reviewer)
    url = records[Commitment].get_absolute_url()
    fields = [
        "update",
        "milestone",
        "version",
        "reason",
        "to_date",
        "narrative",
        "proposed_status",
        "assessment-party",
        "assessment-score",
        "assessment-as_of",
        "assessment-justification",
        "assessment-stage",
        "assessment-sources",
    ]

    @FUZZ
    @given(st.sampled_from(ACTIONS), st.dictionaries(st.sampled_from(fields), values, max_size=6))
    def check(action, data):
        no_server_error(client.post(url, {"action": action} | data))
        assert not Assessment.objects.filter(as_of__gt="2100-01-01").exists()

    check()


PAGE_ACTIONS = {
    "meeting": (
        [
            "add_milestone",
            "add_statement",
            "add_claim",
            "add_source",
            "add_link",
            "add_planned",
            "unlink",
            "add_body",
            "add_event",
            "edit_event",
            "archive_event",
            "archive",
        ],
        [
            "link",
            "link-relation",
            "link-other",
            "body-name",
            "body-commitments",
            "body-lifecycle",
            "event",
            "event-title",
            "event-relation",
            "event-occurred_on",
            "event-fatalities",
            "reason",
            "milestone-commitment",
            "milestone-title",
            "milestone-due_date",
            "statement-speaker",
            "statement-text",
            "statement-said_on",
            "statement-language",
            "statement-sources",
            "statement-kind",
            "statement-party",
            "statement-joint_parties",
            "statement-commitments",
            "planned-title",
            "planned-start_date",
            "planned-parties",
            "claim-text",
            "claim-verification",
            "claim-commitment",
            "claim-sources",
            "source-title",
            "source-url",
            "source-published_on",
            "reason",
            "version",
        ],
    ),
    "body": (
        ["add_member", "set_confirmation", "end_membership"],
        [
            "membership",
            "person",
            "party",
            "role",
            "confirmation",
            "start_date",
            "end_date",
            "version",
        ],
    ),
    "bodies": (
        [""],  # the list's form to record a body
        [
            "body-meeting",
            "body-name",
            "body-mandate",
            "body-lifecycle",
            "body-membership_note",
        ],
    ),
    "claims": (["verify"], ["claim", "verification", "source", "version"]),
    "reviews": (["approve", "return"], ["update", "comment", "version"]),
}


@pytest.mark.parametrize("page", list(PAGE_ACTIONS))
def test_the_other_pages_actions_never_err(client, editor, reviewer, records, page):
    from agreements.models import ImplementationBody

    url = {
        "meeting": records[Meeting].get_absolute_url(),
        "body": records[ImplementationBody].get_absolute_url(),
        "bodies": reverse("agreements:body_list"),
        "claims": reverse("agreements:claim_list"),
        "reviews": reverse("agreements:review_queue"),
    }[page]
    client.force_login(reviewer if page == "reviews" else editor)
    actions, fields = PAGE_ACTIONS[page]

    @FUZZ
    @given(st.sampled_from(actions), st.dictionaries(st.sampled_from(fields), values, max_size=6))
    def check(action, data):
        no_server_error(client.post(url, {"action": action} | data))
        no_server_error(client.post(url, {"action": action} | data, HTTP_HX_REQUEST="true"))

    check()
