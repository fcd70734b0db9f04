"""The demo's sample desk: a team of synthetic meetings over the last five years, beside the
reference meeting, so that a newcomer sees implementation move over time on the first look.

Its team says what it is ("Sample desk: synthetic data"), as do its meetings' titles ("Synthetic
meeting …") and its parties ("Synthetic state XAA"), so no page of it passes for a real record
and no real party's briefing counts it. The demo logins staff, reviewer and admin are members;
outsider is not.

Built through the actions, as the pages would have written it: staff records each meeting and
reports progress dated on the day it happened; reviewer approves most updates and returns some,
which staff revises; a few still wait for review; milestones are ticked on the day they were
met or given more time on the day they were moved; reviewer assesses compliance a year at a
time; an admin cancels one commitment. Every history entry, status change and review event is
therefore the real thing, recorded on the day of loading, with the day each fact happened.

Deterministic: drawn from ``SEED``, with every date counted back from the day of the first load
(so the desk always spans the five years before it, has milestones overdue and coming, and
updates waiting). Built once: a later load finds the team's meetings and writes nothing of them
(progress updates, review events and status changes are append-only), only the logins'
memberships if missing. An empty database builds it anew, dated from that day.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils import timezone

from . import actions, system_texts
from . import models as m
from .synthetic.vocabularies import OBJECTS

TEAM_SLUG = "sample-desk"
TEAM_NAME = "Sample desk: synthetic data"
SEED = 21
MEETINGS = 12
SPAN_DAYS = 5 * 365  # the first meeting about five years back
LATEST_DAYS = 150  # the latest about five months back
# The demo logins in the sample team, with their roles there (outsider stays out).
MEMBERS = {
    "staff": m.TeamRole.EDITOR,
    "reviewer": m.TeamRole.REVIEWER,
    "admin": m.TeamRole.EDITOR,
}
# Synthetic states: user-assigned ISO codes, named as ``synthetic_data`` names them.
PARTY_CODES = ["XAA", "XAB", "XAC", "XAD", "XAE"]
BODY_NAME = "Joint implementation group"

# What the parties undertook to do with each object (any of them reads with any object).
VERBS = ["Strengthen", "Establish", "Expand", "Coordinate", "Review"]
# How fast a commitment moves: days between steps (None: it never moves).
PACES = {
    "fast": (60, 200),
    "steady": (120, 400),
    "slow": (250, 700),
    "stalls": (120, 400),
    "idle": None,
}
PACE_WEIGHTS = (2, 4, 3, 2, 1)

NARRATIVES = {
    1: "A working group on {object} was set up and met for the first time.",
    2: "About half of the measures on {object} are in place; the rest are funded.",
    3: "All the agreed measures on {object} are in place, as the joint report confirms.",
}
STALLED = "Work on {object} has stopped: the funding promised has not been released."
RESTARTED = "Funding released; work on {object} has resumed."
NO_CHANGE = "Officials met on {object}; nothing has changed since the last report."
RETURNS = [
    "Which agency reports this? Name the source before I approve it.",
    "The figures differ from the ministry's report: check them and resubmit.",
    "Say what exactly was done, not only that it was.",
]
REVISED = " (Source: the ministry's quarterly report, checked against the joint report.)"
MILESTONE_STEPS = [
    "Legislation tabled",
    "First joint inspections",
    "Training of officials completed",
    "Joint report published",
    "Information-sharing protocol signed",
    "Pilot programme launched",
]
EXTENSIONS = [
    "The ministry asked for more time: its budget was approved late.",
    "Elections in one of the parties delayed the work.",
    "The joint group moved the date at its annual meeting.",
]
SCORE_OF_STATUS = {0: m.ComplianceScore.NONE, 1: m.ComplianceScore.PARTIAL}
SCORE_OF_STATUS |= {2: m.ComplianceScore.PARTIAL, 3: m.ComplianceScore.FULL}


def load_sample_desk(note: Callable[[object, bool], object]) -> m.Team:
    """Make the sample desk if it has no meetings yet, and the demo logins' memberships if
    missing; ``note(record, created)`` is told of each record made or found. The logins exist
    (the demo fixture's users)."""
    team, created = m.Team.objects.get_or_create(slug=TEAM_SLUG, defaults={"name": TEAM_NAME})
    note(team, created)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=MEMBERS)}
    for username, role in MEMBERS.items():
        membership, created = m.TeamMembership.objects.get_or_create(
            user=users[username], team=team, defaults={"role": role}
        )
        note(membership, created)
    kept = list(m.Meeting.objects.filter(team=team))
    if kept:
        for meeting in kept:
            note(meeting, False)
        return team
    Desk(team, users, note).build()
    return team


