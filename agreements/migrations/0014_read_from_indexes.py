"""Reads from indexes alone, at 1,000,000 commitments:

- the month tallies' keys hold their counts on PostgreSQL (``CountingKey``): a team's months
  are read from the index alone (the compliance tally's by party, then month: a curve reads
  the parties it draws). Their teams' own indexes go: each key leads with its team;
- a meeting's parties by party, then meeting: the meetings list asks, party by party, whether
  one of the reader's meetings had it (``MeetingFilterForm``): one index entry each, where the
  index of the party alone was read whole (8,335 entries a party, 15 ms a list)."""

import django.db.models.deletion
from django.db import migrations, models

import agreements.models.status_history


def team(model_name):
    return migrations.AlterField(
        model_name=model_name,
        name="team",
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.CASCADE,
            related_name="+",
            to="agreements.team",
        ),
    )


KEYS = {
    "statusmonthtally": (
        "status_month_tally_key",
        ("team", "month", "theme", "status", "is_stalled", "cancelled", "active"),
    ),
    "compliancemonthtally": ("compliance_month_tally_key", ("team", "party", "month", "score")),
}


def rekeyed(model_name):
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
        ("agreements", "0013_commitment_list_live"),
    ]

    operations = [
        team("statusmonthtally"),
        team("compliancemonthtally"),
        *rekeyed("statusmonthtally"),
        *rekeyed("compliancemonthtally"),
        migrations.RunSQL(
            "CREATE INDEX meeting_parties_by_party ON agreements_meeting_parties "
            "(party_id, meeting_id)",
            "DROP INDEX meeting_parties_by_party",
        ),
    ]
