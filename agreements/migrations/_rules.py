"""The rules the database itself keeps, each in its current form and in one place: written once
for PostgreSQL (``POSTGRESQL``) and once for SQLite (``SQLITE``). Migration 0002 applies them.

PostgreSQL keeps them all:

- append-only tables (progress updates but for their review state and team copy, review events, assessments,
  status changes, milestone reschedules, the citations of updates and assessments, every
  history table): UPDATE and DELETE refused;
- nobody records a review decision on their own update; a progress update's stored review
  state agrees with its review events (checked at commit);
- a source is never deleted, nor a file kept with it (whose row changes only in the words read
  from it: ``_files.SOURCE_FILES_POSTGRESQL``, from migration 0009); a citation of a statement or a claim is removed or changed only
  inside a recorded edit of the record (``audit.allow_citation_edits`` sets
  ``agreements.citations_edited_by``);
- one team per link: a body oversees, a commitment is superseded by, a record cites, a record
  names (persons), a meeting is related to, only its own team's; a statement mentions only its
  own meeting's commitments;
- copies kept where they change: a commitment's team and meeting date (a composite foreign
  key to the meeting), a progress update's team (a composite foreign key to the commitment,
  ``UPDATE_TEAM_POSTGRESQL``, from migration 0018), a claim's record meeting and team (a
  trigger, and a composite foreign key), a commitment's newest update time (a trigger);
- the tallies (``models.tallies``): commitments per team and state, compliance per team and
  party, moved by every write in the same transaction (-1/+1 rows, never updated);
- each searched record's stored words (``search_vector``), read in its own language, accents
  and case aside, indexed by GIN (``_search.SEARCH_POSTGRESQL``, made by migration 0008).

SQLite keeps the tallies and the newest update time (the same logic in its dialect) and the
index the commitment list sorts on; the other rules are kept there by the application only
(its test runner empties tables with DELETE, which append-only triggers would refuse).

To change a rule once databases exist, change it here and add a migration that drops and
creates that rule again from here. Trap: on SQLite a migration that remakes a table (most
AlterFields) drops the table's triggers and is refused while a trigger elsewhere names it: set
the triggers aside and create them again around it. (The migration loader skips this module:
its name starts with an underscore.)
"""

from django.db import migrations

from ._search import SEARCHED_TABLES
from ._sqlite import SQLITE

# Refused UPDATE and DELETE on PostgreSQL, with every history table (``history_tables``).
APPEND_ONLY = [
    "agreements_reviewevent",
    "agreements_assessment",
    "agreements_statuschange",
    "agreements_milestonereschedule",
    "agreements_progressupdate_sources",
    "agreements_assessment_sources",
]

# A progress update is append-only but for its review state, which the actions move with the
# review event that moves it, and its copy of its commitment's team, which follows the commitment
# (``UPDATE_TEAM_POSTGRESQL``). Read as JSON, the team is there or not whether the column exists
# (it came with migration 0018; migration 0002 makes this function, 0018 replaces it).
PROGRESS_UPDATE_GUARD = r"""
CREATE FUNCTION agreements_progressupdate_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR (NEW.review_state IS NOT DISTINCT FROM OLD.review_state
           AND (to_jsonb(NEW) -> 'team_id') IS NOT DISTINCT FROM (to_jsonb(OLD) -> 'team_id'))
       OR (to_jsonb(NEW) - 'review_state' - 'team_id') IS DISTINCT FROM (to_jsonb(OLD) - 'review_state' - 'team_id') THEN
        RAISE EXCEPTION 'agreements_progressupdate is append-only but for its review state: % refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# A progress update carries its commitment's team (the review queue reads each team's waiting
# updates along an index that leads with it, ``progress_update_awaiting``); the composite key
# keeps it equal to the commitment's, which follows its meeting's. Made by migration 0018, after
# the column.
UPDATE_TEAM_POSTGRESQL = r"""
ALTER TABLE agreements_commitment
    ADD CONSTRAINT agreements_commitment_id_team_uniq UNIQUE (id, team_id);
