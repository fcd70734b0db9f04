"""The copies of 0016 kept where they change, for the claims list, the meeting page and the
dashboard's "no update for 90 days":

- a claim carries its record's meeting and team (``Claim.record_meeting``, ``Claim.team``),
  copied from its subject. On PostgreSQL a trigger sets them from the subject on every write
  (whatever the writer sends) and a foreign key over (record_meeting, team) to the meeting's
  (id, team) follows a meeting that changes team;
- a commitment carries the time of its newest progress update (``last_update_at``), written
  by a trigger on every insert of an update, on PostgreSQL and on SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models

# The meeting a claim's subject belongs to, as SQL over the row ``row``.
RECORD_MEETING = (
    "COALESCE({row}.meeting_id,"
    " (SELECT c.meeting_id FROM agreements_commitment c WHERE c.id = {row}.commitment_id),"
    " (SELECT b.meeting_id FROM agreements_implementationbody b WHERE b.id = {row}.body_id))"
)

PG_FORWARD = f"""
ALTER TABLE agreements_meeting
    ADD CONSTRAINT agreements_meeting_id_team_uniq UNIQUE (id, team_id);
ALTER TABLE agreements_claim
    ADD CONSTRAINT agreements_claim_copies_meeting
    FOREIGN KEY (record_meeting_id, team_id) REFERENCES agreements_meeting (id, team_id)
    ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;

CREATE OR REPLACE FUNCTION agreements_claim_copies() RETURNS trigger AS $$
BEGIN
    -- The writer's values stand only when the subject is not there yet (a bulk load whose
    -- foreign keys are checked at commit); the composite key then checks the team.
    NEW.record_meeting_id := COALESCE({RECORD_MEETING.format(row="NEW")}, NEW.record_meeting_id);
    NEW.team_id := COALESCE((SELECT m.team_id FROM agreements_meeting m
                             WHERE m.id = NEW.record_meeting_id), NEW.team_id);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_claim_copies BEFORE INSERT OR UPDATE OF
    meeting_id, commitment_id, body_id, record_meeting_id, team_id
    ON agreements_claim FOR EACH ROW EXECUTE FUNCTION agreements_claim_copies();

CREATE OR REPLACE FUNCTION agreements_commitment_last_update() RETURNS trigger AS $$
BEGIN
    UPDATE agreements_commitment SET last_update_at = NEW.created_at
     WHERE id = NEW.commitment_id
       AND (last_update_at IS NULL OR last_update_at < NEW.created_at);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_commitment_last_update AFTER INSERT
    ON agreements_progressupdate FOR EACH ROW
    EXECUTE FUNCTION agreements_commitment_last_update();
CREATE INDEX commitment_team_last_update
    ON agreements_commitment (team_id, last_update_at NULLS FIRST, id);
"""

PG_BACKWARD = """
DROP INDEX IF EXISTS commitment_team_last_update;
DROP TRIGGER IF EXISTS agreements_commitment_last_update ON agreements_progressupdate;
DROP FUNCTION IF EXISTS agreements_commitment_last_update();
DROP TRIGGER IF EXISTS agreements_claim_copies ON agreements_claim;
DROP FUNCTION IF EXISTS agreements_claim_copies();
ALTER TABLE agreements_claim DROP CONSTRAINT IF EXISTS agreements_claim_copies_meeting;
ALTER TABLE agreements_meeting DROP CONSTRAINT IF EXISTS agreements_meeting_id_team_uniq;
"""

SQLITE_FORWARD = [
    "CREATE INDEX commitment_team_last_update "
    "ON agreements_commitment (team_id, last_update_at, id)",
    "CREATE TRIGGER agreements_commitment_last_update AFTER INSERT ON agreements_progressupdate "
    "BEGIN UPDATE agreements_commitment SET last_update_at = NEW.created_at "
    "WHERE id = NEW.commitment_id "
    "AND (last_update_at IS NULL OR last_update_at < NEW.created_at); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS agreements_commitment_last_update",
    "DROP INDEX IF EXISTS commitment_team_last_update",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    else:
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    else:
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0016_stored_claim_team_last_update")]

    operations = [
        migrations.AlterField(
            model_name="claim",
            name="record_meeting",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agreements.meeting",
            ),
        ),
        migrations.AlterField(
            model_name="claim",
            name="team",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agreements.team",
            ),
        ),
        migrations.RemoveIndex(model_name="claim", name="agreements__verific_ef108c_idx"),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                fields=["team", "verification", "id"], name="claim_team_verification"
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["record_meeting", "id"], name="claim_record_meeting"),
        ),
        migrations.RunPython(install, uninstall),
    ]
