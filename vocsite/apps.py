from django.apps import AppConfig


class VocsiteConfig(AppConfig):
    name = "vocsite"
    verbose_name = "vocsite"

    def ready(self) -> None:
        from vocsite import startup  # noqa: F401 - registers the deploy check
