"""The status and compliance histories summed by year too (``StatusYearTally``,
``ComplianceYearTally``), the compliance by quarter (``ComplianceQuarterTally``), and the
status history's months of the commitments that count by status alone (``IndexMonthTally``),
kept by the same writes as the day and month tallies: a past day's figures read the years
before its own, its year's months before its own and its month's days, where they read every
month before it (~6,000 rows a history for a reader at 100,000 commitments, a tenth of that
now); a curve of the implementation index reads about 4 rows a month, where it read about 20,
and a long compliance curve its quarters, where it summed the months by quarter. Filled here
from the month tallies a database holds."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models.functions import Cast, TruncQuarter, TruncYear

import agreements.models.status_history

# Each new tally: the month tally it sums, the rows of it that it counts, its key's fields
# (by their names in the month tally) and its date's.
SUMMED = {
    "StatusYearTally": (
        "StatusMonthTally",
        {},
        ("team", "theme", "status", "is_stalled", "cancelled", "active"),
        ("year", Cast(TruncYear("month"), models.DateField())),
    ),
    "ComplianceYearTally": (
        "ComplianceMonthTally",
        {},
        ("team", "party", "score"),
        ("year", Cast(TruncYear("month"), models.DateField())),
    ),
    "ComplianceQuarterTally": (
        "ComplianceMonthTally",
        {},
        ("team", "party", "score"),
        ("quarter", Cast(TruncQuarter("month"), models.DateField())),
    ),
    "IndexMonthTally": (
        "StatusMonthTally",
        {"active": True, "cancelled": False},
        ("team", "status"),
        ("month", models.F("month")),
    ),
}


def summed_from_the_months(apps, schema_editor):
    """Each new tally's rows: its month tally's summed by its key, a row per key that is not
    zero (as ``DatedTally.fill`` writes them)."""
    using = schema_editor.connection.alias
    for name, (month_name, counted, fields, (date, dated)) in SUMMED.items():
        tally = apps.get_model("agreements", name)
        months = apps.get_model("agreements", month_name).objects.using(using).filter(**counted)
        rows = (
            months.annotate(dated=dated)
            .values(*fields, "dated")
            .annotate(total=models.Sum("n"))
            .order_by()
        )
        columns = {field: tally._meta.get_field(field).attname for field in fields}
        tally.objects.using(using).bulk_create(
            [
                tally(
                    **{columns[field]: row[field] for field in fields},
                    **{date: row["dated"]},
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
            name="ComplianceQuarterTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.IntegerField(default=0)),
                ("score", models.CharField(max_length=3)),
                ("quarter", models.DateField()),
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
                        fields=("team", "party", "quarter", "score"),
                        name="compliance_quarter_tally_key",
                    )
                ],
            },
        ),
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
            name="IndexMonthTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.IntegerField(default=0)),
                ("status", models.PositiveSmallIntegerField()),
                ("month", models.DateField()),
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
                        fields=("team", "month", "status"), name="index_month_tally_key"
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
        migrations.RunPython(summed_from_the_months, migrations.RunPython.noop),
    ]
