from django.http import HttpRequest

from .models import team_names


def user_teams(request: HttpRequest) -> dict:
    """The signed-in user's teams, for the header ("Signed in as … · North America")."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # The names from the memberships the request reads once (``team_names``).
    return {"user_teams": team_names(user)}
