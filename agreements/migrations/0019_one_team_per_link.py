"""One team per link, on PostgreSQL down to the database: a body oversees only commitments of
its own team, a commitment is superseded only by one of its team, and a record cites only
sources of its team. The forms and the admin check the same first (``admin.base.OneTeamForm``);
a claim's team is its subject's by construction (0017).
"""

from django.db import migrations

BODY_TEAM = (
    "(SELECT m.team_id FROM agreements_implementationbody b"
    " JOIN agreements_meeting m ON m.id = b.meeting_id WHERE b.id = {})"
)
MEETING_TEAM = "(SELECT team_id FROM agreements_meeting WHERE id = {})"
COMMITMENT_TEAM = "(SELECT team_id FROM agreements_commitment WHERE id = {})"
VIA_MEETING = (
    "(SELECT m.team_id FROM {table} r"
    " JOIN agreements_meeting m ON m.id = r.meeting_id WHERE r.id = {{}})"
)
VIA_COMMITMENT = (
    "(SELECT c.team_id FROM {table} r"
    " JOIN agreements_commitment c ON c.id = r.commitment_id WHERE r.id = {{}})"
)

# The team of each citing record, as SQL over its id.
CITING = {
    "meeting": MEETING_TEAM,
    "commitment": COMMITMENT_TEAM,
    "implementationbody": BODY_TEAM,
    "bodymembership": (
        "(SELECT m.team_id FROM agreements_bodymembership r"
        " JOIN agreements_implementationbody b ON b.id = r.body_id"
        " JOIN agreements_meeting m ON m.id = b.meeting_id WHERE r.id = {})"
    ),
    "statement": VIA_MEETING.format(table="agreements_statement"),
    "contextevent": VIA_MEETING.format(table="agreements_contextevent"),
    "claim": "(SELECT team_id FROM agreements_claim WHERE id = {})",
    "progressupdate": VIA_COMMITMENT.format(table="agreements_progressupdate"),
    "assessment": VIA_COMMITMENT.format(table="agreements_assessment"),
}


def _refuse(name: str, condition: str, message: str) -> str:
    """A trigger function refusing a row when ``condition`` holds. A comparison with a record
    not written yet (a bulk load whose keys are checked at commit) is NULL: not refused."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    IF {condition} THEN
        RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


FORWARD = _refuse(
    "agreements_body_commitment_one_team",
    f"{BODY_TEAM.format('NEW.implementationbody_id')}"
    f" <> {COMMITMENT_TEAM.format('NEW.commitment_id')}",
    "a body oversees only commitments of its own team",
) + (
    "CREATE TRIGGER agreements_body_commitment_one_team BEFORE INSERT OR UPDATE"
    " ON agreements_implementationbody_commitments FOR EACH ROW"
    " EXECUTE FUNCTION agreements_body_commitment_one_team();\n"
)
FORWARD += _refuse(
    "agreements_superseded_by_one_team",
    "NEW.superseded_by_id IS NOT NULL AND "
    f"{COMMITMENT_TEAM.format('NEW.superseded_by_id')} <> NEW.team_id",
    "a commitment is superseded only by one of its own team",
) + (
    "CREATE TRIGGER agreements_superseded_by_one_team BEFORE INSERT OR UPDATE OF"
    " superseded_by_id, team_id ON agreements_commitment FOR EACH ROW"
    " EXECUTE FUNCTION agreements_superseded_by_one_team();\n"
)
for model, team in CITING.items():
    FORWARD += _refuse(
        f"agreements_{model}_cites_own_team",
        f"{team.format(f'NEW.{model}_id')}"
        " <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id)",
        "a record cites only sources of its own team",
    ) + (
        f"CREATE TRIGGER agreements_{model}_cites_own_team BEFORE INSERT OR UPDATE"
        f" ON agreements_{model}_sources FOR EACH ROW"
        f" EXECUTE FUNCTION agreements_{model}_cites_own_team();\n"
    )

BACKWARD = (
    "DROP TRIGGER IF EXISTS agreements_body_commitment_one_team"
    " ON agreements_implementationbody_commitments;\n"
    "DROP FUNCTION IF EXISTS agreements_body_commitment_one_team();\n"
    "DROP TRIGGER IF EXISTS agreements_superseded_by_one_team ON agreements_commitment;\n"
    "DROP FUNCTION IF EXISTS agreements_superseded_by_one_team();\n"
) + "".join(
    f"DROP TRIGGER IF EXISTS agreements_{model}_cites_own_team ON agreements_{model}_sources;\n"
    f"DROP FUNCTION IF EXISTS agreements_{model}_cites_own_team();\n"
    for model in CITING
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0018_evidence_stays")]

    operations = [migrations.RunPython(forward, backward)]
