"""Evidence never disappears, on PostgreSQL down to the database: a source is never deleted (the
citations of updates, assessments, statements and claims point at it; retiring one is leaving
it uncited), and the citations of the append-only records, progress updates and assessments,
are neither removed nor changed. The admin offers no delete for these records either.
(SQLite keeps the rule in the application only, as for the append-only tables: 0003.)
"""

from django.db import migrations

CITATIONS_OF_APPEND_ONLY = ["agreements_progressupdate_sources", "agreements_assessment_sources"]

FORWARD = """
CREATE OR REPLACE FUNCTION agreements_refuse_source_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a source is never deleted (records cite it): DELETE of source % refused',
        OLD.id USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_source_kept BEFORE DELETE ON agreements_source
    FOR EACH ROW EXECUTE FUNCTION agreements_refuse_source_delete();
""" + "".join(
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION agreements_refuse_change();\n"
    for table in CITATIONS_OF_APPEND_ONLY
)

BACKWARD = "".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n"
    for table in CITATIONS_OF_APPEND_ONLY
) + (
    "DROP TRIGGER IF EXISTS agreements_source_kept ON agreements_source;\n"
    "DROP FUNCTION IF EXISTS agreements_refuse_source_delete();\n"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0017_stored_copies_kept")]

    operations = [migrations.RunPython(forward, backward)]
