"""Persons become each team's own records (security 6): which persons a desk follows is its
business. A person named in one team's records goes to that team; one named by several teams
is copied, one record per team, and each team's links point at its own copy; one named
nowhere goes to the first team. On PostgreSQL the database then refuses a participant, a
speaker or a body member who is another team's person."""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

# (model, its field naming a person, the path from it to its team)
USES = [
    ("Participant", "person", "meeting__team"),
    ("Statement", "speaker", "meeting__team"),
    ("BodyMembership", "person", "body__meeting__team"),
]


def fill(apps, schema_editor):
    Person = apps.get_model("agreements", "Person")
    Team = apps.get_model("agreements", "Team")
    first_team = Team.objects.order_by("pk").values_list("pk", flat=True).first()
    teams_of = defaultdict(set)
    for name, field, path in USES:
        model = apps.get_model("agreements", name)
        rows = model.objects.filter(**{f"{field}__isnull": False})
        for person_id, team_id in rows.values_list(f"{field}_id", f"{path}_id").distinct():
            teams_of[person_id].add(team_id)
    for person in Person.objects.order_by("pk").iterator():
        teams = sorted(teams_of.get(person.pk, ())) or [first_team]
        Person.objects.filter(pk=person.pk).update(team_id=teams[0])
        for team_id in teams[1:]:
            copy = Person.objects.create(
                team_id=team_id,
                name=person.name,
                party_id=person.party_id,
                current_office=person.current_office,
            )
            for name, field, path in USES:
                model = apps.get_model("agreements", name)
                model.objects.filter(**{field: person.pk, f"{path}_id": team_id}).update(
                    **{field: copy.pk}
                )
    if schema_editor.connection.vendor == "postgresql":
        # Run the deferred foreign-key checks now: PostgreSQL alters no table with some queued.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# (table, its person column, its team as SQL over the row)
LINKS = [
    (
        "participant",
        "person_id",
        "(SELECT team_id FROM agreements_meeting WHERE id = NEW.meeting_id)",
    ),
    (
        "statement",
        "speaker_id",
        "(SELECT team_id FROM agreements_meeting WHERE id = NEW.meeting_id)",
    ),
    (
        "bodymembership",
        "person_id",
        "(SELECT m.team_id FROM agreements_implementationbody b"
        " JOIN agreements_meeting m ON m.id = b.meeting_id WHERE b.id = NEW.body_id)",
    ),
]

FORWARD = "".join(
    f"""
CREATE OR REPLACE FUNCTION agreements_{table}_person_one_team() RETURNS trigger AS $$
BEGIN
    IF NEW.{column} IS NOT NULL AND {team}
        <> (SELECT team_id FROM agreements_person WHERE id = NEW.{column}) THEN
        RAISE EXCEPTION 'a record names only persons of its own team'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_{table}_person_one_team BEFORE INSERT OR UPDATE
    ON agreements_{table} FOR EACH ROW EXECUTE FUNCTION agreements_{table}_person_one_team();
"""
    for table, column, team in LINKS
)
BACKWARD = "".join(
    f"DROP TRIGGER IF EXISTS agreements_{table}_person_one_team ON agreements_{table};\n"
    f"DROP FUNCTION IF EXISTS agreements_{table}_person_one_team();\n"
    for table, _, _ in LINKS
)


def triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0019_one_team_per_link")]

    operations = [
        migrations.AddField(
            model_name="person",
            name="team",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="persons",
                to="agreements.team",
            ),
        ),
        migrations.AddField(
            model_name="historicalperson",
            name="team",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="agreements.team",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="person",
            name="team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="persons",
                to="agreements.team",
            ),
        ),
        migrations.RemoveIndex(model_name="person", name="agreements__name_882529_idx"),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["team", "name"], name="person_team_name"),
        ),
        migrations.RunPython(triggers, drop_triggers),
    ]
