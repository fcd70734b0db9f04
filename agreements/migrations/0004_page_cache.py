"""The shared cache's table (settings.CACHES, Django's database cache) for the pages drawn once
per revision of the records (``models.revision``). It goes with that cache: when the cache is
removed, this migration is deleted with it."""

from django.core.management import call_command
from django.db import migrations


def cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS tracker_cache")


class Migration(migrations.Migration):
    dependencies = [("agreements", "0003_seed_themes")]

    operations = [migrations.RunPython(cache_table, drop_cache_table)]