ALTER TABLE agreements_progressupdate
    ADD CONSTRAINT agreements_progressupdate_copies_commitment
    FOREIGN KEY (commitment_id, team_id) REFERENCES agreements_commitment (id, team_id)
    ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
"""

POSTGRESQL = r"""
-- Append-only tables ---------------------------------------------------------------------------

CREATE FUNCTION agreements_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

-- (Its triggers, one per table of APPEND_ONLY and per history table, are made by
-- ``append_only_sql``.)

""" + PROGRESS_UPDATE_GUARD + r"""CREATE TRIGGER agreements_progressupdate_append_only
    BEFORE UPDATE OR DELETE ON agreements_progressupdate
    FOR EACH ROW EXECUTE FUNCTION agreements_progressupdate_guard();

-- Reviews --------------------------------------------------------------------------------------

CREATE FUNCTION agreements_refuse_own_review() RETURNS trigger AS $$
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

-- The review state an update's events give it (the stored column must agree, at commit).
CREATE FUNCTION agreements_review_state_of(update_id bigint) RETURNS text AS $$
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

CREATE FUNCTION agreements_check_review_state() RETURNS trigger AS $$
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

-- Evidence stays -------------------------------------------------------------------------------

CREATE FUNCTION agreements_refuse_source_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a source is never deleted (records cite it): DELETE of source % refused',
        OLD.id USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_source_kept BEFORE DELETE ON agreements_source
    FOR EACH ROW EXECUTE FUNCTION agreements_refuse_source_delete();

-- A statement's or a claim's citation goes only in a recorded edit of the record.
CREATE FUNCTION agreements_refuse_unrecorded_uncite() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('agreements.citations_edited_by', true), '') = '' THEN
        RAISE EXCEPTION '% of a citation in % refused: only an edit of the record removes one',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_statement_sources_kept BEFORE UPDATE OR DELETE
    ON agreements_statement_sources
    FOR EACH ROW EXECUTE FUNCTION agreements_refuse_unrecorded_uncite();
CREATE TRIGGER agreements_claim_sources_kept BEFORE UPDATE OR DELETE
    ON agreements_claim_sources
    FOR EACH ROW EXECUTE FUNCTION agreements_refuse_unrecorded_uncite();

-- One team per link ----------------------------------------------------------------------------
-- A comparison with a record not written yet (a bulk load whose keys are checked at commit) is
-- NULL: not refused. The forms and the admin check the same first (``admin.base.OneTeamForm``).

CREATE FUNCTION agreements_body_commitment_one_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT m.team_id FROM agreements_implementationbody b JOIN agreements_meeting m ON m.id = b.meeting_id WHERE b.id = NEW.implementationbody_id) <> (SELECT team_id FROM agreements_commitment WHERE id = NEW.commitment_id) THEN
        RAISE EXCEPTION 'a body oversees only commitments of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_body_commitment_one_team BEFORE INSERT OR UPDATE
    ON agreements_implementationbody_commitments
    FOR EACH ROW EXECUTE FUNCTION agreements_body_commitment_one_team();

CREATE FUNCTION agreements_superseded_by_one_team() RETURNS trigger AS $$
BEGIN
    IF NEW.superseded_by_id IS NOT NULL AND (SELECT team_id FROM agreements_commitment WHERE id = NEW.superseded_by_id) <> NEW.team_id THEN
        RAISE EXCEPTION 'a commitment is superseded only by one of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_superseded_by_one_team BEFORE INSERT OR UPDATE OF superseded_by_id, team_id
    ON agreements_commitment
    FOR EACH ROW EXECUTE FUNCTION agreements_superseded_by_one_team();

