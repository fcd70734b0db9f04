"""Citations of statements and claims never vanish behind the record's back: on PostgreSQL the
database refuses removing or changing one unless the transaction is a recorded edit of the
record (``audit.allow_citation_edits``, which the admin's save sets, naming the editor). The
citations of updates and assessments are never removed at all (0018).
"""

from django.db import migrations

TABLES = ["agreements_statement_sources", "agreements_claim_sources"]

FORWARD = """
CREATE OR REPLACE FUNCTION agreements_refuse_unrecorded_uncite() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('agreements.citations_edited_by', true), '') = '' THEN
        RAISE EXCEPTION '% of a citation in % refused: only an edit of the record removes one',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"CREATE TRIGGER {table}_kept BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION agreements_refuse_unrecorded_uncite();\n"
    for table in TABLES
)

BACKWARD = "".join(f"DROP TRIGGER IF EXISTS {table}_kept ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION IF EXISTS agreements_refuse_unrecorded_uncite();\n"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0023_events_archived_bodies_membership_note")]

    operations = [migrations.RunPython(forward, backward)]
