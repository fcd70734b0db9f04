"""The ten themes the tracker starts with (a records admin adds and archives others)."""

from django.db import migrations

# As ``Theme.DEFAULTS`` read when this migration was written (a migration keeps its own copy).
THEMES = [
    ("drugs", "Drugs", "Illicit drugs and their precursors: fentanyl, cocaine, synthetics."),
    ("arms", "Arms trafficking", "Illicit firearms and ammunition crossing borders."),
    ("fuel_theft", "Fuel theft", "Theft and smuggling of fuel (huachicol)."),
    ("migration", "Migration", "Irregular migration, asylum and border control."),
    ("sovereignty", "Sovereignty", "Territorial integrity and non-intervention."),
    ("security", "Security cooperation", "Joint security work, intelligence, extraditions."),
    ("trade", "Trade", "Tariffs, market access and trade agreements."),
    ("energy", "Energy", "Energy supply, investment and transition."),
    ("health", "Health", "Public health and health systems."),
    ("other", "Other", "Anything no other theme covers."),
]


def seed(apps, schema_editor):
    Theme = apps.get_model("agreements", "Theme")
    Theme.objects.bulk_create(Theme(code=c, name=n, description=d) for c, n, d in THEMES)


def unseed(apps, schema_editor):
    """Refused (PROTECT) while commitments have one of them."""
    Theme = apps.get_model("agreements", "Theme")
    Theme.objects.filter(code__in=[code for code, _, _ in THEMES]).delete()


class Migration(migrations.Migration):
    dependencies = [("agreements", "0002_database_rules")]

    operations = [migrations.RunPython(seed, unseed)]
