"""Forms for the pages, one module per page as in ``views``; the admin's forms live with it.

Choice fields that list records are always limited to what the requesting user may see.
"""

from .base import DATE, FastSelect, VersionedForm
from .bodies import MemberForm
from .claims import ClaimVerificationForm
from .commitments import AssessmentForm, CommitmentFilterForm, ProgressUpdateForm
from .meetings import (
    CommitmentRowForm,
    CommitmentRows,
    MeetingClaimForm,
    MeetingFilterForm,
    MeetingForm,
    MilestoneForm,
    SourceForm,
    StatementForm,
)
from .reviews import ReviewForm
