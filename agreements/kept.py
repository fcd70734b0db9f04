"""What is worked out once a process for each language and kept: names of months and days,
the header's navigation, the admin's menu, a blank review form. Its words come from the
compiled catalogues and the settings, so a store is emptied when either changes: when
runserver sees a catalogue compiled again (``file_changed`` on a ``.mo`` file), or when a
setting changes (a test's other formats, addresses or languages)."""

from __future__ import annotations

from django.core.signals import setting_changed
from django.utils.autoreload import file_changed


def kept_per_language(store: dict) -> dict:
    """``store``, emptied whenever its words may have changed (see the module)."""

    def forget(file_path=None, **kwargs) -> None:
        if file_path is None or file_path.suffix == ".mo":
            store.clear()

    file_changed.connect(forget, weak=False)
    setting_changed.connect(forget, weak=False)
    return store
