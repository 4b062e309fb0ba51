"""Logs mask email addresses and link tokens; Celery messages carry ids only."""

import inspect
import io
import logging
import secrets
import typing
from typing import Any

import pytest
from celery.signals import after_setup_logger
from django.conf import settings
from django.test import Client

from vocsite.celery import app as celery_app
from vocsite.privacy.logs import MaskPersonalData
from vocsite.privacy.masking import mask_personal_data

TOKEN = secrets.token_urlsafe(24)


def masked(message: str, *args: Any, exc_info: Any = None) -> str:
    record = logging.LogRecord("test", logging.WARNING, __file__, 1, message, args, exc_info)
    MaskPersonalData().filter(record)
    return logging.Formatter().format(record)


def test_addresses_and_tokens_are_masked_and_ordinary_words_ids_and_uuids_kept() -> None:
    text = (
        f"Not Found: /s/{TOKEN}/status/ for Ada.Lovelace+vip@example.co.uk (ada%40example.org), "
        "API token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b, task 3f2b8c1e-94d7-4c51-9d0a-5be2f41d3a77, "
        "send_invitation_batch, InvitationEmailQuerySetDueFilter, response 1234"
    )

    assert mask_personal_data(text) == (
        "Not Found: /s/[token]/status/ for [email] ([email]), API token [token], "
        "task 3f2b8c1e-94d7-4c51-9d0a-5be2f41d3a77, send_invitation_batch, InvitationEmailQuerySetDueFilter, "
        "response 1234"
    )


def test_the_filter_masks_arguments_and_exceptions_of_a_record() -> None:
    try:
        raise ValueError(f"550 5.1.1 <bob@example.com> unknown, link /s/{TOKEN}/")
    except ValueError as error:
        line = masked("Sending to %s failed: %s", "bob@example.com", error, exc_info=(type(error), error, None))

    assert "bob@example.com" not in line and TOKEN not in line
    assert line.startswith("Sending to [email] failed: 550 5.1.1 <[email]> unknown, link /s/[token]/")
    assert line.endswith("ValueError: 550 5.1.1 <[email]> unknown, link /s/[token]/")


def test_a_malformed_log_call_is_still_masked_and_never_raises() -> None:
    assert masked("%s and %s", "bob@example.com") == "%s and %s ('[email]',)"


def test_every_configured_handler_masks_personal_data() -> None:
    handlers = settings.LOGGING["handlers"]

    assert settings.LOGGING["filters"]["mask_personal_data"]["()"] == "vocsite.privacy.logs.MaskPersonalData"
    assert handlers and all("mask_personal_data" in handler["filters"] for handler in handlers.values())
    assert configured_handlers()
    assert all(any(isinstance(f, MaskPersonalData) for f in handler.filters) for handler in configured_handlers())


def configured_handlers() -> list[logging.Handler]:
    """The root handlers LOGGING set up (pytest adds capturing handlers of its own)."""
    return [handler for handler in logging.root.handlers if handler.get_name() in settings.LOGGING["handlers"]]


@pytest.mark.django_db
def test_a_request_for_an_unknown_link_is_logged_without_its_token() -> None:
    [handler] = configured_handlers()
    output = io.StringIO()
    previous = handler.setStream(output)
    try:
        page = Client().get(f"/s/{TOKEN}/", {"email": "ada@example.org"})
    finally:
        handler.setStream(previous)

    assert page.status_code == 404
    assert output.getvalue() == "Not Found: /s/[token]/\n"


def test_celerys_own_handlers_get_the_filter_too() -> None:
    logger = logging.getLogger("tests.privacy.celery-like")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    try:
        after_setup_logger.send(
            sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="", colorize=False
        )
        after_setup_logger.send(
            sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="", colorize=False
        )
    finally:
        logger.removeHandler(handler)

    assert [type(f) for f in handler.filters] == [MaskPersonalData]


ID_TYPES = {int, list[int], int | None}


def test_every_task_of_the_project_takes_ids_only() -> None:
    celery_app.loader.import_default_modules()
    ours = {
        name: task
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in {"surveys", "feedback", "vocsite"}
    }
    assert len(ours) >= 9

    for name, task in ours.items():
        hints = typing.get_type_hints(task.run)
        hints.pop("return", None)
        parameters = inspect.signature(task.run).parameters
        assert set(hints) == set(parameters), name
        assert set(hints.values()) <= ID_TYPES, name
