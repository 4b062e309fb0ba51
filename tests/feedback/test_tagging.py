"""Tagging free-text answers after commit: sentiment, language, key phrases, keyword themes."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from feedback import tagging
from feedback.models import Answer, AnswerTheme, Theme
from tests.conftest import make_contact, make_invitation, make_survey
from tests.realparts import wait_until

pytestmark = pytest.mark.django_db


def answer_nps_with(client: Client, text: str, *, score: str = "2", language: str = "en") -> Any:
    invitation = make_invitation(survey=make_survey(), contact=make_contact(language=language))
    path = f"/s/{invitation.token}/"
    client.post(path, {"page": "1", "q_nps": score})
    client.post(path, {"page": "2", "q_disappointed" if int(score) <= 6 else "q_loved": text})
    client.post(path, {"page": "3"})
    return invitation


@pytest.fixture
def themes() -> dict[str, Theme]:
    Theme.objects.all().delete()  # the default themes would match too; these tests bring their own
    billing = Theme.objects.create(name="Billing test", name_zh="账单", keywords=["invoice", "发票"])
    app = Theme.objects.create(name="App test", keywords=["app"])
    return {"billing": billing, "app": app}


def test_completing_a_response_tags_its_text_after_commit(
    client: Client, themes: dict[str, Theme], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer_nps_with(client, "The invoice was wrong two months in a row and nobody called back.")

    answer = Answer.objects.get(question__key="disappointed")
    assert (answer.text_language, answer.sentiment) == ("en", "negative")
    assert answer.polarity < 0
    assert answer.analyser.startswith("vocsite-en/")
    assert answer.analysed_at is not None
    assert list(answer.themes.values_list("name", flat=True)) == ["Billing test"]


def test_a_chinese_answer_is_analysed_as_chinese(
    client: Client, themes: dict[str, Theme], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer_nps_with(client, "发票连续两个月开错了，也没人回电话。", language="zh-hans")

    answer = Answer.objects.get(question__key="disappointed")
    assert (answer.text_language, answer.sentiment) == ("zh-hans", "negative")
    assert answer.key_phrases
    assert list(answer.themes.values_list("name", flat=True)) == ["Billing test"]


def test_a_keyword_matches_whole_english_words_only(themes: dict[str, Theme], client: Client) -> None:
    answer_nps_with(client, "Happy with the application overall", score="9")
    answer = Answer.objects.get(question__key="loved")

    tagging.answers_tag(answer_ids=[answer.pk])

    assert not answer.themes.exists()


def test_script_looking_text_is_tagged_without_error_and_kept_verbatim(
    client: Client, themes: dict[str, Theme]
) -> None:
    answer_nps_with(client, "<script>alert('x')</script>")
    answer = Answer.objects.get(question__key="disappointed")

    tagged = tagging.answers_tag(answer_ids=[answer.pk])

    answer.refresh_from_db()
    assert tagged == 1
    assert answer.text == "<script>alert('x')</script>"
    assert answer.sentiment in {"negative", "neutral", "positive"}


def test_tagging_twice_changes_nothing(client: Client, themes: dict[str, Theme]) -> None:
    answer_nps_with(client, "Invoice errors again")
    answer = Answer.objects.get(question__key="disappointed")
    tagging.answers_tag(answer_ids=[answer.pk])

    again = tagging.answers_tag(answer_ids=[answer.pk])

    assert again == 0
    assert AnswerTheme.objects.count() == 1


def test_the_sweep_enqueues_answers_whose_tagging_was_lost(
    client: Client, themes: dict[str, Theme], django_capture_on_commit_callbacks: Any
) -> None:
    answer_nps_with(client, "Waited forty minutes on hold")
    Answer.objects.update(answered_at=timezone.now() - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        found = tagging.answers_sweep_untagged(now=timezone.now())

    assert found == 1
    assert Answer.objects.untagged().count() == 0


def test_a_keyword_theme_can_catch_past_answers_and_be_merged(client: Client, themes: dict[str, Theme]) -> None:
    answer_nps_with(client, "Your app crashes on my phone")
    tagging.answers_tag(answer_ids=Answer.objects.values_list("pk", flat=True))
    mobile = Theme.objects.create(name="Mobile test", keywords=["phone"])

    caught = tagging.theme_apply_keywords(theme=mobile)
    tagging.theme_merge(theme=themes["app"], into=mobile)

    assert caught == 1
    answer = Answer.objects.get(question__key="disappointed")
    assert list(answer.themes.values_list("name", flat=True)) == ["Mobile test"]
    mobile.refresh_from_db()
    assert mobile.keywords == ["phone", "app"]
    assert Theme.objects.get(name="App test").merged_into == mobile


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_tags_a_completed_response(celery_worker: Any) -> None:
    answer_nps_with(Client(), "I waited forty minutes on hold before anyone answered.")

    assert wait_until(lambda: Answer.objects.untagged().count() == 0 and Answer.objects.exclude(sentiment="").exists())
    assert Answer.objects.get(question__key="disappointed").sentiment == "negative"
