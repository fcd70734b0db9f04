"""Full-text search on PostgreSQL: a GIN index per searched model over the very expression the
queries use (``agreements.search.vector``). SQLite searches without one."""

from django.db import migrations

from agreements.search import SEARCHED, index_for

MODELS = [model._meta.model_name for model in SEARCHED]


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model in SEARCHED:
        schema_editor.add_index(apps.get_model("agreements", model.__name__), index_for(model))


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model in SEARCHED:
        schema_editor.remove_index(apps.get_model("agreements", model.__name__), index_for(model))


class Migration(migrations.Migration):
    dependencies = [("agreements", "0014_compliance_tally")]

    operations = [migrations.RunPython(add, remove)]
