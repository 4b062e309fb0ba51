"""The one table of the project package: task messages waiting for the broker to come back."""

from django.db import models


class OutboxMessage(models.Model):
    """A task message the broker did not take (it was down); `outbox_publish` sends it later.

    Ids only, like every task message: no personal data waits here.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
