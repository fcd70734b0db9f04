"""A progress update carries its commitment's team, and the updates are indexed by team and
review state in the review queue's order (oldest first, then id): each run of the queue (a
team's updates in one state awaiting review: ``views/reviews.py``, ``paging.runs``) walks its
own part of the index to its first rows.

Read through the commitment's team instead, a team with few waiting updates walked every
team's waiting updates to find its own once PostgreSQL kept the statement's generic plan
(200 ms at 100,000 for a team of 4), and the alternative plan sorted a big team's whole
queue for a page. The copy is kept equal to the commitment's by a composite foreign key ON
UPDATE CASCADE (``_rules.UPDATE_TEAM_POSTGRESQL``), which the progress updates' append-only
guard lets through (``_rules.PROGRESS_UPDATE_GUARD``, replaced here); elsewhere by the saves
of commitments and meetings."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from . import _rules


def guard_then_copy(apps, schema_editor):
    """The guard that lets the team's copy change, then each update's copy of it. On
    PostgreSQL the append-only guard and the review state's check (deferred: its pending
    events would refuse the ALTER TABLE after) are off while the copies are written, which
    change nothing else."""
    if schema_editor.connection.vendor != "postgresql":
        Commitment = apps.get_model("agreements", "Commitment")
        ProgressUpdate = apps.get_model("agreements", "ProgressUpdate")
        team = Commitment.objects.filter(pk=OuterRef("commitment_id")).values("team_id")
        ProgressUpdate.objects.update(team_id=Subquery(team))
        return
    guard = _rules.PROGRESS_UPDATE_GUARD.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    triggers = ("agreements_progressupdate_append_only", "agreements_progressupdate_state_agrees")
    for statement in [
        guard,
        *(f"ALTER TABLE agreements_progressupdate DISABLE TRIGGER {t}" for t in triggers),
        "UPDATE agreements_progressupdate u SET team_id = c.team_id"
        " FROM agreements_commitment c WHERE c.id = u.commitment_id",
        *(f"ALTER TABLE agreements_progressupdate ENABLE TRIGGER {t}" for t in triggers),
    ]:
        schema_editor.execute(statement, params=None)


def keys(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_rules.UPDATE_TEAM_POSTGRESQL, params=None)


def no_keys(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE agreements_progressupdate DROP CONSTRAINT agreements_progressupdate_copies_commitment;"
            " ALTER TABLE agreements_commitment DROP CONSTRAINT agreements_commitment_id_team_uniq",
            params=None,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0017_year_tallies'),
    ]

    operations = _rules.around_sqlite_remakes([
        migrations.AddField(
            model_name='progressupdate',
            name='team',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agreements.team', verbose_name='team'),
        ),
        migrations.RunPython(guard_then_copy, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='progressupdate',
            name='team',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agreements.team', verbose_name='team'),
        ),
    ]) + [
        migrations.AddIndex(
            model_name='progressupdate',
            index=models.Index(
                fields=['team', 'review_state', 'created_at', 'id'],
                name='progress_update_awaiting',
            ),
        ),
        migrations.RunPython(keys, no_keys),
    ]
