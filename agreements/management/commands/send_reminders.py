"""Enqueue the day's reminder digests: run it once a day (cron, a systemd timer); the workers
(`manage.py db_worker`) send them. Safe to run again the same day: nothing is sent twice."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agreements import reminders, tasks
from agreements.models.reminders import DAYS_AHEAD


def iso_day(value: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date: {value!r} is not a date (YYYY-MM-DD).") from None
    if day > datetime.date.max - datetime.timedelta(days=DAYS_AHEAD):
        raise CommandError(f"--date: {value!r} leaves no {DAYS_AHEAD} days to remind of.")
    return day


class Command(BaseCommand):
    help = (
        "Enqueue a digest for each user with milestones due within 7 days or overdue, or (for "
        "reviewers) updates waiting for review; each user at most once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=iso_day, default=None, help="The day to remind of (default: today)."
        )

    def handle(self, *args, date: datetime.date | None = None, **options):
        day = date or timezone.localdate()
        users = reminders.users_needing_a_digest(day)
        for user in users:
            tasks.send_digest.enqueue(user.pk, day.isoformat())
        self.stdout.write(f"{len(users)} digest(s) enqueued for {day.isoformat()}.")
