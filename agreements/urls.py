import re

from django.urls import path, register_converter

from . import ids, views

app_name = "agreements"

# A record is named by one id everywhere: the open data's and the API's (``commitment-9``),
# which the pages' addresses use too. Views receive the number.
register_converter(ids.MeetingId, "meeting")
register_converter(ids.CommitmentId, "commitment")
register_converter(ids.BodyId, "body")
register_converter(ids.PartyId, "party")
register_converter(ids.PagedKind, "paged")
register_converter(ids.Number, "number")

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chart.svg", views.dashboard_chart, name="dashboard_chart"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/compare/", views.meeting_comparison, name="meeting_comparison"),
    path(
        "meetings/compare/chart.svg",
        views.meeting_comparison_chart,
        name="meeting_comparison_chart",
    ),
    path("meetings/<meeting:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<meeting:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<meeting:pk>/import/", views.meeting_import, name="meeting_import"),
    path("meetings/<meeting:pk>/briefing/", views.meeting_briefing, name="meeting_briefing"),
    path("meetings/<meeting:pk>/chart.svg", views.meeting_chart, name="meeting_chart"),
    path("commitments/", views.commitment_list, name="commitment_list"),
    path("commitments/<commitment:pk>/", views.commitment_detail, name="commitment_detail"),
    path("milestones/", views.milestone_list, name="milestone_list"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("bodies/", views.body_list, name="body_list"),
    path("bodies/<body:pk>/", views.body_detail, name="body_detail"),
    path("bodies/<body:pk>/briefing/", views.body_briefing, name="body_briefing"),
    path("bodies/<body:pk>/chart.svg", views.body_chart, name="body_chart"),
    path("parties/<party:pk>/briefing/", views.party_briefing, name="party_briefing"),
    path("parties/<party:pk>/chart.svg", views.party_chart, name="party_chart"),
    path("claims/", views.claim_list, name="claim_list"),
    path("reviews/", views.review_queue, name="review_queue"),
    path("search/", views.search_page, name="search"),
    path("files/<int:pk>/", views.source_file, name="source_file"),
    path("open-data.json", views.open_data, name="open_data"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("history/<paged:kind>-<number:pk>/", views.record_history, name="record_history"),
]


def _former(pattern) -> object | None:
    """The former address of a page that names a record (its bare number in place of the id:
    ``commitments/9/``), answering a permanent redirect to the page; None for other pages.
    Named ``<page>_former`` (one shared view: the permission matrix covers each by name)."""
    route = str(pattern.pattern)
    former = re.sub(r"<(meeting|commitment|body|party):pk>", "<int:pk>", route)
    if pattern.name == "record_history":
        former = "history/<str:kind>/<int:pk>/"
    if former == route:
        return None
    to = f"{app_name}:{pattern.name}"
    return path(former, views.former_address, {"to": to}, name=f"{pattern.name}_former")


FORMER = [former for pattern in urlpatterns if (former := _former(pattern))]
urlpatterns += FORMER
