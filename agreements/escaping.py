"""Text made safe for HTML in one call, for the parts of pages written in Python (template
tags, the admin's rows, the selects): ``escaped``."""

from __future__ import annotations

import html


def escaped(value) -> str:
    """``conditional_escape(value)`` as a plain string: HTML kept as it is (a value with
    ``__html__``), any other value's text escaped as Django escapes it (``html.escape``).
    Without ``conditional_escape``'s checks on every call (it is ``keep_lazy``: each argument
    is looked at for a lazy text) and its safe-string wrapper: a lazy label is translated
    once, here, where some hundreds of values a page are written."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))
