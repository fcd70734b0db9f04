from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from .. import actions, imports, milestone_imports, permissions, spreadsheets
from ..ids import is_id
from ..models import VersionConflict
from .common import render_page

# What a file may hold: its planner (``imports``) and the action that applies the plan.
KINDS = {
    "commitments": (spreadsheets.COMMITMENTS, imports.plan_commitments, actions.import_commitments),
    "milestones": (
        spreadsheets.MILESTONES,
        milestone_imports.plan_milestones,
        actions.import_milestones,
    ),
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("The file holds"),
        choices=[
            ("commitments", gettext_lazy("Commitments")),
            ("milestones", gettext_lazy("Milestones")),
        ],
        initial="commitments",
        required=False,  # commitments, unless said
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.csv or .xlsx)"),
        help_text=gettext_lazy(
            "A header row, then one record a row. Commitments: title, reference, text, "
            "theme, target_date, lead_agency, jurisdiction_note, indicator, party_roles (“MX: "
            "Joint; US: Committed”), and status (0–3), stalled (yes or no) with status_since, "
            "the day they took effect (today if empty). Milestones: title, due_date, owner, "
            "the commitment (its title or reference) or body it is a step of (or of = "
            "“meeting” for the meeting itself), and completed_on for one done. Dates as "
            "2025-09-03. A file downloaded from the commitments or milestones list imports "
            "back as it is."
        ),
    )


def _versions(request: HttpRequest) -> dict[str, int]:
    """The versions the dry run read ("id:version …"): applying saves over those or refuses."""
    pairs = (p.partition(":") for p in request.POST.get("versions", "").split())
    return {pk: int(v) for pk, _sep, v in pairs if is_id(pk) and is_id(v)}


@require_http_methods(["GET", "POST"])
def meeting_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Commitments or milestones from a spreadsheet into this meeting: an upload is read and
    checked, and what it would do shown row by row (the dry run); "Apply" then writes it all,
    or nothing.

    The checked file travels with the dry run's page as CSV (``content``), and is read and
    checked again when applied: what is written is what the page showed, or it says why not.
    """
    meeting = permissions.get_meeting_for_user(request.user, pk, edit=True)
    if meeting.is_read_only:
        messages.error(request, _("This meeting is archived: it is read-only."))
        return redirect(meeting)
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"meeting": meeting, "form": form}
    if request.method == "GET":
        return render_page(request, "agreements/meeting_import.html", context)
    applying = "content" in request.POST
    if applying:
        name = request.POST.get("kind", "")
        filename = request.POST.get("filename", "import.csv")[:100]
        upload = SimpleUploadedFile(
            "checked.csv", request.POST["content"].encode("utf-8"), "text/csv"
        )
    elif form.is_valid():
        name, upload = form.cleaned_data["kind"] or "commitments", form.cleaned_data["file"]
        filename = upload.name[:100]
    else:
        return render_page(request, "agreements/meeting_import.html", context, status=422)
    kind, plan_of, apply = KINDS.get(name, KINDS["commitments"])
    try:
        dataset = spreadsheets.read(upload, kind)
    except spreadsheets.FileRefused as refusal:
        form.add_error("file", str(refusal))
        return render_page(request, "agreements/meeting_import.html", context, status=422)
    plan = plan_of(meeting, dataset, seen=_versions(request) if applying else None)
    context |= {
        "kind": kind.name,
        "plan": plan,
        # A status in the file: set as of its day by an admin, proposed for review otherwise.
        "status_for_review": not permissions.sets_status_directly(request.user),
        "filename": filename,
        "content": dataset.export("csv"),
    }
    if not applying or plan.errors:
        status = 422 if plan.errors else 200
        return render_page(request, "agreements/meeting_import.html", context, status=status)
    try:
        written = apply(meeting=meeting, rows=plan.changes, filename=filename, by=request.user)
    except VersionConflict:
        context["conflict"] = True
        context["plan"] = plan_of(meeting, dataset)  # read again: as things stand now
        return render_page(request, "agreements/meeting_import.html", context, status=409)
    messages.success(request, _saved(kind, written, filename, plan))
    return redirect(meeting)


def _saved(kind: spreadsheets.Kind, written: int, filename: str, plan: imports.Plan) -> str:
    """What an applied import says: how many records it wrote, of which kind, and how."""
    if kind.name == spreadsheets.MILESTONES.name:
        text = ngettext(
            "%(count)s milestone saved from %(filename)s: %(new)s new, %(updated)s updated, "
            "%(unchanged)s unchanged.",
            "%(count)s milestones saved from %(filename)s: %(new)s new, %(updated)s updated, "
            "%(unchanged)s unchanged.",
            written,
        )
    else:
        text = ngettext(
            "%(count)s commitment saved from %(filename)s: %(new)s new, %(updated)s updated, "
            "%(unchanged)s unchanged.",
            "%(count)s commitments saved from %(filename)s: %(new)s new, %(updated)s updated, "
            "%(unchanged)s unchanged.",
            written,
        )
    return text % {
        "count": written,
        "filename": filename,
        "new": plan.count("new"),
        "updated": plan.count("update"),
        "unchanged": plan.count("unchanged"),
    }
