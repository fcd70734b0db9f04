"""On PostgreSQL, the change history is append-only too: UPDATE and DELETE on the history
tables are refused (the function comes from 0003)."""

from django.db import migrations


def history_tables(apps) -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_app_config("agreements").get_models()
        if model._meta.db_table.startswith("agreements_historical")
    )


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in history_tables(apps):
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION agreements_refuse_change()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in history_tables(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")


class Migration(migrations.Migration):
    dependencies = [("agreements", "0005_history")]

    operations = [migrations.RunPython(create, drop)]
