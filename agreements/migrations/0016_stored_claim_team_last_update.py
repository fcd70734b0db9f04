"""Two pieces of derived state stored where they change (kept from 0017 on):

- a claim carries its record's meeting and team (``Claim.record_meeting``, ``Claim.team``);
- a commitment carries the time of its newest progress update (``last_update_at``).

Here the columns are added and filled from the records as they stand.
"""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    Claim = apps.get_model("agreements", "Claim")
    Commitment = apps.get_model("agreements", "Commitment")
    Body = apps.get_model("agreements", "ImplementationBody")
    Meeting = apps.get_model("agreements", "Meeting")
    ProgressUpdate = apps.get_model("agreements", "ProgressUpdate")

    def meeting_of(model, column):
        rows = model.objects.filter(pk=models.OuterRef(column))
        return models.Subquery(rows.values("meeting_id")[:1])

    Claim.objects.filter(meeting__isnull=False).update(record_meeting_id=models.F("meeting_id"))
    Claim.objects.filter(commitment__isnull=False).update(
        record_meeting_id=meeting_of(Commitment, "commitment_id")
    )
    Claim.objects.filter(body__isnull=False).update(record_meeting_id=meeting_of(Body, "body_id"))
    team = Meeting.objects.filter(pk=models.OuterRef("record_meeting_id")).values("team_id")
    Claim.objects.update(team_id=models.Subquery(team[:1]))
    newest = ProgressUpdate.objects.filter(commitment=models.OuterRef("pk")).order_by("-created_at")
    Commitment.objects.filter(models.Exists(newest)).update(
        last_update_at=models.Subquery(newest.values("created_at")[:1])
    )
    if schema_editor.connection.vendor == "postgresql":
        # Run the deferred foreign-key checks these updates queued now: PostgreSQL creates no
        # index (the new columns' own, at the end of this migration) on a table with some queued.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [("agreements", "0015_search_indexes")]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="record_meeting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agreements.meeting",
            ),
        ),
        migrations.AddField(
            model_name="claim",
            name="team",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agreements.team",
            ),
        ),
        migrations.AddField(
            model_name="commitment",
            name="last_update_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        # The columns become required, indexed and kept in 0017: a migration of its own,
        # since PostgreSQL alters no table whose rows this transaction's updates left pending
        # deferred checks on.
    ]
