from django.apps import AppConfig


class VocsiteConfig(AppConfig):
    name = "vocsite"
    verbose_name = "vocsite"

    def ready(self) -> None:
        from vocsite import startup  # noqa: F401 - registers the deploy check
        from vocsite.privacy import registry

        # The outbox holds task messages, which carry ids only (tests/privacy checks the messages).
        registry.register(
            registry.ModelPrivacy("vocsite.OutboxMessage", not_personal={"args": "task arguments: ids only"})
        )
