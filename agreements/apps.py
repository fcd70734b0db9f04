from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self) -> None:
        from . import audit  # noqa: F401  (connects the history stamp)
