from __future__ import annotations

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from .. import opendata
from ..exports import in_language, in_one_transaction


@require_GET
def open_data(request: HttpRequest) -> StreamingHttpResponse:
    """Everything the user may see, as one JSON document (``opendata``), streamed."""
    response = StreamingHttpResponse(
        in_language(
            translation.get_language(), in_one_transaction(opendata.document(request.user))
        ),
        content_type="application/json",
    )
    filename = f"agreement-tracker-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A proxy in front (nginx) passes the document on as it comes instead of storing it.
    response["X-Accel-Buffering"] = "no"
    return response
