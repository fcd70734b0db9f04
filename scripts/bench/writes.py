"""The mixed run's writers: a Django process writing through the actions, as the pages' forms
do, at a steady rate while wrk's readers go round the pages.

    python -m scripts.bench.writes SECONDS RATE    (DATABASE_URL and settings from the env)

In turn: the demo's editor submits a progress update on one of their commitments; the demo's
reviewer approves the oldest update this run submitted (or, with none waiting, the editor
submits another); the editor ticks (or opens again) a milestone over the version read just
before. A write refused by its own rule (ValidationError, a version changed meanwhile) is
counted apart from one that fails otherwise. At the end every write answered as done is looked
for in the database: one missing is lost. Prints one JSON line: made, refused, failed, lost,
each write's milliseconds.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import traceback


def main(seconds: float, rate: float) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    from agreements import actions
    from agreements import models as m

    users = get_user_model().objects
    editor, reviewer = users.get(username="staff"), users.get(username="reviewer")
    rng = random.Random(27)
    seen = m.Commitment.objects.visible_to(editor).active().filter(team__slug="north-america")
    commitments = list(seen.order_by("pk").values_list("pk", flat=True)[:5000])
    milestones = list(
        m.Milestone.objects.filter(
            commitment__in=commitments[:2000],
            status__in=[m.MilestoneStatus.PLANNED, m.MilestoneStatus.DONE],
        ).values_list("pk", flat=True)
    )
    waiting: list[int] = []
    done = {"submitted": [], "approved": [], "ticked": []}
    times: list[float] = []
    refused = failed = 0

    def submit() -> None:
        commitment = m.Commitment.objects.get(pk=rng.choice(commitments))
        update = actions.submit_update(
            commitment=commitment, author=editor, narrative="Benchmark progress"
        )
        waiting.append(update.pk)
        done["submitted"].append(update.pk)

    def approve() -> None:
        if not waiting:
            return submit()
        update = m.ProgressUpdate.objects.get(pk=waiting.pop(0))
        actions.approve_update(update=update, by=reviewer)
        done["approved"].append(update.pk)

    def tick() -> None:
        milestone = m.Milestone.objects.get(pk=rng.choice(milestones))
        ticked = actions.toggle_milestone(
            milestone=milestone, expected=milestone.version, by=editor
        )
        done["ticked"].append((ticked.pk, ticked.version))

    kinds = [submit, approve, tick]
    started = time.monotonic()
    n = 0
    while (due := started + n / rate) < started + seconds:
        time.sleep(max(0.0, due - time.monotonic()))
        began = time.perf_counter()
        try:
            kinds[n % len(kinds)]()
        except (ValidationError, m.VersionConflict):
            refused += 1
        except Exception:  # counted, and the first few shown
            failed += 1
            if failed <= 3:
                traceback.print_exc(file=sys.stderr)
        times.append((time.perf_counter() - began) * 1000)
        n += 1
    elapsed = time.monotonic() - started
    lost = len(set(done["submitted"]) - set(m.ProgressUpdate.objects.values_list("pk", flat=True)))
    lost += (
        len(done["approved"])
        - m.ProgressUpdate.objects.filter(
            pk__in=done["approved"], review_state=m.ReviewState.APPROVED
        ).count()
    )
    versions = dict(
        m.Milestone.objects.filter(pk__in=[pk for pk, _ in done["ticked"]]).values_list(
            "pk", "version"
        )
    )
    lost += sum(1 for pk, version in done["ticked"] if versions.get(pk, 0) < version)
    return {
        "made": n,
        "refused": refused,
        "failed": failed,
        "lost": lost,
        "ms": times,
        "per_second": n / elapsed if elapsed else 0.0,
    }


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]), float(sys.argv[2]))), flush=True)
