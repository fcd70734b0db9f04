"""Per-party compliance: a reviewer's assessment of a party on the commitment page, justified,
dated between its meeting and today; the page shows each party's latest."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agreements.models import Assessment
from tests.conftest import HTMX


def assess(party, *, score: str, justification: str, stage: str = "interim") -> dict:
    """The POST body of the commitment page's "assess" action."""
    fields = {"party": party.pk, "score": score, "justification": justification}
    fields |= {"as_of": "2025-12-01", "stage": stage}
    return {"action": "assess"} | {f"assessment-{k}": v for k, v in fields.items()}


def test_reviewer_assesses_a_party_on_the_commitment_page(client, reviewer, commitment, us, mexico):
    url = reverse("agreements:commitment_detail", args=[commitment.pk])
    client.force_login(reviewer)
    response = client.post(
        url,
        assess(us, score="0", justification="Task force set up, no results yet", stage="interim"),
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="compliance"')
    assert "0 partial compliance or work in progress" in html
    assert "Not assessed" in html  # Mexico has none yet
    assessment = Assessment.objects.get()
    assert (assessment.party, assessment.assessed_by) == (us, reviewer)


def test_assessment_needs_a_justification(client, reviewer, commitment, us):
    client.force_login(reviewer)
    response = client.post(
        reverse("agreements:commitment_detail", args=[commitment.pk]),
        assess(us, score="-1", justification="", stage="final"),
        **HTMX,
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Assessment.objects.exists()


def test_the_assessment_form_opens_in_place_and_keeps_what_was_typed(
    client, reviewer, commitment, us
):
    url = reverse("agreements:commitment_detail", args=[commitment.pk])
    client.force_login(reviewer)
    page = client.get(url).content.decode()
    assert 'name="assessment-justification"' not in page  # closed and empty
    assert f'hx-get="{url}?add=assess"' in page
    assert 'href="?add=assess#add-form-assess"' in page
    opened = client.get(url, {"add": "assess"}, **HTMX).content.decode()
    assert opened.lstrip().startswith("<form")
    assert 'name="assessment-justification"' in opened and 'hx-target="#compliance"' in opened
    page = client.get(url, {"add": "assess"}).content.decode()  # without JavaScript
    assert '<details id="add-form-assess" class="card add-form" open>' in page
    assert 'name="assessment-justification"' in page
    refused = client.post(
        url, assess(us, score="9", justification="Seen in the field", stage="final"), **HTMX
    )
    html = refused.content.decode()
    assert refused.status_code == 422
    assert html.lstrip().startswith('<section id="compliance"')
    assert 'id="assessment-score_error"' in html or "Select a valid choice" in html
    assert "Seen in the field" in html  # what was typed stays, the form open
    assert '<details id="add-form-assess" class="card add-form" open>' in html


def test_an_editor_does_not_open_the_assessment_form(client, editor, commitment):
    client.force_login(editor)
    url = reverse("agreements:commitment_detail", args=[commitment.pk])
    html = client.get(url, {"add": "assess"}, **HTMX).content.decode()
    assert 'name="assessment-justification"' not in html


def test_only_reviewers_assess(client, editor, commitment, us):
    client.force_login(editor)
    response = client.post(
        reverse("agreements:commitment_detail", args=[commitment.pk]),
        assess(us, score="+1", justification="x", stage="final"),
    )
    assert response.status_code == 403


def test_commitment_page_shows_each_partys_latest_assessment(client, reviewer, commitment, us):
    for as_of, score, why in (("2025-10-01", "-1", "Nothing yet"), ("2025-12-01", "+1", "Done")):
        Assessment.objects.create(
            commitment=commitment,
            party=us,
            score=score,
            justification=why,
            as_of=as_of,
            assessed_by=reviewer,
        )
    client.force_login(reviewer)
    response = client.get(reverse("agreements:commitment_detail", args=[commitment.pk]))
    assert [a.justification for a in response.context["latest_assessments"]] == ["Done"]
    html = response.content.decode()
    assert "Nothing yet" in html  # the history stays on the timeline


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("9999-12-31", "less than or equal to 2100-12-31"),  # past any date it tracks
        ("2099-01-01", "cannot be dated in the future"),
        ("2000-01-01", "cannot be dated before its meeting"),
    ],
)
def test_an_assessment_is_dated_between_its_meeting_and_today(
    client, reviewer, commitment, us, as_of, message
):
    """Else a date far ahead stays the "latest" score for ever, and nothing corrects it."""
    client.force_login(reviewer)
    body = assess(us, score="0", justification="Done") | {"assessment-as_of": as_of}
    response = client.post(
        reverse("agreements:commitment_detail", args=[commitment.pk]), body, **HTMX
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Assessment.objects.exists()
