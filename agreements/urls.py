from django.urls import path

from . import views

app_name = "agreements"

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
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/import/", views.meeting_import, name="meeting_import"),
    path("meetings/<int:pk>/briefing/", views.meeting_briefing, name="meeting_briefing"),
    path("meetings/<int:pk>/chart.svg", views.meeting_chart, name="meeting_chart"),
    path("commitments/", views.commitment_list, name="commitment_list"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment_detail"),
    path("milestones/", views.milestone_list, name="milestone_list"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("bodies/", views.body_list, name="body_list"),
    path("bodies/<int:pk>/", views.body_detail, name="body_detail"),
    path("bodies/<int:pk>/briefing/", views.body_briefing, name="body_briefing"),
    path("bodies/<int:pk>/chart.svg", views.body_chart, name="body_chart"),
    path("parties/<int:pk>/briefing/", views.party_briefing, name="party_briefing"),
    path("parties/<int:pk>/chart.svg", views.party_chart, name="party_chart"),
    path("claims/", views.claim_list, name="claim_list"),
    path("reviews/", views.review_queue, name="review_queue"),
    path("search/", views.search_page, name="search"),
    path("files/<int:pk>/", views.source_file, name="source_file"),
    path("open-data.json", views.open_data, name="open_data"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("history/<str:kind>/<int:pk>/", views.record_history, name="record_history"),
]
