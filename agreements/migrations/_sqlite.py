"""The database's rules in SQLite's dialect (``SQLITE``), beside ``_rules`` which applies them:
the same tallies and newest update time as PostgreSQL keeps, and the list's index."""

from __future__ import annotations

# SQLite: the same tallies and newest update time, in its dialect (a trigger holds its statements
# itself, and its WHEN clause says when it runs). One statement per item.
SQLITE = [
    # The index the "no update for 90 days" list reads (SQLite puts NULLs first itself).
    "CREATE INDEX commitment_team_last_update ON agreements_commitment (team_id, last_update_at, id)",
    """CREATE TRIGGER agreements_commitment_last_update AFTER INSERT ON agreements_progressupdate
BEGIN
    UPDATE agreements_commitment SET last_update_at = NEW.created_at
     WHERE id = NEW.commitment_id
       AND (last_update_at IS NULL OR last_update_at < NEW.created_at);
END""",
    # Tally of commitments per team and state (as agreements_tally_commitment above).
    """CREATE TRIGGER agreements_commitment_tally_insert AFTER INSERT ON agreements_commitment
BEGIN
    INSERT INTO agreements_commitmenttally (team_id, theme, status, is_stalled, cancelled, active, n)
    SELECT NEW.team_id, NEW.theme, NEW.status, NEW.is_stalled, (NEW.cancellation <> ''),
        (NEW.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = NEW.meeting_id AND m.archived_at IS NOT NULL)),
        1;
END""",
    """CREATE TRIGGER agreements_commitment_tally_update AFTER UPDATE ON agreements_commitment
WHEN (OLD.team_id IS NOT NEW.team_id OR OLD.meeting_id IS NOT NEW.meeting_id OR OLD.theme IS NOT NEW.theme OR OLD.status IS NOT NEW.status OR OLD.is_stalled IS NOT NEW.is_stalled OR OLD.cancellation IS NOT NEW.cancellation OR (OLD.archived_at IS NULL) IS NOT (NEW.archived_at IS NULL))
BEGIN
    INSERT INTO agreements_commitmenttally (team_id, theme, status, is_stalled, cancelled, active, n)
    SELECT OLD.team_id, OLD.theme, OLD.status, OLD.is_stalled, (OLD.cancellation <> ''),
        (OLD.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = OLD.meeting_id AND m.archived_at IS NOT NULL)),
        -1;
    INSERT INTO agreements_commitmenttally (team_id, theme, status, is_stalled, cancelled, active, n)
    SELECT NEW.team_id, NEW.theme, NEW.status, NEW.is_stalled, (NEW.cancellation <> ''),
        (NEW.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = NEW.meeting_id AND m.archived_at IS NOT NULL)),
        1;
END""",
    # A commitment always has rows in its team's tally; when they are gone, the tally was
    # emptied first (a test database flushed table by table) and there is nothing to undo.
    """CREATE TRIGGER agreements_commitment_tally_delete AFTER DELETE ON agreements_commitment
WHEN EXISTS (SELECT 1 FROM agreements_commitmenttally WHERE team_id = OLD.team_id)
BEGIN
    INSERT INTO agreements_commitmenttally (team_id, theme, status, is_stalled, cancelled, active, n)
    SELECT OLD.team_id, OLD.theme, OLD.status, OLD.is_stalled, (OLD.cancellation <> ''),
        (OLD.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = OLD.meeting_id AND m.archived_at IS NOT NULL)),
        -1;
END""",
    """CREATE TRIGGER agreements_meeting_tally AFTER UPDATE OF archived_at ON agreements_meeting
WHEN (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL)
BEGIN
    INSERT INTO agreements_commitmenttally (team_id, theme, status, is_stalled, cancelled, active, n)
    SELECT team_id, theme, status, is_stalled, (cancellation <> ''), side.active,
        CASE WHEN side.active = (NEW.archived_at IS NULL) THEN count(*) ELSE -count(*) END
    FROM agreements_commitment,
        (SELECT (OLD.archived_at IS NULL) AS active UNION ALL SELECT (NEW.archived_at IS NULL)) AS side
    WHERE meeting_id = NEW.id AND archived_at IS NULL
    GROUP BY team_id, theme, status, is_stalled, (cancellation <> ''), side.active;
END""",
    # Tally of compliance per team and party (as agreements_compliance_* above). An assessment:
    # the one that was the latest before it, if it is newer, leaves the tally; it enters it
    # when it is the latest.
    """CREATE TRIGGER agreements_assessment_compliance AFTER INSERT ON agreements_assessment
BEGIN
    INSERT INTO agreements_compliancetally (team_id, party_id, score, n)
    SELECT c.team_id, a.party_id, a.score, -1
    FROM agreements_assessment a JOIN agreements_commitment c ON c.id = a.commitment_id
    WHERE a.commitment_id = NEW.commitment_id AND a.party_id = NEW.party_id AND a.id <> NEW.id
        AND (NEW.as_of > a.as_of OR (NEW.as_of = a.as_of AND NEW.id > a.id))
        AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = a.commitment_id AND b.party_id = a.party_id AND b.id <> NEW.id AND (b.as_of > a.as_of OR (b.as_of = a.as_of AND b.id > a.id)))
        AND (c.cancellation = '' AND c.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = c.meeting_id AND m.archived_at IS NOT NULL));
    INSERT INTO agreements_compliancetally (team_id, party_id, score, n)
    SELECT c.team_id, NEW.party_id, NEW.score, 1
    FROM agreements_commitment c
    WHERE c.id = NEW.commitment_id
        AND (c.cancellation = '' AND c.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = c.meeting_id AND m.archived_at IS NOT NULL))
        AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = NEW.commitment_id AND b.party_id = NEW.party_id AND (b.as_of > NEW.as_of OR (b.as_of = NEW.as_of AND b.id > NEW.id)));
END""",
    """CREATE TRIGGER agreements_commitment_compliance AFTER UPDATE ON agreements_commitment
WHEN (OLD.team_id <> NEW.team_id OR (OLD.cancellation = '') <> (NEW.cancellation = '') OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL) OR OLD.meeting_id <> NEW.meeting_id)
BEGIN
    INSERT INTO agreements_compliancetally (team_id, party_id, score, n)
    SELECT OLD.team_id, a.party_id, a.score, -1
    FROM agreements_assessment a
    WHERE a.commitment_id = OLD.id
        AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = a.commitment_id AND b.party_id = a.party_id AND (b.as_of > a.as_of OR (b.as_of = a.as_of AND b.id > a.id)))
        AND (OLD.cancellation = '' AND OLD.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = OLD.meeting_id AND m.archived_at IS NOT NULL));
    INSERT INTO agreements_compliancetally (team_id, party_id, score, n)
    SELECT NEW.team_id, a.party_id, a.score, 1
    FROM agreements_assessment a
    WHERE a.commitment_id = NEW.id
        AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = a.commitment_id AND b.party_id = a.party_id AND (b.as_of > a.as_of OR (b.as_of = a.as_of AND b.id > a.id)))
        AND (NEW.cancellation = '' AND NEW.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM agreements_meeting m WHERE m.id = NEW.meeting_id AND m.archived_at IS NOT NULL));
END""",
    """CREATE TRIGGER agreements_meeting_compliance AFTER UPDATE OF archived_at ON agreements_meeting
WHEN (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL)
BEGIN
    INSERT INTO agreements_compliancetally (team_id, party_id, score, n)
    SELECT c.team_id, a.party_id, a.score, CASE WHEN NEW.archived_at IS NULL THEN 1 ELSE -1 END
    FROM agreements_commitment c JOIN agreements_assessment a ON a.commitment_id = c.id
    WHERE c.meeting_id = NEW.id AND c.archived_at IS NULL AND c.cancellation = ''
        AND NOT EXISTS (SELECT 1 FROM agreements_assessment b WHERE b.commitment_id = a.commitment_id AND b.party_id = a.party_id AND (b.as_of > a.as_of OR (b.as_of = a.as_of AND b.id > a.id)));
END""",
]
