"""What a commitment's page says beside the commitment, read in the commitment's own query
(``fact_expressions``, given to ``permissions.get_commitment_for_user``) or, after an action,
in one query of their own (``facts_of``): whether the reader follows it, the day its official
state took effect, the status its pending update proposes, and whether any claim, assessment
or source is about it (the page reads each of those lists only then: most have none)."""

from __future__ import annotations

from functools import cache

from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .assessments import Assessment
from .commitments import Commitment
from .evidence import Claim
from .reminders import Follow
from .reviews import ProgressUpdate
from .status_changes import StatusChange

FACTS = (
    "following",
    "status_since",
    "pending_status",
    "has_claims",
    "has_assessments",
    "has_sources",
)

# A pending update that proposes no status (only a stall): ``ImplementationStatus`` is 0 to 3.
NO_STATUS = -1


def fact_expressions(user) -> dict:
    """``FACTS`` as expressions on a commitment: whether ``user`` follows it, beside the
    others, which are the same for every reader (``_shared_facts``)."""
    return reader_facts(user.pk)


def reader_facts(reader: int) -> dict:
    """``fact_expressions`` of the user whose id is ``reader``."""
    following = Exists(Follow.objects.filter(user=reader, commitment=OuterRef("pk")))
    return {"following": following} | _shared_facts()


@cache
def _shared_facts() -> dict:
    """The facts that do not depend on the reader, built once a process: a query copies an
    expression as it takes it (``resolve_expression``), so these are never changed, and a page
    does not build five subqueries anew (about 2 ms of the commitment page's 4 in the ORM)."""
    one = OuterRef("pk")
    pending = ProgressUpdate.objects.filter(commitment=one).proposing_a_change()
    pending = pending.order_by("-created_at", "-pk")
    return {
        # The day the official state took effect: its latest effective change's (None: never).
        "status_since": Subquery(
            StatusChange.objects.filter(commitment=one)
            .order_by("-effective_on", "-changed_at", "-pk")
            .values("effective_on")[:1]
        ),
        # The newest pending update's proposed status, NO_STATUS when it proposes only a
        # stall (no pending update: None), in one subquery.
        "pending_status": Subquery(
            pending.annotate(shown=Coalesce("proposed_status", Value(NO_STATUS))).values("shown")[
                :1
            ]
        ),
        "has_claims": Exists(Claim.objects.filter(commitment=one)),
        "has_assessments": Exists(Assessment.objects.filter(commitment=one)),
        "has_sources": Exists(Commitment.sources.through.objects.filter(commitment=one)),
    }


def facts_of(commitment: Commitment, user) -> dict:
    """``FACTS``, as read with the commitment or else in one query; ``pending`` for
    ``pending_status``: the pending update as far as the page shows it (its proposed status),
    or None."""
    if all(name in commitment.__dict__ for name in FACTS):
        facts = {name: getattr(commitment, name) for name in FACTS}
    else:  # an action's answer: read after it
        facts = (
            Commitment.objects.filter(pk=commitment.pk)
            .annotate(**fact_expressions(user))
            .values(*FACTS)
            .get()
        )
    status = facts.pop("pending_status")
    facts["pending"] = (
        None
        if status is None
        else ProgressUpdate(proposed_status=None if status == NO_STATUS else status)
    )
    return facts
