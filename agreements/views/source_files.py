"""Documents kept with sources (#23): one kept from a source's place on a meeting's page (the
page's ``keep_file`` action), and a kept file handed to its source's team.

A file is served only through ``source_file``, which checks permission on every request (a 404
for anyone outside the source's team, as every record): from the local store it streams the
bytes itself (or, behind nginx, hands them over by ``X-Accel-Redirect`` to an internal
location); from an S3 bucket it redirects to an address the bucket signed for a short while
(``EVIDENCE_URL_SECONDS``). No URL serves the store's folder or bucket as such.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, prefetch_related_objects
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import actions, documents, permissions
from ..actions.base import refuse_archived
from ..forms import KeepFileForm
from ..models import Meeting, Source, SourceFile, evidence_storage
from .common import Outcome, PageAction

# A kept file shown in the browser may run nothing and reach nothing: a sandbox of its own
# origin, no scripts, no forms, no connections (its images from itself only).
INLINE_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "object-src 'self'; frame-ancestors 'none'"
)
ATTACHMENT_CSP = "sandbox; default-src 'none'"


def with_kept_files(sources: QuerySet[Source]) -> list[Source]:
    """``sources``, each saying whether it has kept files (``kept``), with them read for
    those that have (one more query then): most sources have none, and a page listing a few
    (a commitment's) need not ask."""
    return read_kept_files(list(flag_kept(sources)))


def flag_kept(sources: QuerySet[Source]) -> QuerySet[Source]:
    """``sources``, each saying whether it has kept files (``kept``): read them after
    (``read_kept_files``) for those that have."""
    return sources.annotate(kept=Exists(SourceFile.objects.filter(source=OuterRef("pk"))))


def read_kept_files(sources: list[Source]) -> list[Source]:
    """The kept files of those of ``sources`` (``flag_kept``) that have some, in one query
    (none when none has: nor is that query built, most sources keeping no file)."""
    if kept := [source for source in sources if source.kept]:
        prefetch_related_objects(kept, Prefetch("files", queryset=SourceFile.objects.for_list()))
    return sources


def keep_forms(sources, shown: KeepFileForm | None = None) -> None:
    """Give the source whose form to keep a file is ``shown`` (refused, with its errors, or
    opened without JavaScript) that form; the others none: theirs is fetched when opened
    (``?keep=<id>``, includes/keep_file_form.html)."""
    for source in sources:
        is_shown = shown is not None and shown.prefix == f"keep-{source.pk}"
        source.keep_form = shown if is_shown else None


def _keep_file(request: HttpRequest, meeting: Meeting) -> Outcome:
    """Keep a file with one of the meeting's sources (another source: not found)."""
    source = permissions.get_source_for_user(request.user, request.POST.get("source"), edit=True)
    if not meeting.sources.filter(pk=source.pk).exists():
        raise Http404(
            _("No %(kind)s matches the given query.") % {"kind": Source._meta.verbose_name}
        )
    refuse_archived(meeting)  # an archived meeting's page is read-only, its sources' places too
    form = KeepFileForm(request.POST, request.FILES, source_pk=source.pk)
    if not form.is_valid():
        return Outcome(forms={"keep": form})
    kept = actions.keep_file(
        source=source,
        upload=form.cleaned_data["file"],
        retrieved_on=form.cleaned_data["retrieved_on"],
        by=request.user,
    )
    return Outcome(
        notice=_("“%(name)s” kept with “%(source)s”.") % {"name": kept.name, "source": source.title}
    )


KEEP_FILE = PageAction(_keep_file, "sources")


@require_GET
def source_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A kept file, to its source's team only (404 for anyone else)."""
    kept = permissions.get_source_file_for_user(request.user, pk)
    inline = kept.content_type in documents.INLINE
    storage = evidence_storage()
    if hasattr(storage, "bucket_name"):  # S3: the bucket answers, by an address it signed
        response = HttpResponseRedirect(
            storage.url(
                kept.key,
                parameters={
                    "ResponseContentType": kept.content_type,
                    "ResponseContentDisposition": content_disposition_header(not inline, kept.name),
                },
            )
        )
    elif settings.EVIDENCE_ACCEL_REDIRECT:
        response = HttpResponse(content_type=kept.content_type)
        response["X-Accel-Redirect"] = f"{settings.EVIDENCE_ACCEL_REDIRECT}/{kept.key}"
        response["Content-Disposition"] = content_disposition_header(not inline, kept.name)
    else:
        response = FileResponse(
            storage.open(kept.key, "rb"),
            as_attachment=not inline,
            filename=kept.name,
            content_type=kept.content_type,
        )
        response["Content-Length"] = str(kept.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = INLINE_CSP if inline else ATTACHMENT_CSP
    response["Cache-Control"] = "private, no-store"
    return response
