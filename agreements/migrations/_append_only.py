"""The append-only trigger every history table carries on PostgreSQL (the function comes from
0003; 0006 and 0027 gave it to the tables of their time). A migration creating a history table
adds ``append_only("agreements_historical…")`` to its operations; a test checks none is missed.
(The migration loader skips this module: its name starts with an underscore.)"""

from django.db import migrations


def append_only(table: str) -> migrations.RunPython:
    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION agreements_refuse_change()"
            )

    # Backwards, the table goes (with its trigger) in the migration's own reversal.
    return migrations.RunPython(create, migrations.RunPython.noop)
