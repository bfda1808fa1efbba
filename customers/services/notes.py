"""Notes agents and store staff keep on a customer."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Customer, CustomerNote

NOTE_MAX_LENGTH = 2000


def customer_note_add(*, customer: Customer, text: str, actor, pinned: bool = False) -> CustomerNote:
    """A note by ``actor`` on ``customer``. Raises ``ValidationError`` for an empty or too long text."""
    text = str(text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the note first.")]})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError({"text": [_("At most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]})
    return CustomerNote.objects.create(customer=customer, text=text, author=actor, pinned=pinned)


def customer_note_pin(*, note: CustomerNote, pinned: bool, actor=None) -> CustomerNote:
    """Pin a note to the top of the card, or unpin it."""
    CustomerNote.objects.filter(pk=note.pk).update(pinned=pinned)
    note.pinned = pinned
    return note
