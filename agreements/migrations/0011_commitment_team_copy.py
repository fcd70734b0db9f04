"""Commitments carry their meeting's team and date, so lists run on indexes that lead with the
team. On PostgreSQL a composite foreign key keeps the copies equal to the meeting's values."""

import django.db.models.deletion
from django.db import migrations, models

PG_FORWARD = """
ALTER TABLE agreements_meeting
    ADD CONSTRAINT agreements_meeting_id_team_date_uniq UNIQUE (id, team_id, start_date);
ALTER TABLE agreements_commitment
    ADD CONSTRAINT agreements_commitment_copies_meeting
    FOREIGN KEY (meeting_id, team_id, meeting_date)
    REFERENCES agreements_meeting (id, team_id, start_date)
    ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
"""

PG_BACKWARD = """
ALTER TABLE agreements_commitment DROP CONSTRAINT agreements_commitment_copies_meeting;
ALTER TABLE agreements_meeting DROP CONSTRAINT agreements_meeting_id_team_date_uniq;
"""


def copy_from_meetings(apps, schema_editor):
    Commitment = apps.get_model("agreements", "Commitment")
    Meeting = apps.get_model("agreements", "Meeting")
    meeting = Meeting.objects.filter(pk=models.OuterRef("meeting_id"))
    Commitment.objects.update(
        team_id=models.Subquery(meeting.values("team_id")[:1]),
        meeting_date=models.Subquery(meeting.values("start_date")[:1]),
    )


def constrain(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def unconstrain(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0010_review_state_stored")]

    operations = [
        migrations.AddField(
            model_name="commitment",
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
            name="meeting_date",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunPython(copy_from_meetings, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="commitment",
            name="team",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agreements.team",
            ),
        ),
        migrations.AlterField(
            model_name="commitment",
            name="meeting_date",
            field=models.DateField(editable=False),
        ),
        migrations.RunPython(constrain, unconstrain),
        migrations.RemoveIndex(model_name="commitment", name="agreements__status_323732_idx"),
        migrations.RemoveIndex(model_name="commitment", name="agreements__theme_f7ac21_idx"),
        migrations.RemoveIndex(model_name="commitment", name="agreements__target__95c6aa_idx"),
        migrations.RemoveIndex(model_name="commitment", name="agreements__updated_416ef2_idx"),
        migrations.RemoveIndex(model_name="commitment", name="agreements__title_2ab1a4_idx"),
        migrations.RemoveIndex(model_name="commitment", name="agreements__is_stal_ae6426_idx"),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(
                fields=["team", "-meeting_date", "meeting", "position", "id"],
                name="commitment_team_default_order",
            ),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["team", "status", "id"], name="commitment_team_status"),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["team", "theme", "status"], name="commitment_team_theme"),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["team", "target_date", "id"], name="commitment_team_target"),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["team", "updated_at", "id"], name="commitment_team_updated"),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["team", "title", "id"], name="commitment_team_title"),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["team", "is_stalled"], name="commitment_team_stalled"),
        ),
    ]
