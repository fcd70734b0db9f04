"""One meeting with everything around it (participants, a body and its members, statements,
claims, context, commitments with their parties, timelines, milestones, progress updates in every
review state and assessments), as rows handed to the bulk writer."""

from __future__ import annotations

import datetime
import random

from agreements import models as m
from agreements.synthetic.people import SyntheticTeam
from agreements.synthetic.vocabularies import (
    CITIES,
    OBJECTS,
    TEAMS,
    THEMES,
    VERBS,
    sentence,
    values_of,
)
from agreements.synthetic.writer import BulkWriter

from .. import system_texts

VIA = "command:synthetic_data"
LONG_TIMELINE = "Synthetic commitment with a long timeline"

# The shape of the records (docs/benchmarks.md, "The dataset"): heavy tails, as a real foreign
# ministry's. Most meetings hold 5 to 15 commitments; a few summits hold 150 to 300 with 40
# participants. Most commitments have 0 to 5 progress updates; a few have 300 and more,
# spread over five years. Meetings spread over the ten years before the load.
YEARS = 10
UPDATES_WEIGHTS = (55, 20, 10, 7, 5, 3)  # of 0, 1, ... 5 progress updates
SUMMIT_COMMITMENTS = (150, 300)
SUMMIT_PARTICIPANTS = 40
LONG_UPDATES = (300, 400)
LONG_SPREAD_DAYS = 5 * 365


