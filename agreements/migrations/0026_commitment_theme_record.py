"""A commitment's theme is a ``Theme`` record: the column keeps its name and values ("drugs"),
and a foreign key now holds it to the themes table.

SQLite cannot add a foreign key to a column in place: it rebuilds the table, around the
triggers that name it (``_sqlite_triggers``).
"""

import django.db.models.deletion
from django.db import migrations, models

from ._sqlite_triggers import around

class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0025_themes_as_records"),
    ]

    operations = around(
        ("agreements_commitment", "agreements_historicalcommitment"),
        [
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
        ],
    )