CREATE FUNCTION agreements_meetinglink_one_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT team_id FROM agreements_meeting WHERE id = NEW.meeting_id)
        <> (SELECT team_id FROM agreements_meeting WHERE id = NEW.other_id) THEN
        RAISE EXCEPTION 'a meeting is related only to meetings of its own team'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_meetinglink_one_team BEFORE INSERT OR UPDATE
    ON agreements_meetinglink FOR EACH ROW EXECUTE FUNCTION agreements_meetinglink_one_team();

CREATE FUNCTION agreements_statement_mentions_own_meeting() RETURNS trigger AS $$
BEGIN
    IF (SELECT meeting_id FROM agreements_statement WHERE id = NEW.statement_id)
        <> (SELECT meeting_id FROM agreements_commitment WHERE id = NEW.commitment_id) THEN
        RAISE EXCEPTION 'a statement mentions only commitments of its own meeting'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_statement_mentions_own_meeting BEFORE INSERT OR UPDATE
    ON agreements_statement_commitments FOR EACH ROW
    EXECUTE FUNCTION agreements_statement_mentions_own_meeting();

-- A record names only persons of its own team: participants, speakers, body members.
CREATE FUNCTION agreements_participant_person_one_team() RETURNS trigger AS $$
BEGIN
    IF NEW.person_id IS NOT NULL AND (SELECT team_id FROM agreements_meeting WHERE id = NEW.meeting_id)
        <> (SELECT team_id FROM agreements_person WHERE id = NEW.person_id) THEN
        RAISE EXCEPTION 'a record names only persons of its own team'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_participant_person_one_team BEFORE INSERT OR UPDATE
    ON agreements_participant FOR EACH ROW EXECUTE FUNCTION agreements_participant_person_one_team();

CREATE FUNCTION agreements_statement_person_one_team() RETURNS trigger AS $$
BEGIN
    IF NEW.speaker_id IS NOT NULL AND (SELECT team_id FROM agreements_meeting WHERE id = NEW.meeting_id)
        <> (SELECT team_id FROM agreements_person WHERE id = NEW.speaker_id) THEN
        RAISE EXCEPTION 'a record names only persons of its own team'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_statement_person_one_team BEFORE INSERT OR UPDATE
    ON agreements_statement FOR EACH ROW EXECUTE FUNCTION agreements_statement_person_one_team();

CREATE FUNCTION agreements_bodymembership_person_one_team() RETURNS trigger AS $$
BEGIN
    IF NEW.person_id IS NOT NULL AND (SELECT m.team_id FROM agreements_implementationbody b JOIN agreements_meeting m ON m.id = b.meeting_id WHERE b.id = NEW.body_id)
        <> (SELECT team_id FROM agreements_person WHERE id = NEW.person_id) THEN
        RAISE EXCEPTION 'a record names only persons of its own team'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_bodymembership_person_one_team BEFORE INSERT OR UPDATE
    ON agreements_bodymembership FOR EACH ROW EXECUTE FUNCTION agreements_bodymembership_person_one_team();

-- A record cites only sources of its own team: one function per citation table, each reading
-- the citing record's team its own way.
CREATE FUNCTION agreements_meeting_cites_own_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT team_id FROM agreements_meeting WHERE id = NEW.meeting_id) <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id) THEN
        RAISE EXCEPTION 'a record cites only sources of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_meeting_cites_own_team BEFORE INSERT OR UPDATE
    ON agreements_meeting_sources FOR EACH ROW EXECUTE FUNCTION agreements_meeting_cites_own_team();

CREATE FUNCTION agreements_commitment_cites_own_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT team_id FROM agreements_commitment WHERE id = NEW.commitment_id) <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id) THEN
        RAISE EXCEPTION 'a record cites only sources of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_commitment_cites_own_team BEFORE INSERT OR UPDATE
    ON agreements_commitment_sources FOR EACH ROW EXECUTE FUNCTION agreements_commitment_cites_own_team();

