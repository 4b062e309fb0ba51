"""WSGI entry point, used by gunicorn (see the Procfile)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocsite.settings")

application = get_wsgi_application()

from vocsite.startup import require_secret_key  # noqa: E402 - settings are loaded by now

require_secret_key()
