"""About N synthetic commitments with everything around them, for benchmarks and load tests."""

from django.core.management.base import BaseCommand

from agreements.synthetic import generate


class Command(BaseCommand):
    help = (
        "Create about SIZE synthetic commitments (meetings, parties, persons, bodies, milestones, "
        "updates in every review state, assessments, statements, claims, sources), mostly in "
        "North America. Deterministic from the seed; written in bulk."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=3000, help="about this many commitments")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, size, seed, **options):
        report = generate(size, seed, progress=self.stdout.write)
        self.stdout.write(
            f"Created {report.meetings:,} meetings, {report.commitments:,} commitments: "
            f"{report.rows:,} rows in {report.seconds:.1f} s ({report.rate:,.0f} rows/s)."
        )