CREATE FUNCTION agreements_implementationbody_cites_own_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT m.team_id FROM agreements_implementationbody b JOIN agreements_meeting m ON m.id = b.meeting_id WHERE b.id = NEW.implementationbody_id) <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id) THEN
        RAISE EXCEPTION 'a record cites only sources of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_implementationbody_cites_own_team BEFORE INSERT OR UPDATE
    ON agreements_implementationbody_sources FOR EACH ROW EXECUTE FUNCTION agreements_implementationbody_cites_own_team();

CREATE FUNCTION agreements_bodymembership_cites_own_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT m.team_id FROM agreements_bodymembership r JOIN agreements_implementationbody b ON b.id = r.body_id JOIN agreements_meeting m ON m.id = b.meeting_id WHERE r.id = NEW.bodymembership_id) <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id) THEN
        RAISE EXCEPTION 'a record cites only sources of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_bodymembership_cites_own_team BEFORE INSERT OR UPDATE
    ON agreements_bodymembership_sources FOR EACH ROW EXECUTE FUNCTION agreements_bodymembership_cites_own_team();

CREATE FUNCTION agreements_statement_cites_own_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT m.team_id FROM agreements_statement r JOIN agreements_meeting m ON m.id = r.meeting_id WHERE r.id = NEW.statement_id) <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id) THEN
        RAISE EXCEPTION 'a record cites only sources of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_statement_cites_own_team BEFORE INSERT OR UPDATE
    ON agreements_statement_sources FOR EACH ROW EXECUTE FUNCTION agreements_statement_cites_own_team();

CREATE FUNCTION agreements_contextevent_cites_own_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT m.team_id FROM agreements_contextevent r JOIN agreements_meeting m ON m.id = r.meeting_id WHERE r.id = NEW.contextevent_id) <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id) THEN
        RAISE EXCEPTION 'a record cites only sources of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_contextevent_cites_own_team BEFORE INSERT OR UPDATE
    ON agreements_contextevent_sources FOR EACH ROW EXECUTE FUNCTION agreements_contextevent_cites_own_team();

CREATE FUNCTION agreements_claim_cites_own_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT team_id FROM agreements_claim WHERE id = NEW.claim_id) <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id) THEN
        RAISE EXCEPTION 'a record cites only sources of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_claim_cites_own_team BEFORE INSERT OR UPDATE
    ON agreements_claim_sources FOR EACH ROW EXECUTE FUNCTION agreements_claim_cites_own_team();

CREATE FUNCTION agreements_progressupdate_cites_own_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT c.team_id FROM agreements_progressupdate r JOIN agreements_commitment c ON c.id = r.commitment_id WHERE r.id = NEW.progressupdate_id) <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id) THEN
        RAISE EXCEPTION 'a record cites only sources of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_progressupdate_cites_own_team BEFORE INSERT OR UPDATE
    ON agreements_progressupdate_sources FOR EACH ROW EXECUTE FUNCTION agreements_progressupdate_cites_own_team();

CREATE FUNCTION agreements_assessment_cites_own_team() RETURNS trigger AS $$
BEGIN
    IF (SELECT c.team_id FROM agreements_assessment r JOIN agreements_commitment c ON c.id = r.commitment_id WHERE r.id = NEW.assessment_id) <> (SELECT team_id FROM agreements_source WHERE id = NEW.source_id) THEN
        RAISE EXCEPTION 'a record cites only sources of its own team' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_assessment_cites_own_team BEFORE INSERT OR UPDATE
    ON agreements_assessment_sources FOR EACH ROW EXECUTE FUNCTION agreements_assessment_cites_own_team();

-- Copies kept where they change ----------------------------------------------------------------

-- A commitment carries its meeting's team and date (lists run on indexes that lead with the
-- team); the composite key keeps them equal to the meeting's.
ALTER TABLE agreements_meeting
    ADD CONSTRAINT agreements_meeting_id_team_date_uniq UNIQUE (id, team_id, start_date);
ALTER TABLE agreements_commitment
    ADD CONSTRAINT agreements_commitment_copies_meeting
    FOREIGN KEY (meeting_id, team_id, meeting_date)
    REFERENCES agreements_meeting (id, team_id, start_date)
    ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;

