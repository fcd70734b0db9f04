"""The database's rules for documents kept with sources (#23), made by migration 0009: beside
``_rules`` (which holds every other rule) as ``_search`` is."""

from __future__ import annotations

from django.db import migrations

# Kept files (#23, migration 0009): evidence, never deleted; of a row, only the words read from
# it (and how that went) ever change. Their words stored for search as every searched record's.
SOURCE_FILES_POSTGRESQL = r"""
CREATE FUNCTION agreements_sourcefile_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - 'text' - 'extraction' - 'extraction_note' - 'search_vector')
            IS DISTINCT FROM (to_jsonb(OLD) - 'text' - 'extraction' - 'extraction_note' - 'search_vector') THEN
        RAISE EXCEPTION 'a kept file is evidence, never deleted or changed: % of file % refused',
            TG_OP, OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_sourcefile_kept BEFORE UPDATE OR DELETE ON agreements_sourcefile
    FOR EACH ROW EXECUTE FUNCTION agreements_sourcefile_guard();

CREATE FUNCTION agreements_sourcefile_search_words() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := to_tsvector('simple'::regconfig, COALESCE(NEW.name, '') || ' ' || COALESCE(NEW.text, ''));
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_sourcefile_search_words BEFORE INSERT OR UPDATE OF name, text
    ON agreements_sourcefile FOR EACH ROW EXECUTE FUNCTION agreements_sourcefile_search_words();
CREATE INDEX sourcefile_search_words ON agreements_sourcefile USING gin (search_vector);
"""


def keep_source_files() -> migrations.RunPython:
    """Migration 0009's rules for kept files (PostgreSQL; SQLite keeps them by the application,
    as every append-only rule: see the module's docstring)."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(SOURCE_FILES_POSTGRESQL, params=None)

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                "DROP INDEX sourcefile_search_words;"
                " DROP FUNCTION agreements_sourcefile_guard() CASCADE;"
                " DROP FUNCTION agreements_sourcefile_search_words() CASCADE",
                params=None,
            )

    return migrations.RunPython(create, drop)
