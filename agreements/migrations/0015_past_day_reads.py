"""A past day's commitment list sorted by the state then reads a page's rows along an index of
the status spans by team, status and commitment, which carries each span's days on
PostgreSQL (``CoveringIndex``): a run of one team's rows walks it, skipping the spans that
did not hold that day, where every commitment the team had agreed by then was sorted (70 ms
at 100,000; under a millisecond now).

The day tallies' keys hold their counts on PostgreSQL (``CountingKey``), as the month
tallies' do (0014): a past day's own month, summed for its figures and the list's size, is
read from the index alone, where it visited a table page a row (700 rows at 100,000)."""

from django.db import migrations

import agreements.models.base
import agreements.models.status_history

KEYS = {
    "statusdaytally": (
        "status_day_tally_key",
        ("team", "day", "theme", "status", "is_stalled", "cancelled", "active"),
    ),
    "compliancedaytally": ("compliance_day_tally_key", ("team", "day", "party", "score")),
}


def rekeyed(model_name):
    """The key made again, holding the count (as 0014's ``rekeyed``)."""
    name, fields = KEYS[model_name]
    return [
        migrations.RemoveConstraint(model_name=model_name, name=name),
        migrations.AddConstraint(
            model_name=model_name,
            constraint=agreements.models.status_history.CountingKey(fields=fields, name=name),
        ),
    ]


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
        *rekeyed("statusdaytally"),
        *rekeyed("compliancedaytally"),
    ]
