"""On PostgreSQL the database itself refuses UPDATE and DELETE on the append-only tables:
progress updates, their review events, compliance assessments and the status history.

Also there: nobody records a review decision on their own update. (SQLite keeps these rules in
the application only: its test runner empties tables with DELETE, which such triggers refuse.)
"""

from django.db import migrations

APPEND_ONLY = [
    "agreements_progressupdate",
    "agreements_reviewevent",
    "agreements_assessment",
    "agreements_statuschange",
]

CREATE = """
CREATE OR REPLACE FUNCTION agreements_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION agreements_refuse_own_review() RETURNS trigger AS $$
BEGIN
    IF NEW.action <> 'submit' AND NEW.by_id = (
        SELECT author_id FROM agreements_progressupdate WHERE id = NEW.update_id
    ) THEN
        RAISE EXCEPTION 'nobody reviews their own update'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER agreements_reviewevent_not_own BEFORE INSERT ON agreements_reviewevent
    FOR EACH ROW EXECUTE FUNCTION agreements_refuse_own_review();
"""

DROP = """
DROP TRIGGER IF EXISTS agreements_reviewevent_not_own ON agreements_reviewevent;
DROP FUNCTION IF EXISTS agreements_refuse_own_review();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in APPEND_ONLY:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION agreements_refuse_change()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS agreements_refuse_change()")
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0002_review_events")]

    operations = [migrations.RunPython(create, drop)]
