"""Function views, one per page; each serves its page and that page's htmx partials.

One module per entity; ``urls.py`` refers to them through this package (hence the
re-exports below, which ruff is told not to flag).
"""

from .bodies import body_detail, body_list
from .claims import claim_list
from .commitments import commitment_detail, commitment_list
from .dashboard import dashboard
from .history import record_history
from .meetings import meeting_create, meeting_detail, meeting_edit, meeting_list
from .reviews import review_queue
