"""Recipients as staff see them: enough to tell two apart, not enough to write to them."""

import phonenumbers


def recipient_masked(channel: str, recipient: str) -> str:
    """``a***@example.pl``, ``+48 *** *** 123``, a device token's first four characters."""
    if not recipient:
        return ""
    if channel == "email":
        local, at, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}" if at else "***"
    if channel == "sms":
        try:
            country = phonenumbers.parse(recipient).country_code
        except phonenumbers.NumberParseException:
            return f"*** {recipient[-3:]}"
        return f"+{country} *** *** {recipient[-3:]}"
    return f"{recipient[:4]}…"
