"""Bulk synthetic records for load tests: many meetings with commitments, milestones, updates,
bodies and claims in one team, so lists and dashboards can be measured as the data grows."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from agreements import models as m
from agreements.audit import audit_via


class Command(BaseCommand):
    help = "Create synthetic meetings (with commitments, milestones, updates) in a team."

    def add_arguments(self, parser):
        parser.add_argument("--meetings", type=int, default=200)
        parser.add_argument("--commitments", type=int, default=10, help="per meeting")
        parser.add_argument("--team", default="north-america")
        parser.add_argument("--seed", type=int, default=1)

    @transaction.atomic
    def handle(self, *args, meetings, commitments, team, seed, **options):
        rng = random.Random(seed)
        team = m.Team.objects.get(slug=team)
        author = get_user_model().objects.filter(team_memberships__team=team).first()
        parties = list(m.Party.objects.all())
        themes = m.Theme.values
        with audit_via("command:synthetic_data"):
            for i in range(meetings):
                start = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(2400))
                meeting = m.Meeting.objects.create(
                    team=team,
                    title=f"Synthetic meeting {i}",
                    start_date=start,
                    city="Synthetic City",
                    outcome_type=rng.choice(m.OutcomeType.values),
                )
                meeting.parties.set(rng.sample(parties, k=min(2, len(parties))))
                body = m.ImplementationBody.objects.create(meeting=meeting, name="Working group")
                for j in range(commitments):
                    commitment = m.Commitment.objects.create(
                        meeting=meeting,
                        title=f"Commitment {i}.{j}",
                        text="Synthetic commitment text.",
                        theme=rng.choice(themes),
                        status=rng.randrange(4),
                        target_date=start + datetime.timedelta(days=rng.randrange(30, 900)),
                        position=j,
                    )
                    for party in meeting.parties.all():
                        m.CommitmentParty.objects.create(
                            commitment=commitment, party=party, role=rng.choice(m.PartyRole.values)
                        )
                    body.commitments.add(commitment)
                    m.Milestone.objects.create(
                        commitment=commitment,
                        title="Synthetic milestone",
                        due_date=start + datetime.timedelta(days=rng.randrange(1, 700)),
                    )
                    if author is not None and rng.random() < 0.3:
                        update = m.ProgressUpdate.objects.create(
                            commitment=commitment, author=author, narrative="Synthetic progress."
                        )
                        m.ReviewEvent.objects.create(update=update, action="submit", by=author)
                m.Claim.objects.create(meeting=meeting, text=f"Synthetic open question {i}.")
        total = meetings * commitments
        self.stdout.write(f"Created {meetings} meetings and {total} commitments in {team}.")
