"""The rules the database itself keeps (triggers, their functions, the constraints and indexes
the models cannot state), each written once per database in ``_rules``: the final form of what
migrations 0002–0038 built up before the reset of December 2026."""

from django.db import migrations

from . import _rules


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]

    operations = [migrations.RunPython(_rules.install, _rules.uninstall)]
