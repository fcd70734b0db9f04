"""The status and compliance histories summed by year too (``StatusYearTally``,
``ComplianceYearTally``), kept by the same writes as the day and month tallies: a past day's
figures read the years before its own, its year's months before its own and its month's days,
where they read every month before it (~6,000 rows a history for a reader at 100,000
commitments, a tenth of that now). Filled here from the month tallies a database holds."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models.functions import Cast, TruncYear

import agreements.models.status_history

KEYS = {
    "StatusMonthTally": (
        "StatusYearTally",
        ("team", "theme", "status", "is_stalled", "cancelled", "active"),
    ),
    "ComplianceMonthTally": ("ComplianceYearTally", ("team", "party", "score")),
}


def summed_by_year(apps, schema_editor):
    """Each year tally's rows: its month tally's summed by year (dated its first day), a
    row per key that is not zero (as ``DatedTally.fill`` writes them)."""
    for month_name, (year_name, fields) in KEYS.items():
        months = apps.get_model("agreements", month_name).objects.using(
            schema_editor.connection.alias
        )
        years = apps.get_model("agreements", year_name)
        rows = (
            months.annotate(first=Cast(TruncYear("month"), models.DateField()))
            .values(*fields, "first")
            .annotate(total=models.Sum("n"))
            .order_by()
        )
        years.objects.using(schema_editor.connection.alias).bulk_create(
            [
                years(
                    **{
                        f"{field}_id" if field in ("team", "party") else field: row[field]
                        for field in fields
                    },
                    year=row["first"],
                    n=row["total"],
                )
                for row in rows
                if row["total"]
            ],
            batch_size=1000,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0016_milestone_open_due"),
    ]

    operations = [
        migrations.CreateModel(
            name="ComplianceYearTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.IntegerField(default=0)),
                ("score", models.CharField(max_length=3)),
                ("year", models.DateField()),
                (
                    "party",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="agreements.party",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="agreements.team",
                    ),
                ),
            ],
            options={
                "constraints": [
                    agreements.models.status_history.CountingKey(
                        fields=("team", "year", "party", "score"), name="compliance_year_tally_key"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="StatusYearTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.IntegerField(default=0)),
                ("theme", models.CharField(max_length=30)),
                ("status", models.PositiveSmallIntegerField()),
                ("is_stalled", models.BooleanField()),
                ("cancelled", models.BooleanField()),
                ("active", models.BooleanField()),
                ("year", models.DateField()),
                (
                    "team",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="agreements.team",
                    ),
                ),
            ],
            options={
                "constraints": [
                    agreements.models.status_history.CountingKey(
                        fields=(
                            "team",
                            "year",
                            "theme",
                            "status",
                            "is_stalled",
                            "cancelled",
                            "active",
                        ),
                        name="status_year_tally_key",
                    )
                ],
            },
        ),
        migrations.RunPython(summed_by_year, migrations.RunPython.noop),
    ]