-- A claim carries its record's meeting and team, set from the subject on every write (whatever
-- the writer sends); the composite key follows a meeting that changes team.
ALTER TABLE agreements_meeting
    ADD CONSTRAINT agreements_meeting_id_team_uniq UNIQUE (id, team_id);
ALTER TABLE agreements_claim
    ADD CONSTRAINT agreements_claim_copies_meeting
    FOREIGN KEY (record_meeting_id, team_id) REFERENCES agreements_meeting (id, team_id)
    ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;

CREATE FUNCTION agreements_claim_copies() RETURNS trigger AS $$
BEGIN
    -- The writer's values stand only when the subject is not there yet (a bulk load whose
    -- foreign keys are checked at commit); the composite key then checks the team.
    NEW.record_meeting_id := COALESCE(COALESCE(NEW.meeting_id, (SELECT c.meeting_id FROM agreements_commitment c WHERE c.id = NEW.commitment_id), (SELECT b.meeting_id FROM agreements_implementationbody b WHERE b.id = NEW.body_id)), NEW.record_meeting_id);
    NEW.team_id := COALESCE((SELECT m.team_id FROM agreements_meeting m
                             WHERE m.id = NEW.record_meeting_id), NEW.team_id);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_claim_copies BEFORE INSERT OR UPDATE OF
    meeting_id, commitment_id, body_id, record_meeting_id, team_id
    ON agreements_claim FOR EACH ROW EXECUTE FUNCTION agreements_claim_copies();

-- A commitment carries the time of its newest progress update ("no update for 90 days").
CREATE FUNCTION agreements_commitment_last_update() RETURNS trigger AS $$
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

-- Tally of commitments per team and state (CommitmentTally) ------------------------------------
-- Every insert, update and delete of a commitment moves one count from its old state to its new
-- one, appending rows (-1 for the old state, +1 for the new) and never updating one, so
-- concurrent writers never wait for each other here; ``CommitmentTally.compact`` folds them.
-- A commitment is active when neither it nor its meeting is archived.

CREATE FUNCTION agreements_tally_commitment() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NOT (OLD.team_id IS DISTINCT FROM NEW.team_id OR OLD.meeting_id IS DISTINCT FROM NEW.meeting_id OR OLD.theme IS DISTINCT FROM NEW.theme OR OLD.status IS DISTINCT FROM NEW.status OR OLD.is_stalled IS DISTINCT FROM NEW.is_stalled OR OLD.cancellation IS DISTINCT FROM NEW.cancellation OR (OLD.archived_at IS NULL) IS DISTINCT FROM (NEW.archived_at IS NULL)) THEN RETURN NULL; END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN INSERT INTO agreements_commitmenttally (team_id, theme, status, is_stalled, cancelled, active, n) SELECT OLD.team_id, OLD.theme, OLD.status, OLD.is_stalled, (OLD.cancellation <> ''), (OLD.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = OLD.meeting_id AND m.archived_at IS NOT NULL)), -1; END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO agreements_commitmenttally (team_id, theme, status, is_stalled, cancelled, active, n) SELECT NEW.team_id, NEW.theme, NEW.status, NEW.is_stalled, (NEW.cancellation <> ''), (NEW.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = NEW.meeting_id AND m.archived_at IS NOT NULL)), 1; END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_commitment_tally AFTER INSERT OR UPDATE OR DELETE
    ON agreements_commitment FOR EACH ROW EXECUTE FUNCTION agreements_tally_commitment();

