"""Points' section of the customer's 360° card: balance, pending, tier, live lots with their
expiry and the latest 10 entries; agents with ``loyalty.grant_points`` grant goodwill points
(reason required). A fixed number of queries, however long the ledger."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.card import CardAction, CardSection, card_section_register

from .models import PointsEntry
from .selectors_points import points_entries_latest, points_summary
from .services.points import GRANT_PERMISSION, points_adjust

ENTRIES_SHOWN = 10
KIND_LABELS = dict(PointsEntry.Kind.choices)


def _points(customer, request: HttpRequest) -> dict:
    entries = points_entries_latest(customer=customer, limit=ENTRIES_SHOWN)
    for entry in entries:
        entry.kind_label = KIND_LABELS.get(entry.kind, entry.kind)
    return {"summary": points_summary(customer=customer), "entries": entries}


def _grant(customer, request: HttpRequest) -> str:
    try:
        points = int(request.POST.get("points", ""))
    except ValueError:
        raise ValidationError(_("Give a whole number of points.")) from None
    entry = points_adjust(customer=customer, points=points, reason=request.POST.get("reason", ""), actor=request.user)
    return _("%(points)+d points recorded.") % {"points": entry.points}


def points_card_register() -> None:
    card_section_register(
        CardSection(
            name="points",
            title=gettext_lazy("Points and tier"),
            order=25,
            column=2,
            context=_points,
            template="admin/loyalty/card/points.html",
            permission="loyalty.view_loyaltyaccount",
            actions=(CardAction("grant", gettext_lazy("Grant goodwill points"), _grant, permission=GRANT_PERMISSION),),
        )
    )
