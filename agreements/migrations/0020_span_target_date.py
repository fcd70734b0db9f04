"""Each status span carries its commitment's target date as it is now (``StatusSpan``, kept
by the same writes as its team, theme and archiving: ``actions.states_moved`` after a save
that may change it), with an index by team and target date that carries what says whether a
span was overdue on a day: a past day's overdue count on the dashboard reads that index
alone (``StatusSpanQuerySet.overdue_on``), where it read a commitment's row and probed its
spans for each one counted (2.6–3.5 ms at 100,000 commitments). Filled here from the
commitments a database holds."""

import agreements.models.base
from django.db import migrations, models


def fill(apps, schema_editor):
    """Each span's target date, its commitment's."""
    spans = apps.get_model("agreements", "StatusSpan")
    commitments = apps.get_model("agreements", "Commitment")
    target = commitments.objects.filter(pk=models.OuterRef("commitment_id")).values(
        "target_date"
    )
    spans.objects.update(target_date=models.Subquery(target[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0019_review_queue_covering"),
    ]

    operations = [
        migrations.AddField(
            model_name="statusspan",
            name="target_date",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="statusspan",
            index=agreements.models.base.CoveringIndex(
                covers=("starts_on", "ends_on", "status", "cancellation", "active"),
                fields=["team", "target_date"],
                name="status_span_team_target",
            ),
        ),
    ]
