from django.core.management.base import BaseCommand

from agreements.audit import audit_via
from agreements.demo import DEMO_PASSWORD, load_demo

LOGINS = [
    ("admin", "records admin: everything, including the Django admin at /admin/"),
    ("staff", "policy staff, editor of North America: records and changes its meetings"),
    ("reviewer", "reviewer of North America: reads its records, reviews updates"),
    ("outsider", "editor of Europe: sees none of North America's records"),
]


class Command(BaseCommand):
    help = "Load the demo meeting (3 Sept 2025 US–Mexico security meeting) and the demo logins."

    def handle(self, *args, **options):
        with audit_via("command:load_demo"):
            counted = load_demo()
        for line in counted.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Demo logins (password “{DEMO_PASSWORD}” for all):")
        for username, what in LOGINS:
            self.stdout.write(f"  {username:<9} {what}")
