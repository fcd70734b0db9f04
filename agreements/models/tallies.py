"""Derived state kept by the database: the dashboard's tallies.

Figures over all of a team's records (how many commitments at each status, each party's
compliance) are not recomputed on every view. Database triggers (``migrations/_rules.py``, the
same logic for PostgreSQL and SQLite) append a −1 row for a record's old state and a +1 row for
its new one, in the same transaction as the write, whatever path the write takes (actions, the
admin, a queryset update, a bulk load). Appending, never updating, means concurrent writers
never wait for or deadlock on a shared counter; ``compact()`` folds a team's rows into one per
state when they pile up (``fold_piled``, once the action that appended them has committed: a
read never writes), so the dashboard reads a few hundred rows whatever the size of the data.
Tests compare each tally with a recount from the records themselves.

Trap: SQLite drops a table's triggers when a migration remakes the table (most AlterFields
there). A migration that alters commitments, meetings or assessments must create the triggers
again; ``tests/test_tally.py`` fails if one is missing.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils.translation import gettext

from .assessments import SCORE_VALUE, Assessment
from .base import as_index
from .commitment_vocabularies import ImplementationStatus
from .commitments import Commitment
from .reference import Party, Theme
from .teams import Team, TeamScopedQuerySet


class NamedOnce(models.Subquery):
    """The ``field`` (a name) of the ``model`` row whose ``key`` is the outer row's ``outer``,
    beside rows grouped by ``outer``: read once a group (a probe of the key), where a join
    reads it for every row summed. Not grouped by itself (the database would read it for
    every row again): it follows from ``outer``, which is grouped by."""

    def __init__(self, model: type[models.Model], outer: str, *, key="pk", field="name"):
        rows = model.objects.filter(**{key: models.OuterRef(outer)}).order_by()
        super().__init__(rows.values(field)[:1])

    def get_group_by_cols(self):
        return []


class TallyQuerySet(TeamScopedQuerySet):
    def total(self, **conditions) -> int:
        return self.filter(**conditions).aggregate(k=models.Sum("n"))["k"] or 0


class Tally(models.Model):
    """A count per team and state (the fields named in ``key``): the sum of ``n``."""

    COMPACT_AFTER = 500  # a team's rows beyond which a write folds them (``fold_piled``)
    key: tuple[str, ...] = ()

    team_lookups = ("team",)
    derived = True  # kept by the database, edited nowhere (not in the admin)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    n = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{'/'.join(str(getattr(self, f)) for f in self.key)}: {self.n:+d}"

    @classmethod
    def compact(cls, team_ids: list[int]) -> None:
        """Fold the teams' rows into one per state (states that sum to 0 disappear). Rows
        appended meanwhile by other transactions are not seen, so not lost."""
        key = ", ".join(cls.key)
        table = cls._meta.db_table
        if connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [table])
                if not cursor.fetchone()[0]:
                    return  # another request is folding this tally
                cursor.execute(
                    f"WITH folded AS (DELETE FROM {table} WHERE team_id = ANY(%s) "
                    f"RETURNING {key}, n) INSERT INTO {table} ({key}, n) "
                    f"SELECT {key}, sum(n) FROM folded GROUP BY {key} HAVING sum(n) <> 0",
                    [list(team_ids)],
                )
            return
        with transaction.atomic():  # SQLite: one writer at a time
            rows = cls.objects.filter(team__in=team_ids)
            totals = list(rows.values_list(*cls.key).annotate(k=models.Sum("n")).order_by())
            rows.delete()
            cls.objects.bulk_create(
                cls(**dict(zip(cls.key, key, strict=True)), n=k) for *key, k in totals if k
            )

    @classmethod
    def summed(cls) -> list[tuple]:
        """Every state with its sum, sorted: what the tally says."""
        rows = cls.objects.values_list(*cls.key).annotate(k=models.Sum("n")).order_by()
        return sorted(row for row in rows if row[-1])


class CommitmentTallyQuerySet(TallyQuerySet):
    def counting(self):
        return self.filter(active=True, cancelled=False)

    def status_counts(self) -> dict[int, int]:
        counts = dict(self.counting().values_list("status").annotate(k=models.Sum("n")).order_by())
        return {status: counts.get(status, 0) for status in ImplementationStatus.values}

    def implementation_index(self) -> float | None:
        counts = self.status_counts()
        total = sum(counts.values())
        return as_index(sum(s * k for s, k in counts.items()) / total) if total else None

    def active_states(self) -> Counter:
        """Active commitments counted by (theme, status, stalled, cancelled), in one read:
        every figure the dashboard shows of them (``StateCounts``)."""
        rows = self.active_state_keys().annotate(k=models.Sum("n")).order_by()
        return Counter(
            {
                (theme, status, stalled, cancelled): k
                for theme, status, stalled, cancelled, k in rows
            }
        )

    def active_states_named(self) -> tuple[Counter, dict[str, str]]:
        """``active_states``, and the names of their themes (code → name, untranslated) read
        in the same query (``NamedOnce``), where they took one of their own."""
        return states_named(self.active_states_named_rows())

    def active_states_named_rows(self):
        """``active_states_named``'s rows, as ``states_named`` takes them."""
        return self.active_state_keys(named=True).annotate(k=models.Sum("n")).order_by()

    def active_state_keys(self, *, named: bool = False):
        """The active rows by the keys ``active_states`` counts them by (to be summed);
        ``named``: each key with its theme's name after them (``NamedOnce``)."""
        keys = self.filter(active=True).values_list("theme", "status", "is_stalled", "cancelled")
        return keys.annotate(theme_name=NamedOnce(Theme, "theme", key="code")) if named else keys

    def index_by_theme_raw(self) -> list[tuple]:
        """(theme, sum of statuses, commitments) per theme, over those that count."""
        rows = defaultdict(lambda: [0, 0])
        for theme, status, k in (
            self.counting().values_list("theme", "status").annotate(k=models.Sum("n")).order_by()
        ):
            rows[theme][0] += status * k
            rows[theme][1] += k
        return [(theme, total, k) for theme, (total, k) in rows.items()]

    def index_by_theme(self) -> list[dict]:
        rows = defaultdict(lambda: [0, 0])
        for theme, total, k in self.index_by_theme_raw():
            rows[theme][0] += total
            rows[theme][1] += k
        return self.theme_rows(rows)

    @staticmethod
    def theme_rows(rows: dict, names: dict[str, str] | None = None) -> list[dict]:
        """The index per theme, named in the reader's language, from [sum, count] per theme;
        the themes' ``names`` (code → name) read here unless given."""
        if names is None:
            names = dict(Theme.objects.values_list("code", "name"))
        labels = {code: gettext(name) for code, name in names.items() if name is not None}
        return [
            {
                "key": labels.get(theme, theme),
                "theme": theme,
                "index": as_index(total / k),
                "count": k,
            }
            for theme, (total, k) in sorted(
                rows.items(), key=lambda row: labels.get(row[0], row[0])
            )
            if k
        ]