def spaced(count: int, among: int, offset: int) -> set[int]:
    """``count`` meeting numbers spread evenly over ``among``, starting at ``offset``."""
    step = max(1, among // max(1, count))
    return {(offset + i * step) % among for i in range(count)} if among else set()


def tails(meetings: int) -> tuple[set[int], set[int]]:
    """Which meetings are summits and which hold a commitment with a long record of progress:
    a few of each (one of each in the smallest loads, about one in 2,000 meetings beyond).
    Meeting 0 holds the first long record, in the first team (the demo reader's)."""
    long = spaced(1 + meetings // 2000, meetings, 0)
    summits = spaced(1 + meetings // 2000, meetings, 1) - long
    return summits, long


class MeetingMaker:
    """One meeting with its commitments, bodies, reviews and evidence, as rows."""

    def __init__(
        self,
        writer: BulkWriter,
        rng: random.Random,
        teams: list[SyntheticTeam],
        parties: list[int],
        persons: dict[int, list[tuple[int, int]]],  # by team: (person, party)
        *,
        end: datetime.date,  # the last day of the records
        summits: set[int] = frozenset(),  # meeting numbers (``tails``)
        long: set[int] = frozenset(),
    ) -> None:
        self.writer = writer
        self.rng = rng
        self.teams = teams
        self.parties = parties
        self.persons = persons
        self.weights = [share for _, _, share in TEAMS]
        self.long_timeline_made = False
        self.end = end
        self.summits, self.long = summits, long

    def day(self, start: datetime.date, spread: int) -> datetime.date:
        """A day within ``spread`` days after ``start``, never after the load's last day."""
        return min(self.end, start + datetime.timedelta(days=self.rng.randrange(spread)))

    def at(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)

    def meeting(self, number: int) -> int:
        w, rng = self.writer, self.rng
        team = rng.choices(self.teams, weights=self.weights)[0]
        summit, long = number in self.summits, number in self.long
        if number == 0 or (summit and number == min(self.summits)):
            team = self.teams[0]  # the demo's reader sees a summit and the longest record
        decade = YEARS * 365
        # A long record's meeting is old enough for five years of progress after it.
        start = self.end - datetime.timedelta(
            days=rng.randrange(LONG_SPREAD_DAYS, decade) if long else rng.randrange(decade)
        )
        theme = rng.choice(THEMES)
        archived = rng.random() < 0.02
        meeting = w.add(
            m.Meeting,
            team_id=team.id,
            title=f"Synthetic meeting {number} on {rng.choice(OBJECTS[theme])}",
            start_date=start,
            end_date=start + datetime.timedelta(days=rng.randrange(2)),
            city=rng.choice(CITIES),
            outcome_type=rng.choice(values_of(m.OutcomeType)),
            summary=sentence(rng, 30),
            archived_at=self.at(start) if archived else None,
            archived_by_id=team.editor_id if archived else None,
        )
        parties = rng.sample(self.parties, k=rng.choice((2, 2, 3)))
        for party in parties:
            w.link(m.Meeting._meta.get_field("parties"), meeting, party)
        w.link(m.Meeting._meta.get_field("sources"), meeting, rng.choice(team.source_ids))
        participants = SUMMIT_PARTICIPANTS if summit else 2
        for person, party in rng.sample(self.persons[team.id], k=participants):
            w.add(
                m.Participant,
                meeting_id=meeting,
                person_id=person,
                party_id=party,
                office="Minister",
                role=rng.choice(values_of(m.ParticipantRole)),
            )
        body = w.add(
            m.ImplementationBody,
            meeting_id=meeting,
            name="High-level implementation group",
            mandate=sentence(rng),
            lifecycle=rng.choice(values_of(m.Lifecycle)),
        )
        for person, party in rng.sample(self.persons[team.id], k=2):
            w.add(
                m.BodyMembership,
                body_id=body,
                person_id=person,
                party_id=party,
                confirmation=rng.choice(values_of(m.Confirmation)),
            )
        w.add(
            m.BodyMembership,
            body_id=body,
            party_id=parties[0],
            confirmation=m.Confirmation.UNCONFIRMED,
        )  # members not published
        self.milestone(body_id=body, start=start)
        for _ in range(2):
            person, party = rng.choice(self.persons[team.id])
            w.add(
                m.Statement,
                meeting_id=meeting,
                speaker_id=person,
                party_id=party,
                kind=rng.choice(values_of(m.StatementKind)),
                text=sentence(rng, 20),
                said_on=start,
            )
        w.add(
            m.Claim,
            meeting_id=meeting,
            record_meeting_id=meeting,
            team_id=team.id,
            text=f"Open question: {sentence(rng)}",
            verification=rng.choice(values_of(m.Verification)),
        )
        occurred = rng.random() < 0.7
        w.add(
            m.ContextEvent,
            meeting_id=meeting,
            title=f"Context: {sentence(rng, 5)}",
            occurred_on=self.day(start, 60) if occurred else None,
            timing_note="" if occurred else "Days before the meeting",
            relation=rng.choice(values_of(m.EventRelation)),
        )
        count = rng.randint(*SUMMIT_COMMITMENTS) if summit else rng.randrange(5, 16)
        for position in range(count):
            self.commitment(team, meeting, body, parties, start, position, theme, long)
        return count

    def commitment(self, team, meeting, body, parties, start, position, theme, long) -> None:
        w, rng = self.writer, self.rng
        theme = theme if rng.random() < 0.5 else rng.choice(THEMES)
        status = rng.choices(range(4), weights=(30, 35, 20, 15))[0]
        stalled = rng.random() < 0.05
        cancelled = rng.random() < 0.03
        long = long and position == 0  # the meeting's first commitment has the long record
        # The first long record also has a long status timeline (its page's longest).
        long_timeline = long and not self.long_timeline_made
        self.long_timeline_made |= long_timeline
        title = (
            LONG_TIMELINE
            if long_timeline
            else (f"{rng.choice(VERBS)} {rng.choice(OBJECTS[theme])} ({position + 1})")
        )
        commitment = w.add(
            m.Commitment,
            meeting_id=meeting,
            team_id=team.id,
            meeting_date=start,
            title=title,
            text=sentence(rng, 25),
            theme_id=theme,
            status=status,
            is_stalled=stalled,
            cancellation=m.Cancellation.CANCELLED if cancelled else "",
            target_date=start + datetime.timedelta(days=rng.randrange(30, 900)),
            lead_agency=rng.choice(["Ministry of Security", "Customs", "Attorney General"]),
            position=position,
            created_at=self.at(start),  # recorded at the meeting, as a desk would
        )
        for party in parties:
            w.add(
                m.CommitmentParty,
                commitment_id=commitment,
                party_id=party,
                role=rng.choice(values_of(m.PartyRole)),
            )
        w.link(m.ImplementationBody._meta.get_field("commitments"), body, commitment)
        if rng.random() < 0.3:
            w.link(m.Commitment._meta.get_field("sources"), commitment, rng.choice(team.source_ids))
        self.timeline(team, commitment, start, status, stalled, cancelled, long_timeline)
        self.milestone(commitment_id=commitment, start=start)
        if long:
            updates = rng.randint(*LONG_UPDATES)
        else:
            updates = rng.choices(range(len(UPDATES_WEIGHTS)), weights=UPDATES_WEIGHTS)[0]
        if updates:
            spread = LONG_SPREAD_DAYS if long else 700
            latest = max(self.update(team, commitment, start, spread) for _ in range(updates))
            # Written with the row, as the trigger on progress updates would leave it: the
            # trigger then finds nothing to change (an UPDATE per commitment saved).
            w.amend(m.Commitment, last_update_at=latest)
        if rng.random() < 0.3:
            for party in parties:
                w.add(
                    m.Assessment,
                    commitment_id=commitment,
                    party_id=party,
                    score=rng.choice(values_of(m.ComplianceScore)),
                    justification=sentence(rng),
                    as_of=self.day(start, 400),
                    stage=rng.choice(values_of(m.AssessmentStage)),
                    assessed_by_id=team.reviewer_id,
                    created_at=self.at(self.day(start, 400)),
                )
        if rng.random() < 0.1:
            w.add(
                m.Claim,
                commitment_id=commitment,
                record_meeting_id=meeting,
                team_id=team.id,
                text=f"Reported: {sentence(rng)}",
                verification=rng.choice(values_of(m.Verification)),
            )

    def timeline(self, team, commitment, start, status, stalled, cancelled, long) -> None:
        """Status changes that lead from 'not started' to the commitment's present state, each
        from the state the one before left (the stored history replays them), all within a
        few months of the meeting: the last one's state is the commitment's own."""
        steps = [(s - 1, s, False, False, "", "") for s in range(1, status + 1)]
        if long:  # stalled and restarted, again and again, a day apart: restarted at the end
            steps += [(status, status, i % 2 == 1, i % 2 == 0, "", "") for i in range(200)]
        if stalled:
            steps.append((status, status, False, True, "", ""))
        if cancelled:
            steps.append((status, status, stalled, stalled, "", "cancelled"))
        when = start
        for from_s, to_s, from_st, to_st, from_c, to_c in steps:
            # Never after the load's last day: the last steps of a recent meeting share it.
            when = min(
                self.end, when + datetime.timedelta(days=1 if long else self.rng.randrange(1, 40))
            )
            self.writer.add(
                m.StatusChange,
                commitment_id=commitment,
                from_status=from_s,
                to_status=to_s,
                from_stalled=from_st,
                to_stalled=to_st,
                from_cancellation=from_c,
                to_cancellation=to_c,
                reason=system_texts.stored("synthetic_progress"),
                changed_by_id=team.editor_id,
                changed_via=VIA,
                changed_at=self.at(when),
                effective_on=when,
            )

    def milestone(self, start: datetime.date, **owner) -> None:
        status = self.rng.choice(values_of(m.MilestoneStatus))
        due = self.day(start, 700)
        self.writer.add(
            m.Milestone,
            title=f"Synthetic milestone: {sentence(self.rng, 4)}",
            due_date=due,
            status=status,
            completed_on=min(due, self.end) if status == m.MilestoneStatus.DONE else None,
            **owner,
        )

    def update(self, team, commitment, start, spread: int) -> datetime.datetime:
        """A progress update in one of the review states, with the events that put it there;
        returns when the last of them was written."""
        w, rng = self.writer, self.rng
        state = rng.choices(
            ["draft", "submitted", "approved", "returned", "resubmitted"],
            weights=(10, 25, 40, 15, 10),
        )[0]
        when = self.at(self.day(start, spread))
        first = w.add(
            m.ProgressUpdate,
            commitment_id=commitment,
            team_id=team.id,
            author_id=team.editor_id,
            narrative=sentence(rng, 30),
            created_at=when,
            happened_on=when.date(),
            proposed_status=rng.choice([None, 1, 2, 3]),
            review_state="returned" if state == "resubmitted" else state,
        )
        if state == "draft":
            return when
        self.event(first, "submit", team.editor_id, when)
        if state in ("approved", "returned", "resubmitted"):
            action = "approve" if state == "approved" else "return"
            comment = "" if action == "approve" else "Cite the source for this figure."
            self.event(first, action, team.reviewer_id, when, comment)
        if state == "resubmitted":
            later = min(self.at(self.end), when + datetime.timedelta(days=3))
            revision = w.add(
                m.ProgressUpdate,
                commitment_id=commitment,
                team_id=team.id,
                author_id=team.editor_id,
                narrative=sentence(rng, 30),
                created_at=later,
                happened_on=later.date(),
                revises_id=first,
                review_state="resubmitted",
            )
            self.event(revision, "submit", team.editor_id, later)
            return later
        return when

    def event(self, update, action, by, when, comment="") -> None:
        self.writer.add(
            m.ReviewEvent, update_id=update, action=action, by_id=by, at=when, comment=comment
        )
