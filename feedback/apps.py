from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from feedback import privacy  # noqa: F401 - describes this app's personal data to vocsite.privacy
        from feedback.webhooks import receivers
        from surveys.signals import distribution_finished

        distribution_finished.connect(receivers.distribution_finished, dispatch_uid="webhooks-distribution-finished")
