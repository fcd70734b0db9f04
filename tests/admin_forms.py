"""Admin forms posted as a browser would send them: the fields the page rendered, with their
values (``page_form``), changed where a test says so. Hand-written POST data would miss a field
the page forgets to render."""

from __future__ import annotations

from html.parser import HTMLParser

from django.urls import reverse


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:agreements_{model._meta.model_name}_{view}", args=args)


class _FormFields(HTMLParser):
    """The values a browser would submit from the admin's main form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.in_form = False
        self.select = self.textarea = None

    def _add(self, name: str, value: str) -> None:
        if "__prefix__" not in name:  # the template row an inline's "Add another" copies
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id", "").endswith("_form"):
            self.in_form = True
        if not self.in_form or (not (name := attrs.get("name")) and tag != "option"):
            return
        kind = attrs.get("type", "text")
        if tag == "input" and kind not in ("submit", "button", "file"):
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self._add(name, attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self._add(self.select, attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.in_form = False

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data.removeprefix("\n")


def page_form(client, url: str) -> dict:
    """The admin form on ``url`` as a browser would submit it, unchanged."""
    response = client.get(url)
    assert response.status_code == 200
    return page_form_of(response)


def page_form_of(response) -> dict:
    """The admin form in ``response`` as a browser would submit it."""
    parser = _FormFields()
    parser.feed(response.content.decode())
    return parser.data


def post_page(client, url: str, **changes):
    """Submit the form on ``url`` with ``changes`` (a list value for several, e.g. sources)."""
    data = page_form(client, url) | changes
    return client.post(url, data)
