"""Facts dated when they happened, apart from when they were recorded: a progress update's day
of progress, the day a status change took effect, a milestone's date moved, a membership
confirmed, a claim verified. Rows written before this migration take the day it runs (the
schema was reset on 6 Dec 2026 and holds no released data)."""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from . import _rules


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0003_seed_themes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = _rules.around_sqlite_remakes([
        migrations.AddField(
            model_name='bodymembership',
            name='confirmed_on',
            field=models.DateField(blank=True, null=True, verbose_name='confirmed on'),
        ),
        migrations.AddField(
            model_name='claim',
            name='verified_on',
            field=models.DateField(blank=True, null=True, verbose_name='verified on'),
        ),
        migrations.AddField(
            model_name='historicalbodymembership',
            name='confirmed_on',
            field=models.DateField(blank=True, null=True, verbose_name='confirmed on'),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='verified_on',
            field=models.DateField(blank=True, null=True, verbose_name='verified on'),
        ),
        migrations.AddField(
            model_name='milestonereschedule',
            name='moved_on',
            field=models.DateField(default=django.utils.timezone.localdate, verbose_name='moved on'),
        ),
        migrations.AddField(
            model_name='progressupdate',
            name='happened_on',
            field=models.DateField(default=django.utils.timezone.localdate, verbose_name='happened on'),
        ),
        migrations.AddField(
            model_name='statuschange',
            name='effective_on',
            field=models.DateField(default=django.utils.timezone.localdate, verbose_name='effective on'),
        ),
        migrations.AddIndex(
            model_name='statuschange',
            index=models.Index(fields=['commitment', 'effective_on', 'changed_at', 'id'], name='status_change_effective'),
        ),
    ])
