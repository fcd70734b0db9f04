"""The tracker's domain: who met, what they agreed, and whether it is being carried out.

Vocabularies come from the systems that already do this work (see README, "The domain"):
the 0–3 implementation scale (Peace Accords Matrix), per-party compliance (G7/G20 Research
Group), claim verification, and the Akvo RSR review workflow.

Team scoping: every meeting belongs to one team, and everything hanging off a meeting belongs
to that team through its foreign keys. Where a list filters by team on an index, the team is
copied (commitments, claims and progress updates), kept equal by ``save()`` and, on
PostgreSQL, by a composite foreign key that cannot drift. Each scoped model names the lookup
paths to its team in ``team_lookups``; ``visible_to(user)`` on its QuerySet and
``permissions.py`` use them.

The modules read bottom-up, each importing only those below it: base → teams → reference →
meetings → commitments → bodies, reviews, assessments → evidence, files, tallies, reminders →
status_history → compliance_history, briefings; ``security`` (the security log, locked
usernames) stands apart, on the users alone.

One module per part of the domain; everything is re-exported here, so ``from agreements.models
import Commitment`` (and ``models as m``) work as they always have.
"""

from . import lookups  # registers the ``__any_of`` lookup
from .assessments import (
    SCORE_VALUE,
    Assessment,
    AssessmentQuerySet,
    AssessmentStage,
    ComplianceScore,
)
from .base import (
    Archivable,
    ArchivableQuerySet,
    AuditTrail,
    Sourced,
    Timestamped,
    VersionConflict,
    Versioned,
    active_q,
    as_index,
    is_read_only,
    refuse_dated_outside,
    track_history,
)
from .bodies import (
    BodyMembership,
    Confirmation,
    ImplementationBody,
    ImplementationBodyQuerySet,
    Lifecycle,
)
from .briefings import Briefing, BriefingItem, Cited, SourceNotes, compile_briefing, for_briefing
from .commitment_vocabularies import Cancellation, ImplementationStatus, PartyRole
from .commitments import Commitment, CommitmentParty, CommitmentQuerySet
from .compliance_history import ComplianceHistory, ComplianceSpan, compliance_percent
from .evidence import (
    OPEN_VERIFICATIONS,
    Claim,
    ContextEvent,
    EventRelation,
    ReadoutComparison,
    Statement,
    StatementKind,
    Verification,
    compare_readouts,
)
from .feeds import CalendarFeed
from .files import Extraction, SourceFile, SourceFileQuerySet, evidence_storage
from .folding import crosses_many, fold, found_by
from .history_tallies import (
    ComplianceDayTally,
    ComplianceMonthTally,
    ComplianceQuarterTally,
    ComplianceYearTally,
    IndexMonthTally,
    StatusDayTally,
    StatusMonthTally,
    StatusYearTally,
)
from .meeting_links import MeetingLink, MeetingRelation
from .meetings import (
    Meeting,
    MeetingQuerySet,
    OutcomeType,
    Participant,
    ParticipantRole,
)
from .milestones import (
    Milestone,
    MilestoneQuerySet,
    MilestoneReschedule,
    MilestoneStatus,
    moves_of,
)
from .reference import (
    Party,
    PartyAlias,
    PartyKind,
    Person,
    Reliability,
    Source,
    SourceKind,
    SourceQuerySet,
    Theme,
    ThemeQuerySet,
)
from .reminders import (
    DAYS_AHEAD,
    Digest,
    DigestKind,
    DigestSent,
    Follow,
    reminded_milestones,
    teams_with_reminders,
)
from .reviews import (
    AWAITING_REVIEW,
    ProgressUpdate,
    ProgressUpdateQuerySet,
    ReviewAction,
    ReviewEvent,
    ReviewState,
)
from .security import SecurityEvent, SecurityEventKind, SignInLock, SignInLockQuerySet
from .status_changes import StatusChange
from .status_history import StatusSpan, StatusSpanQuerySet, spans_of
from .status_reads import StatusHistory
from .tallies import (
    CommitmentTally,
    CommitmentTallyQuerySet,
    ComplianceTally,
    StateCounts,
    Tally,
    fold_piled,
)
from .teams import (
    Preference,
    Team,
    TeamMembership,
    TeamRole,
    TeamScopedQuerySet,
    language_of,
    links_of,
    outside_team,
    team_ids,
    team_names,
    team_of,
    teams_of,
)
from .tokens import ApiToken, ApiTokenQuerySet