class Desk:
    """One build of the sample desk, in the caller's transaction."""

    def __init__(self, team: m.Team, users: dict, note: Callable[[object, bool], object]) -> None:
        self.team = team
        self.staff, self.reviewer, self.admin = users["staff"], users["reviewer"], users["admin"]
        self.note = note
        self.rng = random.Random(SEED)
        self.today = timezone.localdate()
        self.waiting = 0  # updates left waiting for review

    def build(self, meetings: int = MEETINGS) -> None:
        """The desk's meetings, oldest first (``meetings``: the first few of them only)."""
        parties = [self._party(code) for code in PARTY_CODES]
        # Spread over the span, the latest a few months back, each a few days off the grid.
        step = (SPAN_DAYS - LATEST_DAYS) / (MEETINGS - 1)
        for number in range(meetings):
            age = round(SPAN_DAYS - number * step) - self.rng.randrange(15)
            self._meeting(number + 1, age, self.rng.sample(parties, k=self.rng.choice((2, 2, 3))))

    def day(self, start: datetime.date, offset: int) -> datetime.date:
        return start + datetime.timedelta(days=offset)

    def _party(self, code: str) -> m.Party:
        party = m.Party.objects.filter(code=code).first()
        if party is None:
            party = actions.add_party(
                party=m.Party(code=code, name=f"Synthetic state {code}", kind=m.PartyKind.STATE),
                by=self.admin,
                reason=system_texts.stored("added_for_team", team=TEAM_NAME),
            )
            self.note(party, True)
        return party

    def _meeting(self, number: int, age: int, parties: list[m.Party]) -> None:
        """A meeting ``age`` days back, its commitments and body, and all that followed."""
        rng, start = self.rng, self.today - datetime.timedelta(days=age)
        theme = rng.choice(list(OBJECTS))
        objects = [(theme, o) for o in OBJECTS[theme]]
        others = [(t, o) for t, names in OBJECTS.items() if t != theme for o in names]
        objects += rng.sample(others, k=7 - len(objects))
        names = " and ".join(p.code for p in parties)
        rows = []
        for position, (commitment_theme, what) in enumerate(
            objects[: rng.randrange(3, 7)], start=1
        ):
            committed = rng.choice(parties)
            roles = {
                p: m.PartyRole.COMMITTED
                if p == committed
                else rng.choice((m.PartyRole.COUNTERPART, m.PartyRole.JOINT))
                for p in parties
            }
            verb = rng.choice(VERBS)
            commitment = m.Commitment(
                title=f"{verb} {what}",
                text=f"{committed} undertook to {verb.lower()} {what}, reporting each year to "
                f"the joint implementation group.",
                theme_id=commitment_theme,
                lead_agency=rng.choice(["Ministry of Security", "Customs", "Attorney General"]),
                indicator=f"Measures on {what} in place, as the joint report counts them.",
                target_date=self.day(start, rng.randrange(365, 1100)),
                position=position,
            )
            rows.append(actions.CommitmentRow(commitment, None, roles))
        meeting = actions.save_meeting(
            meeting=m.Meeting(
                team=self.team,
                title=f"Synthetic meeting {number} on {OBJECTS[theme][0]}",
                start_date=start,
                city="Synthetic city",
                outcome_type=rng.choice(
                    (m.OutcomeType.JOINT_STATEMENT, m.OutcomeType.MOU, m.OutcomeType.TREATY)
                ),
                summary=f"Sample data, made up for the demo: {names} met on "
                f"{OBJECTS[theme][0]} and agreed {len(rows)} commitments.",
            ),
            expected=None,
            parties=parties,
            rows=rows,
            by=self.staff,
        )
        self.note(meeting, True)
        commitments = [row.commitment for row in rows]
        for commitment in commitments:
            self.note(commitment, True)
        self._body(meeting, age, parties, commitments)
        for commitment in commitments:
            completed = self._progress(commitment, age, latest=number > MEETINGS - 4)
            self._milestones(commitment, age, completed)
        if number == MEETINGS // 2:  # one commitment dropped by the parties, an admin's override
            dropped = commitments[-1]
            actions.change_commitment_status(
                commitment=dropped,
                cancellation=m.Cancellation.CANCELLED,
                reason="The parties dropped it at the joint group's annual meeting.",
                by=self.admin,
                via=m.StatusChange.OVERRIDE_VIA,
                effective_on=max(self._latest_change(dropped), self.day(start, 400)),
            )

    def _body(self, meeting: m.Meeting, age: int, parties, commitments) -> None:
        """The meeting's joint group: its members (confirmed on a day), its yearly meetings
        (held, and the next one planned)."""
        rng, start = self.rng, meeting.start_date
        body = actions.add_body(
            body=m.ImplementationBody(
                meeting=meeting,
                name=BODY_NAME,
                mandate="Follows the meeting's commitments and reports on them once a year.",
                cadence="Meets once a year",
                lifecycle=m.Lifecycle.ACTIVE if age > 365 else m.Lifecycle.CONSTITUTED,
            ),
            commitments=commitments,
            by=self.staff,
        )
        self.note(body, True)
        for party in parties:
            membership = actions.add_membership(
                membership=m.BodyMembership(
                    body=body,
                    party=party,
                    role="Member",
                    start_date=self.day(start, rng.randrange(min(30, age))),
                    confirmation=m.Confirmation.REPORTED,
                ),
                by=self.staff,
            )
            self.note(membership, True)
            confirmed = rng.randrange(15, 120)
            if confirmed < age:
                actions.set_membership_confirmation(
                    membership=membership,
                    confirmation=m.Confirmation.CONFIRMED,
                    expected=membership.version,
                    by=self.staff,
                    on=self.day(start, confirmed),
                )
        for year in range(1, age // 365 + 2):  # the meetings held, then the next one
            due = self.day(start, 365 * year)
            milestone = actions.add_milestone(
                milestone=m.Milestone(
                    body=body, title=f"Annual meeting {year}", due_date=due, owner=BODY_NAME
                ),
                by=self.staff,
            )
            self.note(milestone, True)
            if due < self.today:
                actions.toggle_milestone(
                    milestone=milestone, expected=milestone.version, by=self.staff, on=due
                )

    def _milestones(self, commitment: m.Commitment, age: int, completed: int | None) -> None:
        """One or two steps of the commitment: met (on the day), given more time (moved on the
        day it was asked for), or still open, overdue or coming; all met by the day the
        commitment was complete (``completed`` days after its meeting), if it is."""
        rng, start = self.rng, commitment.meeting_date
        for title in rng.sample(MILESTONE_STEPS, k=rng.choice((1, 2))):
            due = rng.randrange(90, 720)
            milestone = actions.add_milestone(
                milestone=m.Milestone(
                    commitment=commitment,
                    title=title,
                    due_date=self.day(start, due),
                    owner=commitment.lead_agency,
                ),
                by=self.staff,
            )
            self.note(milestone, True)
            outcome = rng.choices(("met", "extended", "open"), weights=(5, 3, 2))[0]
            met = due + rng.randrange(-30, 20)
            moved_on = due - rng.randrange(0, 20)
            if outcome == "extended" and moved_on < min(age, completed or age):
                due += rng.randrange(90, 400)
                self.note(
                    actions.reschedule_milestone(
                        milestone=milestone,
                        expected=milestone.version,
                        to_date=self.day(start, due),
                        reason=rng.choice(EXTENSIONS),
                        by=self.staff,
                        moved_on=self.day(start, moved_on),
                    ),
                    True,
                )
                met = due + rng.randrange(-30, 20)
                outcome = rng.choice(("met", "open"))
            if completed is not None:
                outcome, met = "met", min(met, completed)
            if outcome == "met" and met < age:
                actions.toggle_milestone(
                    milestone=milestone,
                    expected=milestone.version,
                    by=self.staff,
                    on=self.day(start, max(met, 0)),
                )

    def _progress(self, commitment: m.Commitment, age: int, *, latest: bool) -> int | None:
        """Progress reported over the years, reviewed, assessed once a year; the first
        commitment of each of the latest meetings has an update still waiting for review.
        Returns the day it was complete (days after its meeting), or None."""
        rng = self.rng
        what = commitment.title.split(" ", 1)[1]
        pace = rng.choices(list(PACES), weights=PACE_WEIGHTS)[0]
        status, stalled, offset, history = 0, False, 0, [(0, 0)]
        while PACES[pace] and status < 3:
            offset += rng.randrange(*PACES[pace])
            if offset >= age:
                break
            if pace == "stalls" and status and not stalled:
                stalled = True
                self._update(commitment, offset, STALLED.format(object=what), stalled=True)
                if rng.random() < 0.6:
                    break  # stalled since
                continue
            if stalled:
                stalled = False
                self._update(commitment, offset, RESTARTED.format(object=what), stalled=False)
                continue
            status += 1
            narrative = NARRATIVES[status].format(object=what)
            returned = rng.random() < 0.2
            self._update(commitment, offset, narrative, status=status, returned=returned)
            history.append((offset, status))
        if latest and commitment.position == 1:
            last = max(history[-1][0], offset if offset < age else 0)
            waiting = min(age - 1, last + rng.randrange(1, 90))
            if waiting > last:
                proposed = status + 1 if status < 3 and not stalled else None
                narrative = (NARRATIVES[proposed] if proposed else NO_CHANGE).format(object=what)
                # One of them was returned once and waits again, revised.
                returned = self.waiting == 1
                self._update(
                    commitment, waiting, narrative, status=proposed, returned=returned, wait=True
                )
        self._assessments(commitment, age, history)
        return next((day for day, s in history if s == 3), None)

    def _update(
        self,
        commitment: m.Commitment,
        offset: int,
        narrative: str,
        *,
        status: int | None = None,
        stalled: bool | None = None,
        returned: bool = False,
        wait: bool = False,
    ) -> None:
        """Staff report progress of that day; reviewer returns it (and staff revise it) or
        not, then approves it, unless it is left waiting for review."""
        happened_on = self.day(commitment.meeting_date, offset)

        def submit(text: str, revises: m.ProgressUpdate | None = None) -> m.ProgressUpdate:
            update = actions.submit_update(
                commitment=commitment,
                author=self.staff,
                narrative=text,
                proposed_status=status,
                proposed_stalled=stalled,
                revises=revises,
                happened_on=happened_on,
            )
            self.note(update, True)
            return update

        update = submit(narrative)
        if returned:
            actions.return_update(update=update, by=self.reviewer, comment=self.rng.choice(RETURNS))
            update = submit(narrative + REVISED, revises=update)
        if wait:
            self.waiting += 1
        else:
            actions.approve_update(update=update, by=self.reviewer)

    def _assessments(self, commitment: m.Commitment, age: int, history) -> None:
        """Reviewer scores the committed party's compliance at each anniversary of the meeting,
        from the status that stood then."""
        committed = commitment.party_roles.get(role=m.PartyRole.COMMITTED).party
        for year in range(1, age // 365 + 1):
            offset = 365 * year
            status = max(s for day, s in history if day <= offset)
            assessment = actions.record_assessment(
                assessment=m.Assessment(
                    commitment=commitment,
                    party=committed,
                    score=SCORE_OF_STATUS[status],
                    justification=f"Year {year}: "
                    + (NARRATIVES[status].format(object="it") if status else "nothing done yet."),
                    as_of=self.day(commitment.meeting_date, offset),
                    stage=m.AssessmentStage.FINAL if status == 3 else m.AssessmentStage.INTERIM,
                ),
                by=self.reviewer,
            )
            self.note(assessment, True)

    def _latest_change(self, commitment: m.Commitment) -> datetime.date:
        latest = commitment.status_changes.order_by("-effective_on").first()
        return latest.effective_on if latest else commitment.meeting_date
