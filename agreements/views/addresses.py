"""A page's former address: records were once named by their bare number (``/commitments/9/``);
they are now named by the id the open data and the API give them (``/commitments/commitment-9/``).
Bookmarks and links to the former addresses keep working."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import NoReverseMatch, reverse


def former_address(request: HttpRequest, *, to: str, **kwargs) -> HttpResponse:
    """A permanent redirect to page ``to`` named with ``kwargs``, the query string kept.

    Nothing is looked up: the answer is the same whether the record exists or who may see it,
    so it tells nothing; the page it leads to answers 404 to whoever may not see the record.
    A GET is moved for good (301); any other method is sent on with its body (308: a form
    drawn before the move still posts where it should, and nothing typed is lost)."""
    try:
        url = reverse(to, kwargs=kwargs)
    except NoReverseMatch:  # a kind of record with no page (``history/<kind>/9/``)
        raise Http404 from None
    if query := request.META.get("QUERY_STRING"):
        url = f"{url}?{query}"
    response = HttpResponsePermanentRedirect(url)
    if request.method not in ("GET", "HEAD"):
        response.status_code = 308
    return response