class StateCounts:
    """The figures of active commitments counted by state (``active_states``): by status,
    stalled and cancelled, and the index by theme, as the tally's separate reads give them
    (``status_counts``, ``total``, ``index_by_theme``; tests/test_tally.py compares them)."""

    def __init__(self, states: Counter, names: dict[str, str] | None = None):
        self.states = states
        self.names = names  # the themes' names, when read with the states

    def status_counts(self) -> dict[int, int]:
        counts: Counter = Counter()
        for (_theme, status, _stalled, cancelled), k in self.states.items():
            if not cancelled:
                counts[status] += k
        return {status: counts[status] for status in ImplementationStatus.values}

    def stalled(self) -> int:
        return sum(
            k
            for (_t, _s, stalled, cancelled), k in self.states.items()
            if stalled and not cancelled
        )

    def cancelled(self) -> int:
        return sum(k for (_t, _s, _stalled, cancelled), k in self.states.items() if cancelled)

    def index_by_theme(self) -> list[dict]:
        rows = defaultdict(lambda: [0, 0])
        for (theme, status, _stalled, cancelled), k in self.states.items():
            if not cancelled:
                rows[theme][0] += status * k
                rows[theme][1] += k
        return CommitmentTallyQuerySet.theme_rows(rows, self.names)


