"""The digest web archive (a signed link, no login) and one-click unsubscribe."""

import base64

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from feedback import digest_delivery
from feedback.models import DigestDelivery, DigestSubscription
from surveys.links import private_page


@private_page
@require_http_methods(["GET"])
def digest_archive(request: HttpRequest, signed: str) -> HttpResponse:
    """Past digests of one subscription; ?period=YYYY-MM-DD opens one."""
    try:
        subscription_id = signing.loads(signed, salt=digest_delivery.ARCHIVE_SALT)
    except signing.BadSignature:
        raise Http404 from None
    subscription = DigestSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        raise Http404
    language = subscription.language
    sent = subscription.deliveries.filter(status=DigestDelivery.Status.SENT).order_by("-period_start")
    with translation.override(language):
        period = request.GET.get("period", "")
        delivery = sent.filter(period_start=period).first() if period else None
        if period and delivery is None:
            raise Http404
        if delivery is None:
            return render(request, "feedback/digest/archive.html", {"deliveries": sent, "language": language})
        context = digest_delivery.digest_context(delivery.content, language=language)
        pngs = digest_delivery.digest_pngs(delivery.content, language=language)
        context["images"] = {
            name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in pngs.items()
        }
        return render(request, "feedback/digest/digest.html", context)


@private_page
@csrf_exempt  # the unguessable token is the credential; mail clients POST without a cookie
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners follow links); POST unsubscribes at once (RFC 8058)."""
    subscription = DigestSubscription.objects.filter(token=token).first()
    if subscription is None:
        raise Http404
    with translation.override(subscription.language):
        if request.method == "POST":
            digest_delivery.digest_unsubscribe(token=token)
            return render(request, "surveys/unsubscribe.html", {"state": "done", "language": subscription.language})
        state = "confirm" if subscription.active else "done"
        return render(request, "surveys/unsubscribe.html", {"state": state, "language": subscription.language})