-- A meeting archived or restored: its own active commitments change sides, in bulk.
CREATE FUNCTION agreements_tally_meeting() RETURNS trigger AS $$
BEGIN
    IF (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL) THEN INSERT INTO agreements_commitmenttally (team_id, theme, status, is_stalled, cancelled, active, n) SELECT team_id, theme, status, is_stalled, (cancellation <> ''), side.active, CASE WHEN side.active = (NEW.archived_at IS NULL) THEN count(*) ELSE -count(*) END FROM agreements_commitment, (SELECT (OLD.archived_at IS NULL) AS active UNION ALL  SELECT (NEW.archived_at IS NULL)) AS side WHERE meeting_id = NEW.id AND archived_at IS NULL GROUP BY team_id, theme, status, is_stalled, (cancellation <> ''), side.active; END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_meeting_tally AFTER UPDATE OF archived_at
    ON agreements_meeting FOR EACH ROW EXECUTE FUNCTION agreements_tally_meeting();

-- Tally of compliance per team and party (ComplianceTally) -------------------------------------
-- Each party's compliance over the latest assessments (by date, then by entry). A new
-- assessment that is the latest for its commitment and party replaces the one before it; a
-- commitment that starts or stops counting (archived, restored, cancelled, moved to another
-- team or meeting) takes its latest assessments out or in; so does a meeting archived or
-- restored. A commitment counts when not cancelled and neither it nor its meeting is archived.

CREATE FUNCTION agreements_compliance_assessed() RETURNS trigger AS $$
BEGIN INSERT INTO agreements_compliancetally (team_id, party_id, score, n) SELECT c.team_id, a.party_id, a.score, -1 FROM agreements_assessment a JOIN agreements_commitment c ON c.id = a.commitment_id WHERE a.commitment_id = NEW.commitment_id AND a.party_id = NEW.party_id AND a.id <> NEW.id AND (NEW.as_of > a.as_of OR (NEW.as_of = a.as_of AND NEW.id > a.id)) AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = a.commitment_id AND b.party_id = a.party_id AND b.id <> NEW.id AND (b.as_of > a.as_of OR (b.as_of = a.as_of AND b.id > a.id))) AND (c.cancellation = '' AND c.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = c.meeting_id AND m.archived_at IS NOT NULL)); INSERT INTO agreements_compliancetally (team_id, party_id, score, n) SELECT c.team_id, NEW.party_id, NEW.score, 1 FROM agreements_commitment c WHERE c.id = NEW.commitment_id AND (c.cancellation = '' AND c.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = c.meeting_id AND m.archived_at IS NOT NULL)) AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = NEW.commitment_id AND b.party_id = NEW.party_id AND (b.as_of > NEW.as_of OR (b.as_of = NEW.as_of AND b.id > NEW.id))); RETURN NULL; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_assessment_compliance AFTER INSERT ON agreements_assessment
    FOR EACH ROW EXECUTE FUNCTION agreements_compliance_assessed();

CREATE FUNCTION agreements_compliance_commitment() RETURNS trigger AS $$
BEGIN
    IF (OLD.team_id <> NEW.team_id OR (OLD.cancellation = '') <> (NEW.cancellation = '') OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL) OR OLD.meeting_id <> NEW.meeting_id) THEN INSERT INTO agreements_compliancetally (team_id, party_id, score, n) SELECT OLD.team_id, a.party_id, a.score, -1 FROM agreements_assessment a WHERE a.commitment_id = OLD.id AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = a.commitment_id AND b.party_id = a.party_id AND (b.as_of > a.as_of OR (b.as_of = a.as_of AND b.id > a.id))) AND (OLD.cancellation = '' AND OLD.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = OLD.meeting_id AND m.archived_at IS NOT NULL)); INSERT INTO agreements_compliancetally (team_id, party_id, score, n) SELECT NEW.team_id, a.party_id, a.score, 1 FROM agreements_assessment a WHERE a.commitment_id = NEW.id AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = a.commitment_id AND b.party_id = a.party_id AND (b.as_of > a.as_of OR (b.as_of = a.as_of AND b.id > a.id))) AND (NEW.cancellation = '' AND NEW.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = NEW.meeting_id AND m.archived_at IS NOT NULL)); END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_commitment_compliance AFTER UPDATE ON agreements_commitment
    FOR EACH ROW EXECUTE FUNCTION agreements_compliance_commitment();

