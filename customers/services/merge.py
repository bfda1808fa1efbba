"""Merging a duplicate customer into the one that stays. Everything the duplicate owns moves:
identities, consents (the later answer per purpose wins; the whole history moves), notes, the
login when only the duplicate has one, and whatever the apps above customers keep per customer
(orders and carts, later points, returns and cases), through the steps they register here. The
duplicate stays as an empty record pointing at the survivor (``CustomerMerge``), so references
held outside omnishop still resolve.

Both customer rows are locked in id order before anything moves: two merges of the same pair
(or of A into B and B into A) at once end in one merge, the other refused."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Consent, ConsentEvent, Customer, CustomerIdentity, CustomerMerge, CustomerNote

MergeStep = Callable[..., int]
_STEPS: dict[str, MergeStep] = {}


def customer_merge_step_register(name: str, step: MergeStep) -> None:
    """An app above customers moves its own rows on a merge: ``step(survivor=, duplicate=, actor=)``
    runs inside the merge's transaction, both customers locked, and returns how many rows moved."""
    _STEPS[name] = step


class MergeRefused(ValidationError):
    """The two customers cannot be merged (the same one, one already merged, two logins)."""


def _identity_of_profile(customer: Customer, survivor: Customer) -> list[CustomerIdentity]:
    """The duplicate's own e-mail and phone, kept as identities of the survivor so that orders
    sent with them still find the customer."""
    wanted = []
    if customer.email and customer.email.lower() != survivor.email.lower():
        wanted.append((CustomerIdentity.Kind.EMAIL, customer.email.lower()))
    if customer.phone and customer.phone != survivor.phone:
        wanted.append((CustomerIdentity.Kind.PHONE, customer.phone))
    taken = {
        (kind, value)
        for kind, value in CustomerIdentity.objects.filter(
            channel__isnull=True, kind__in=[k for k, _v in wanted], value__in=[v for _k, v in wanted]
        ).values_list("kind", "value")
    }
    return [
        CustomerIdentity(customer=survivor, kind=kind, value=value)
        for kind, value in wanted
        if (kind, value) not in taken
    ]


def _consents_move(survivor: Customer, duplicate: Customer) -> int:
    kept = {c.purpose: c for c in Consent.objects.filter(customer=survivor)}
    moved = 0
    for consent in Consent.objects.filter(customer=duplicate):
        current = kept.get(consent.purpose)
        if current is None:
            Consent.objects.filter(pk=consent.pk).update(customer=survivor)
            moved += 1
        elif consent.updated_at > current.updated_at:
            Consent.objects.filter(pk=current.pk).update(
                granted=consent.granted, text_version=consent.text_version, updated_at=consent.updated_at
            )
            consent.delete()
            moved += 1
        else:
            consent.delete()
    ConsentEvent.objects.filter(customer=duplicate).update(customer=survivor)
    return moved


def customer_merge(*, survivor: Customer, duplicate: Customer, actor=None) -> CustomerMerge:
    """Move everything of ``duplicate`` to ``survivor`` and record who merged them and what moved.
    Raises ``MergeRefused`` when they are the same customer, either was already merged, or both
    have a login (a person signs in with one account; an agent cannot choose for them)."""
    if survivor.pk == duplicate.pk:
        raise MergeRefused({"duplicate": [_("A customer cannot be merged into themselves.")]})
    with transaction.atomic():
        rows = {
            c.pk: c
            for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk]).order_by("pk")
        }
        survivor, duplicate = rows[survivor.pk], rows[duplicate.pk]
        merged_already = set(
            CustomerMerge.objects.filter(merged__in=[survivor.pk, duplicate.pk]).values_list("merged_id", flat=True)
        )
        if duplicate.pk in merged_already:
            raise MergeRefused({"duplicate": [_("This customer was already merged into another one.")]})
        if survivor.pk in merged_already:
            raise MergeRefused({"survivor": [_("This customer was merged into another one: merge into that one.")]})
        if survivor.user_id and duplicate.user_id:
            raise MergeRefused(
                {"duplicate": [_("Both customers have a login; the customer has to close one of the accounts first.")]}
            )
        moved = {"identities": CustomerIdentity.objects.filter(customer=duplicate).update(customer=survivor)}
        profile = _identity_of_profile(duplicate, survivor)
        CustomerIdentity.objects.bulk_create(profile)
        moved["identities"] += len(profile)
        moved["consents"] = _consents_move(survivor, duplicate)
        moved["notes"] = CustomerNote.objects.filter(customer=duplicate).update(customer=survivor)
        if duplicate.user_id and not survivor.user_id:
            user_id = duplicate.user_id
            Customer.objects.filter(pk=duplicate.pk).update(user=None)
            Customer.objects.filter(pk=survivor.pk).update(user_id=user_id)
            survivor.user_id, duplicate.user_id = user_id, None
            moved["login"] = 1
        for name, step in _STEPS.items():
            moved[name] = step(survivor=survivor, duplicate=duplicate, actor=actor)
        return CustomerMerge.objects.create(survivor=survivor, merged=duplicate, actor=actor, moved=moved)
