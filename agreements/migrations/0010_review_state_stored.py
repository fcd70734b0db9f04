"""A progress update's review state becomes a stored column, written by the actions with the
review event that moves it (it was derived from the events on every read).

On PostgreSQL the progress-update table stays append-only except for that one column, and a
deferred constraint trigger refuses, at commit, a stored state that disagrees with the events.
"""

from django.db import migrations, models

DERIVED_STATE = """
CREATE OR REPLACE FUNCTION agreements_review_state_of(update_id bigint) RETURNS text AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM agreements_reviewevent e
                     WHERE e.update_id = u.id AND e.action = 'approve') THEN 'approved'
        WHEN EXISTS (SELECT 1 FROM agreements_reviewevent e
                     WHERE e.update_id = u.id AND e.action = 'return') THEN 'returned'
        WHEN EXISTS (SELECT 1 FROM agreements_reviewevent e
                     WHERE e.update_id = u.id AND e.action = 'submit')
            THEN CASE WHEN u.revises_id IS NULL THEN 'submitted' ELSE 'resubmitted' END
        ELSE 'draft'
    END
    FROM agreements_progressupdate u WHERE u.id = update_id;
$$ LANGUAGE sql STABLE;
"""

PG_FORWARD = """
CREATE OR REPLACE FUNCTION agreements_progressupdate_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR NEW.review_state IS NOT DISTINCT FROM OLD.review_state
       OR (to_jsonb(NEW) - 'review_state') IS DISTINCT FROM (to_jsonb(OLD) - 'review_state') THEN
        RAISE EXCEPTION 'agreements_progressupdate is append-only but for its review state: % refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS agreements_progressupdate_append_only ON agreements_progressupdate;
CREATE TRIGGER agreements_progressupdate_append_only
    BEFORE UPDATE OR DELETE ON agreements_progressupdate
    FOR EACH ROW EXECUTE FUNCTION agreements_progressupdate_guard();

UPDATE agreements_progressupdate SET review_state = agreements_review_state_of(id);

CREATE OR REPLACE FUNCTION agreements_check_review_state() RETURNS trigger AS $$
DECLARE
    -- The update a row of either table is about (a record's missing field cannot be named).
    checked bigint := (to_jsonb(NEW) ->> CASE WHEN TG_TABLE_NAME = 'agreements_reviewevent'
                                             THEN 'update_id' ELSE 'id' END)::bigint;
    stored text;
BEGIN
    SELECT review_state INTO stored FROM agreements_progressupdate WHERE id = checked;
    IF stored IS DISTINCT FROM agreements_review_state_of(checked) THEN
        RAISE EXCEPTION 'progress update %: review state % disagrees with its review events (%)',
            checked, stored, agreements_review_state_of(checked)
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER agreements_progressupdate_state_agrees
    AFTER INSERT OR UPDATE ON agreements_progressupdate
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION agreements_check_review_state();
CREATE CONSTRAINT TRIGGER agreements_reviewevent_state_agrees
    AFTER INSERT ON agreements_reviewevent
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION agreements_check_review_state();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS agreements_reviewevent_state_agrees ON agreements_reviewevent;
DROP TRIGGER IF EXISTS agreements_progressupdate_state_agrees ON agreements_progressupdate;
DROP FUNCTION IF EXISTS agreements_check_review_state();
DROP TRIGGER IF EXISTS agreements_progressupdate_append_only ON agreements_progressupdate;
CREATE TRIGGER agreements_progressupdate_append_only
    BEFORE UPDATE OR DELETE ON agreements_progressupdate
    FOR EACH ROW EXECUTE FUNCTION agreements_refuse_change();
DROP FUNCTION IF EXISTS agreements_progressupdate_guard();
DROP FUNCTION IF EXISTS agreements_review_state_of(bigint);
"""


def store_states(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DERIVED_STATE, params=None)
        schema_editor.execute(PG_FORWARD, params=None)
        return
    ProgressUpdate = apps.get_model("agreements", "ProgressUpdate")
    ReviewEvent = apps.get_model("agreements", "ReviewEvent")
    decided = dict(
        ReviewEvent.objects.exclude(action="submit").values_list("update_id", "action")
    )
    submitted = set(
        ReviewEvent.objects.filter(action="submit").values_list("update_id", flat=True)
    )
    for update in ProgressUpdate.objects.all():
        if decided.get(update.pk) == "approve":
            state = "approved"
        elif decided.get(update.pk) == "return":
            state = "returned"
        elif update.pk in submitted:
            state = "resubmitted" if update.revises_id else "submitted"
        else:
            state = "draft"
        ProgressUpdate.objects.filter(pk=update.pk).update(review_state=state)


def unstore_states(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0009_invariants_stated_once")]

    operations = [
        migrations.AlterModelOptions(
            name="progressupdate",
            options={"ordering": ["-created_at", "-pk"]},
        ),
        migrations.AddField(
            model_name="progressupdate",
            name="review_state",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("submitted", "Submitted"),
                    ("approved", "Approved"),
                    ("returned", "Returned for revision"),
                    ("resubmitted", "Resubmitted"),
                ],
                default="draft",
                editable=False,
                max_length=12,
            ),
        ),
        migrations.RunPython(store_states, unstore_states),
        migrations.AddIndex(
            model_name="progressupdate",
            index=models.Index(
                fields=["review_state", "created_at"], name="agreements__review__7797f0_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="progressupdate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("review_state__in", ["draft", "submitted", "approved", "returned", "resubmitted"])
                ),
                name="progress_update_review_state_valid",
                violation_error_message=(
                    "Choose one of: Draft, Submitted, Approved, Returned for revision, Resubmitted."
                ),
            ),
        ),
    ]
