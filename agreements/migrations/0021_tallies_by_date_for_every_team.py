"""Each day and month tally's index by date alone, for a reader who sees every team (a records
admin): the tallies' keys lead with the team, so such a read of a date range scanned the
whole table (``history_tallies``)."""

import agreements.models.base
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0020_span_target_date'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='compliancedaytally',
            index=agreements.models.base.CoveringIndex(fields=['day'], covers=('party', 'score', 'n'), name='compliance_day_every'),
        ),
        migrations.AddIndex(
            model_name='compliancemonthtally',
            index=agreements.models.base.CoveringIndex(fields=['month'], covers=('party', 'score', 'n'), name='compliance_month_every'),
        ),
        migrations.AddIndex(
            model_name='statusdaytally',
            index=agreements.models.base.CoveringIndex(fields=['day'], covers=('theme', 'status', 'is_stalled', 'cancelled', 'active', 'n'), name='status_day_every'),
        ),
        migrations.AddIndex(
            model_name='statusmonthtally',
            index=agreements.models.base.CoveringIndex(fields=['month'], covers=('theme', 'status', 'is_stalled', 'cancelled', 'active', 'n'), name='status_month_every'),
        ),
    ]
