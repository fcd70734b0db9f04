"""What reads as a record's id in a request: asked before any lookup, by the forms, the views
and ``permissions`` alike, so it sits below all of them."""


def is_id(value) -> bool:
    """Whether ``value`` reads as a record's id: ASCII digits that a column can hold. (Python
    calls "²" a digit, which ``int()`` then refuses: a request is never trusted that far.)"""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) < 19
