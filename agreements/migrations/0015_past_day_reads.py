"""A past day's commitment list sorted by the state then reads a page's rows along an index of
the status spans by team, status and commitment, which carries each span's days on
PostgreSQL (``CoveringIndex``): a run of one team's rows walks it, skipping the spans that
did not hold that day, where every commitment the team had agreed by then was sorted (70 ms
at 100,000; under a millisecond now)."""

from django.db import migrations

import agreements.models.base


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0014_read_from_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="statusspan",
            index=agreements.models.base.CoveringIndex(
                covers=("starts_on", "ends_on"),
                fields=["team", "status", "commitment"],
                name="status_span_team_status",
            ),
        ),
    ]
