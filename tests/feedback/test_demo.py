"""The demo command seeds a realistic, bilingual survey once and prints where to go."""

from io import StringIO

import pytest
from django.core.management import call_command

from feedback.models import SurveyResponse
from surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_once_and_prints_the_urls_and_login() -> None:
    output = StringIO()

    call_command("demo", "--no-serve", stdout=output)
    call_command("demo", "--no-serve", stdout=StringIO())

    demo = Survey.objects.get(name="Demo: customer NPS")
    responses = SurveyResponse.objects.filter(survey=demo)
    assert demo.status == "live"
    assert responses.completed().count() == 36
    assert set(responses.values_list("language", flat=True)) == {"en", "zh-hans"}
    printed = output.getvalue()
    assert "Login:          admin / vocsite-demo" in printed
    assert printed.count("?score=9") == 2
