"""Function views, one per page; each serves its page and that page's htmx partials.

One module per entity; ``urls.py`` refers to them through this package (hence the
re-exports below, which ruff is told not to flag). A page that changes things names its
actions in its module's ``ACTIONS``; ``PAGE_ACTIONS`` gathers them by URL name (the permission
matrix test covers each one).
"""

from . import bodies, claims, commitments, meetings, reviews
from .addresses import former_address
from .api_keys import api_keys
from .bodies import body_detail, body_list
from .briefings import body_briefing, meeting_briefing, party_briefing
from .calendar import calendar_feed, calendar_page
from .charts import (
    body_chart,
    dashboard_chart,
    meeting_chart,
    meeting_comparison,
    meeting_comparison_chart,
    party_chart,
)
from .claims import claim_list
from .commitments import commitment_detail, commitment_list
from .dashboard import dashboard
from .history import record_history
from .imports import meeting_import
from .meeting_form import meeting_create, meeting_edit
from .meetings import meeting_detail, meeting_list
from .milestones import milestone_list
from .opendata import open_data
from .reviews import review_queue
from .search import search_page
from .source_files import source_file

PAGE_ACTIONS = {
    "meeting_detail": meetings.ACTIONS,
    "commitment_detail": commitments.ACTIONS,
    "body_detail": bodies.ACTIONS,
    "claim_list": claims.ACTIONS,
    "review_queue": reviews.ACTIONS,
}
