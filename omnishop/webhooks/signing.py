"""The signature receivers check: HMAC-SHA256 over ``"{timestamp}.{body}"`` with the secret."""

import hashlib
import hmac

SIGNATURE_VERSION = "v1"


def signature(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Omnishop-Signature`` header value: ``v1=<hex digest>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def signature_verify(*, secret: str, timestamp: int | str, body: bytes, header: str) -> bool:
    """What a receiver does (docs/webhooks.md): recompute and compare in constant time."""
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))
