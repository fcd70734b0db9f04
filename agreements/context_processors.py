from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import team_names


def user_teams(request: HttpRequest) -> dict:
    """The signed-in user's teams, for the header ("Signed in as … · North America").

    Read when a template first reads them: the admin's pages never show them, and were
    reading the memberships for nothing (a query each page); the site's pages read them once a
    request anyway (``team_names``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # The names from the memberships the request reads once (``team_names``).
    return {"user_teams": SimpleLazyObject(lambda: team_names(user))}