class CommitmentTally(Tally):
    """Commitments per team and state: theme, status, stalled, cancelled (or superseded),
    active (neither it nor its meeting archived). Kept by the triggers in migrations/_rules.py."""

    key = ("team_id", "theme", "status", "is_stalled", "cancelled", "active")

    theme = models.CharField(max_length=30)
    status = models.PositiveSmallIntegerField()
    is_stalled = models.BooleanField()
    cancelled = models.BooleanField()
    active = models.BooleanField()

    objects = CommitmentTallyQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["team"], name="commitment_tally_team")]

    @classmethod
    def recount(cls) -> list[tuple]:
        """The tally as computed from the commitments themselves: (key..., n), sorted."""
        rows = (
            Commitment.objects.annotate(
                is_cancelled=models.ExpressionWrapper(
                    ~Q(cancellation=""), output_field=models.BooleanField()
                ),
                is_active=models.ExpressionWrapper(
                    Q(archived_at__isnull=True, meeting__archived_at__isnull=True),
                    output_field=models.BooleanField(),
                ),
            )
            .values_list("team_id", "theme", "status", "is_stalled", "is_cancelled", "is_active")
            .annotate(k=models.Count("pk"))
            .order_by()
        )
        return sorted(rows)


class ComplianceTallyQuerySet(TallyQuerySet):
    def by_party(self) -> list[dict]:
        """Per party: the mean latest score (+1 … −1, "not assessed" left out) as a 0–100 %
        index, and how many commitments were scored; over commitments that count."""
        return parties_scored(self.by_party_rows())

    def by_party_rows(self):
        """``by_party``'s rows, as ``parties_scored`` takes them."""
        return (
            self.values_list("party_id", "party__name", "score")
            .annotate(k=models.Sum("n"))
            .order_by()
        )


def states_named(rows) -> tuple[Counter, dict[str, str]]:
    """``active_states_named`` of its rows (``active_states_named_rows``)."""
    states: Counter = Counter()
    names = {}
    for theme, status, stalled, cancelled, name, k in rows:
        states[theme, status, stalled, cancelled] = k
        names[theme] = name
    return states, names


def parties_scored(rows) -> list[dict]:
    """``ComplianceTallyQuerySet.by_party`` of its rows (``by_party_rows``)."""
    sums = defaultdict(lambda: [0, 0])  # party: [sum of scores, scored]
    seen = set()
    names = {}
    for party, name, score, k in rows:
        if not k:
            continue
        seen.add(party)
        names[party] = name
        if score in SCORE_VALUE:
            sums[party][0] += SCORE_VALUE[score] * k
            sums[party][1] += k
    result = []
    for party in sorted(seen, key=lambda pk: names[pk]):
        total, scored = sums[party]
        mean = total / scored if scored else None
        result.append(
            {
                "key": names[party],
                "party_id": party,
                "mean": mean,
                "index": None if mean is None else round((mean + 1) / 2 * 100, 1),
                "count": scored,
            }
        )
    return result


class ComplianceTally(Tally):
    """Latest assessments per team, party and score, over commitments that count (active,
    not cancelled or superseded). Kept by the triggers in migrations/_rules.py."""

    key = ("team_id", "party_id", "score")

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    score = models.CharField(max_length=3)  # an assessment's, already checked there

    objects = ComplianceTallyQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["team"], name="compliance_tally_team")]

    @classmethod
    def recount(cls) -> list[tuple]:
        rows = (
            Assessment.objects.latest_per_party()
            .filter(Commitment.counting_q("commitment__"))
            .values_list("commitment__team_id", "party_id", "score")
            .annotate(k=models.Count("pk"))
            .order_by()
        )
        return sorted(rows)


def fold_piled(team_ids: list[int]) -> None:
    """Fold each tally of these teams whose rows have piled up past ``COMPACT_AFTER`` (a probe
    of the team's index per tally). Called once a write that appends rows has committed."""
    for model in (CommitmentTally, ComplianceTally):
        cap = model.COMPACT_AFTER
        piled = [t for t in team_ids if model.objects.filter(team_id=t)[cap:].exists()]
        if piled:
            model.compact(piled)
