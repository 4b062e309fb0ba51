"""Which URLs may receive webhooks, and sending to exactly the address that was checked.

A receiver's host is resolved once per attempt; if any of its addresses is private, loopback,
link-local, multicast, reserved, carrier-grade NAT, an IPv6 form that embeds such an IPv4
address, or a cloud metadata address, nothing is sent. Otherwise the connection goes to the
checked address itself (so a DNS answer that changes between check and connect, "DNS
rebinding", changes nothing), with the original Host header and TLS name check. Redirects are
never followed. WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (on-premise installs) allows private and
loopback addresses and plain http; metadata addresses stay refused.
"""

import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text) for text in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2")
)
CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
EXCERPT_BYTES = 500


class AddressRefused(ValueError):
    """The URL may not receive webhooks; the message says why, for a person."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the pinned address) and what to say to it."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Answer:
    """What one request got: a status code, or an error (no secret in either)."""

    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to. A seam: tests point it at a resolver of their own."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def refusal(address: IPAddress) -> str:
    """Why an address may not receive webhooks ("" when it may)."""
    if address in METADATA_ADDRESSES:
        return _("a cloud metadata address")
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return _("a multicast, unspecified or reserved address")
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded)
    if address.is_global:
        return ""
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES and (
        address.is_private or address.is_loopback or address.is_link_local or address in CARRIER_GRADE_NAT
    ):
        return ""
    return _("a private, loopback or link-local address")


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if address.version != 6:
        return None
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def target_for(url: str) -> Target:
    """Check a URL and resolve its host once; raises AddressRefused with the reason."""
    parts = _parse(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    try:
        addresses = resolve(host, port)
    except (OSError, ValueError):  # UnicodeError (a bad IDN label) and an embedded NUL are ValueErrors
        raise AddressRefused(_("The host %(host)s could not be resolved.") % {"host": host}) from None
    if not addresses:
        raise AddressRefused(_("The host %(host)s could not be resolved.") % {"host": host})
    for text in addresses:
        reason = refusal(ipaddress.ip_address(text.split("%")[0]))
        if reason:
            raise AddressRefused(
                _("%(host)s resolves to %(address)s, %(reason)s: webhooks are not sent there.")
                % {"host": host, "address": text, "reason": reason}
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


def _parse(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise AddressRefused(_("Enter a valid URL.")) from None
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES else ("https",)
    if parts.scheme not in allowed:
        raise AddressRefused(_("Webhooks are sent over https only."))
    if not parts.hostname:
        raise AddressRefused(_("Enter a valid URL."))
    if parts.username or parts.password:
        raise AddressRefused(_("A webhook URL may not carry a user name or password."))
    return parts


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST to the pinned address, never following a redirect; an error becomes part of the Answer."""
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    started = time.monotonic()
    pool = _pool(target, timeout=timeout)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header, "User-Agent": "vocsite-webhooks/1"},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        excerpt = response.read(EXCERPT_BYTES, decode_content=False).decode(errors="replace")
        response.release_conn()
        return Answer(response.status, "", excerpt, _elapsed_ms(started))
    except urllib3.exceptions.HTTPError as error:
        return Answer(None, _error_text(error), "", _elapsed_ms(started))
    finally:
        pool.close()


def _pool(target: Target, *, timeout: float) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            ssl_context=ssl.create_default_context(cafile=settings.WEBHOOK_CA_FILE),
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False)


def _error_text(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    return f"{type(reason).__name__}: {reason}"[:500]


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
