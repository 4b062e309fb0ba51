"""Celery tasks of feedback: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.utils import timezone

from feedback import tagging


@shared_task(acks_late=True)
def tag_response(response_id: int) -> int:
    """Tag the free-text answers of a response that was just completed."""
    return tagging.response_tag(response_id=response_id)


@shared_task(acks_late=True)
def tag_answers(answer_ids: list[int]) -> int:
    """Tag a batch of answers found by the sweep."""
    return tagging.answers_tag(answer_ids=answer_ids)


@shared_task(acks_late=True)
def feedback_tick() -> dict[str, int]:
    """The beat's periodic sweep of feedback work whose message was lost."""
    return {"untagged": tagging.answers_sweep_untagged(now=timezone.now())}
