"""A commitment's theme is a ``Theme`` record: the column keeps its name and values ("drugs"),
and a foreign key now holds it to the themes table.

SQLite cannot add a foreign key to a column in place: Django rebuilds the table, which drops
the table's own triggers (the tally's, 0012; the stored copies', 0017) and is refused while a
trigger elsewhere names the table (the meeting's tally). Every trigger naming the table is set
aside first and written again after, exactly as it was.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLES = ("agreements_commitment", "agreements_historicalcommitment")
_kept: list[str] = []


def keep_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
            "(tbl_name IN (%s, %s) OR sql LIKE %s OR sql LIKE %s)",
            [*TABLES, *(f"%{table}%" for table in TABLES)],
        )
        triggers = cursor.fetchall()
    for name, _ in triggers:
        schema_editor.execute(f'DROP TRIGGER "{name}"')
    _kept[:] = [sql for _, sql in triggers]


def restore_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in _kept:
        schema_editor.execute(sql)
    _kept.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0025_themes_as_records"),
    ]

    operations = [
        migrations.RunPython(keep_triggers, restore_triggers),
        migrations.RemoveConstraint(
            model_name="commitment",
            name="commitment_theme_valid",
        ),
        migrations.AlterField(
            model_name="commitment",
            name="theme",
            field=models.ForeignKey(
                db_column="theme",
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="commitments",
                to="agreements.theme",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcommitment",
            name="theme",
            field=models.ForeignKey(
                blank=True,
                db_column="theme",
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="agreements.theme",
            ),
        ),
        migrations.RunPython(restore_triggers, keep_triggers),
    ]
