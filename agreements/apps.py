from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agreements"
    verbose_name = _("Agreements")

    def ready(self) -> None:
        from . import audit, catalogues, middleware  # noqa: F401  (connect the history stamp, the sign-in clock)

        catalogues.skip_empty_fallbacks()
