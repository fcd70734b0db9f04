"""The updates awaiting review in the review queue's order (oldest first, then id), an index of
those alone: each team's run of the queue (``views/reviews.py``, ``paging.runs``) walks it to
its first rows and stops, where the (state, time) index served one state at a time and every
run sorted its whole team's waiting updates for a page of 25."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0016_milestone_open_due'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='progressupdate',
            index=models.Index(
                condition=models.Q(('review_state__in', ('submitted', 'resubmitted'))),
                fields=['created_at', 'id'],
                name='progress_update_awaiting',
            ),
        ),
    ]
