from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from .. import actions, imports, permissions
from ..forms.base import is_id
from ..models import VersionConflict
from .common import render_page


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet (.csv or .xlsx)",
        help_text="One commitment a row, with a header row: title, reference, text, theme, "
        "target_date, lead_agency, jurisdiction_note, indicator, party_roles (“MX: Joint; US: "
        "Committed”). A file downloaded from the commitments list imports back as it is.",
    )


def _versions(request: HttpRequest) -> dict[str, int]:
    """The versions the dry run read ("id:version …"): applying saves over those or refuses."""
    pairs = (p.partition(":") for p in request.POST.get("versions", "").split())
    return {pk: int(v) for pk, _, v in pairs if is_id(pk) and is_id(v)}


@require_http_methods(["GET", "POST"])
def meeting_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Commitments from a spreadsheet into this meeting: an upload is read and checked, and
    what it would do shown row by row (the dry run); "Apply" then writes it all, or nothing.

    The checked file travels with the dry run's page as CSV (``content``), and is read and
    checked again when applied: what is written is what the page showed, or it says why not.
    """
    meeting = permissions.get_meeting_for_user(request.user, pk, edit=True)
    if meeting.is_read_only:
        messages.error(request, "This meeting is archived: it is read-only.")
        return redirect(meeting)
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"meeting": meeting, "form": form}
    if request.method == "GET":
        return render_page(request, "agreements/meeting_import.html", context)
    if "content" in request.POST:  # applying a dry run
        filename = request.POST.get("filename", "import.csv")[:100]
        upload = SimpleUploadedFile(
            "checked.csv", request.POST["content"].encode("utf-8"), "text/csv"
        )
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        filename = upload.name[:100]
    else:
        return render_page(request, "agreements/meeting_import.html", context, status=422)
    try:
        dataset = imports.read(upload)
    except imports.FileRefused as refusal:
        form.add_error("file", str(refusal))
        return render_page(request, "agreements/meeting_import.html", context, status=422)
    applying = "content" in request.POST
    plan = imports.plan(meeting, dataset, seen=_versions(request) if applying else None)
    context |= {"plan": plan, "filename": filename, "content": dataset.export("csv")}
    if not applying or plan.errors:
        return render_page(
            request, "agreements/meeting_import.html", context, status=422 if plan.errors else 200
        )
    try:
        written = actions.import_commitments(
            meeting=meeting, rows=plan.changes, filename=filename, by=request.user
        )
    except VersionConflict:
        context["conflict"] = True
        context["plan"] = imports.plan(meeting, dataset)  # read again: as things stand now
        return render_page(request, "agreements/meeting_import.html", context, status=409)
    messages.success(
        request,
        f"{written} commitment{'s' if written != 1 else ''} imported from {filename}: "
        f"{plan.count('new')} new, {plan.count('update')} updated, "
        f"{plan.count('unchanged')} unchanged.",
    )
    return redirect(meeting)
