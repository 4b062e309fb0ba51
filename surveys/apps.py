from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys and distribution")

    def ready(self) -> None:
        from surveys import privacy  # noqa: F401 - describes this app's personal data to vocsite.privacy