CREATE FUNCTION agreements_compliance_meeting() RETURNS trigger AS $$
BEGIN
    IF (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL) THEN INSERT INTO agreements_compliancetally (team_id, party_id, score, n) SELECT c.team_id, a.party_id, a.score, CASE WHEN NEW.archived_at IS NULL THEN 1 ELSE -1 END FROM agreements_commitment c JOIN agreements_assessment a ON a.commitment_id = c.id WHERE c.meeting_id = NEW.id AND c.archived_at IS NULL AND c.cancellation = '' AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = a.commitment_id AND b.party_id = a.party_id AND (b.as_of > a.as_of OR (b.as_of = a.as_of AND b.id > a.id))); END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_meeting_compliance AFTER UPDATE OF archived_at ON agreements_meeting
    FOR EACH ROW EXECUTE FUNCTION agreements_compliance_meeting();

"""


def history_tables(apps) -> list[str]:
    """Every history table of the app as the migration state has it (simple_history's, its
    many-to-many ones included)."""
    return sorted(
        model._meta.db_table
        for model in apps.get_app_config("agreements").get_models()
        if model._meta.db_table.startswith("agreements_historical")
    )


def append_only_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION agreements_refuse_change()"
    )


def install(apps, schema_editor) -> None:
    """Every rule of this module, in a database whose tables migration 0001 made."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
        for table in [*APPEND_ONLY, *history_tables(apps)]:
            schema_editor.execute(append_only_sql(table), params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor) -> None:
    """Every rule of this module gone (the functions take their triggers with them)."""
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(
                "SELECT p.oid::regprocedure FROM pg_proc p"
                " JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = current_schema() AND p.proname LIKE 'agreements\\_%%'"
            )
            statements = [f"DROP FUNCTION {name} CASCADE" for (name,) in cursor.fetchall()]
            statements += [
                # Migration 0018's (``UPDATE_TEAM_POSTGRESQL``), when it has been applied.
                "ALTER TABLE agreements_progressupdate"
                " DROP CONSTRAINT IF EXISTS agreements_progressupdate_copies_commitment",
                "ALTER TABLE agreements_commitment"
                " DROP CONSTRAINT IF EXISTS agreements_commitment_id_team_uniq",
                "ALTER TABLE agreements_commitment DROP CONSTRAINT agreements_commitment_copies_meeting",
                "ALTER TABLE agreements_claim DROP CONSTRAINT agreements_claim_copies_meeting",
                "ALTER TABLE agreements_meeting DROP CONSTRAINT agreements_meeting_id_team_date_uniq",
                "ALTER TABLE agreements_meeting DROP CONSTRAINT agreements_meeting_id_team_uniq",
                "DROP INDEX commitment_team_last_update",
                *(f"DROP INDEX IF EXISTS {m}_search_words" for m in SEARCHED_TABLES),
            ]
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            statements = [f'DROP TRIGGER "{name}"' for (name,) in cursor.fetchall()]
            statements.append("DROP INDEX commitment_team_last_update")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def append_only(table: str) -> migrations.RunPython:
    """For a later migration that creates a history table: its append-only trigger (PostgreSQL).
    tests/test_integrity.py checks that no history table is without one."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(append_only_sql(table), params=None)

    # Backwards, the table goes (with its trigger) in the migration's own reversal.
    return migrations.RunPython(create, migrations.RunPython.noop)


def around_sqlite_remakes(operations: list) -> list:
    """``operations`` that remake tables on SQLite (adding a column with a default, most
    AlterFields), with SQLite's rules set aside before them and made again after: a remade
    table loses its triggers. PostgreSQL keeps its rules through such operations."""

    def aside(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            uninstall(apps, schema_editor)

    def back(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            install(apps, schema_editor)

    return [
        migrations.RunPython(aside, back),
        *operations,
        migrations.RunPython(back, aside),
    ]
