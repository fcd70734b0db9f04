"""Forms for the pages, one module per page as in ``views``; the admin's forms live with it.

Choice fields that list records are always limited to what the requesting user may see.
"""

from .base import DATE, VersionedForm
from .bodies import BodyForm, BodyMilestoneForm, MemberForm, NewBodyForm
from .claims import ClaimFilterForm, ClaimVerificationForm
from .commitments import (
    AssessmentForm,
    CommitmentFilterForm,
    ProgressUpdateForm,
    RescheduleForm,
)
from .files import KeepFileForm
from .meeting_additions import (
    ContextEventForm,
    MeetingClaimForm,
    MeetingLinkForm,
    MilestoneForm,
    PlannedMeetingForm,
    SourceForm,
    StatementForm,
)
from .meeting_editor import MeetingEditor
from .meeting_rows import CommitmentRowForm, CommitmentRows, ParticipantRows
from .meetings import MeetingFilterForm, MeetingForm
from .milestones import MilestoneFilterForm
from .reviews import DrawnReviewForms, ReviewFilterForm, ReviewForm
from .selects import FastSelect
