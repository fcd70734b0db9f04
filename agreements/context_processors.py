from django.http import HttpRequest

from .models import Team


def user_teams(request: HttpRequest) -> dict:
    """The signed-in user's teams, for the header ("Signed in as … · North America")."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: evaluated (one query) only when a template shows it.
    return {"user_teams": Team.objects.filter(memberships__user=user).distinct()}
