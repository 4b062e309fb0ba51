"""The suppression list: addresses never to be emailed again, kept only as keyed hashes.

An erased contact's address stays here as an HMAC (key: settings.PRIVACY_HASH_KEY), which
cannot be turned back into the address, but lets distribution recognise it if the same
address is added again, by an import or the API.
"""

from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import salted_hmac

from surveys.models import SuppressedAddress


def address_normalise(address: str) -> str:
    """The form addresses are compared in: contacts are unique case-insensitively."""
    return address.strip().lower()


def address_hash(address: str) -> str:
    """The keyed hash of an address (64 hex characters)."""
    return salted_hmac(
        "vocsite.suppression", address_normalise(address), secret=settings.PRIVACY_HASH_KEY, algorithm="sha256"
    ).hexdigest()


def addresses_suppress(*, addresses: Iterable[str], reason: str = SuppressedAddress.Reason.ERASED) -> int:
    """Put these addresses on the suppression list (once each); returns how many were given."""
    rows = [SuppressedAddress(address_hash=address_hash(address), reason=reason) for address in set(addresses)]
    SuppressedAddress.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def suppressed_among(addresses: Iterable[str]) -> set[str]:
    """The (normalised) addresses among these that are on the suppression list, in one query."""
    by_hash = {address_hash(address): address_normalise(address) for address in addresses if address}
    if not by_hash:
        return set()
    found = SuppressedAddress.objects.filter(address_hash__in=list(by_hash)).values_list("address_hash", flat=True)
    return {by_hash[digest] for digest in found}


def address_suppress(*, address: str, reason: str = SuppressedAddress.Reason.ERASED) -> tuple[SuppressedAddress, bool]:
    """Put one address on the suppression list; the row it already had, if any, and whether it is new."""
    return SuppressedAddress.objects.get_or_create(address_hash=address_hash(address), defaults={"reason": reason})
