from django.core.management.base import BaseCommand

from agreements.audit import audit_via
from agreements.demo import DEMO_PASSWORD, load_demo
from agreements.sample_desk import TEAM_NAME

LOGINS = [
    ("admin", "records admin: everything, including the Django admin at /admin/"),
    (
        "staff",
        "policy staff, editor of North America and the sample desk: records and changes "
        "their meetings",
    ),
    (
        "reviewer",
        "reviewer of North America and the sample desk: reads their records, reviews updates",
    ),
    ("outsider", "editor of Europe: sees none of North America's or the sample desk's records"),
]


class Command(BaseCommand):
    help = (
        "Load the demo meeting (3 Sept 2025 US–Mexico security meeting), the sample desk "
        "(synthetic meetings over the last five years) and the demo logins."
    )

    def handle(self, *args, **options):
        with audit_via("command:load_demo"):
            counted = load_demo()
        for line in counted.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            f"Beside it, “{TEAM_NAME}”: a dozen made-up meetings over the five years before "
            "its first load."
        )
        self.stdout.write(f"Demo logins (password “{DEMO_PASSWORD}” for all):")
        for username, what in LOGINS:
            self.stdout.write(f"  {username:<9} {what}")
