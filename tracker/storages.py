"""Static files' storages whose files' addresses are worked out once a process (issue #27): a
page names some twenty static files (the admin's styles and scripts, the site's), and each
``{% static %}`` asked the storage again: the file's stored name (its hash, read from
collectstatic's manifest in production), then the address joined to ``STATIC_URL``. The same
name gives the same address for as long as the storage lives: the manifest is read once, when
the storage is made, and a change of settings (``STORAGES``, ``STATIC_URL``: a test's) makes a
new storage, with nothing kept."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class AddressesKept:
    """A storage's ``url``, kept for each name it is asked for. Where there is no address (a
    file the manifest does not hold, refused), nothing is kept: it is refused again."""

    # Names come from the templates and the code, a few hundred at most; past these, the kept
    # addresses are forgotten and worked out again.
    KEPT = 1_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept_addresses: dict[tuple, str] = {}

    def url(self, name, force=False):
        # In DEBUG, a hashing storage gives the plain name (``ManifestFilesMixin._url``).
        key = (name, force, settings.DEBUG)
        kept = self._kept_addresses
        try:
            return kept[key]
        except KeyError:
            if len(kept) >= self.KEPT:
                kept.clear()
            # A plain storage's ``url`` takes the name alone.
            address = kept[key] = super().url(name, force) if force else super().url(name)
            return address


class PlainAddressesKept(AddressesKept, StaticFilesStorage):
    """Plain names (css/tracker.css): the demo's (``DEBUG``) and the tests'."""


class HashedAddressesKept(AddressesKept, CompressedManifestStaticFilesStorage):
    """Hashed names from collectstatic's manifest, compressed files beside them: production's."""
