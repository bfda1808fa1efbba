"""The 360° customer card: the customer's page in admin, drawn from sections.

Customers draws its own sections (profile and identities, consents, notes); the apps above it
(orders now; loyalty's points and tier, returns and cases later) register theirs in their
``AppConfig.ready()`` with ``card_section_register``, since customers may not import them. A
section's ``context(customer, request)`` reads what it shows through its app's selectors in a
fixed number of queries (the card's query count must not grow with the customer's orders or
notes), and renders it with its own ``template``. Its ``actions`` are what an agent may do from
it (add a note, resend a notification): each is a POST to
``<customer>/card/<section>/<action>/`` that runs a service and returns to the card.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Customer

SectionContext = Callable[[Customer, HttpRequest], dict]
# Runs the action's service for the posted data; returns the message shown on the card.
# Raises ``ValidationError`` or a ``DomainError`` to refuse (shown as an error message).
ActionRun = Callable[[Customer, HttpRequest], str]


@dataclass(frozen=True)
class CardAction:
    name: str
    label: object
    run: ActionRun
    # "app_label.codename" the agent needs; None: anyone who may view the customer.
    permission: str | None = None


@dataclass(frozen=True)
class CardSection:
    name: str
    title: object
    order: int
    context: SectionContext
    template: str
    actions: tuple[CardAction, ...] = field(default=())
    # Across the whole card, below the columns (a table); else stacked in ``column`` (1-3) of
    # the card's top, which a laptop screen shows without scrolling.
    wide: bool = False
    column: int = 1
    # "app_label.codename" needed to see the section at all; None: anyone who may view the customer.
    permission: str | None = None

    def action(self, name: str) -> CardAction | None:
        return next((a for a in self.actions if a.name == name), None)


_sections: dict[str, CardSection] = {}


def card_section_register(section: CardSection) -> None:
    """Add (or replace, by name) a section of the card."""
    _sections[section.name] = section


def card_sections() -> list[CardSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.name))


def card_section_get(name: str) -> CardSection | None:
    return _sections.get(name)


def card_action_allowed(action: CardAction, user) -> bool:
    return action.permission is None or user.has_perm(action.permission)


def order_place_url(customer: Customer) -> str:
    """The agent's "Place an order" page (orders' admin) for this customer; "" while it is not there."""
    try:
        return f"{reverse('admin:orders_order_place')}?customer={customer.pk}"
    except NoReverseMatch:
        return ""


CARD_COLUMNS = 3


def card_render(*, customer: Customer, request: HttpRequest) -> list[dict]:
    """What the card shows: per visible section its title, template and context, with the
    actions the user may run (``can_<action name>`` in the section's context)."""
    rendered = []
    for section in card_sections():
        if section.permission and not request.user.has_perm(section.permission):
            continue
        context = dict(section.context(customer, request))
        for action in section.actions:
            context[f"can_{action.name}"] = card_action_allowed(action, request.user)
        rendered.append({"section": section, "context": context})
    return rendered


def card_layout(rendered: list[dict]) -> dict:
    """The rendered sections as the page lays them out: ``columns`` (three stacks, in order)
    and ``wide`` ones below them."""
    columns = [[] for _ in range(CARD_COLUMNS)]
    for item in rendered:
        if not item["section"].wide:
            columns[min(max(item["section"].column, 1), CARD_COLUMNS) - 1].append(item)
    return {"columns": columns, "wide": [item for item in rendered if item["section"].wide]}


# --- the customer's own sections ------------------------------------------------------------


def _profile(customer: Customer, request: HttpRequest) -> dict:
    from .selectors import customer_duplicates, customer_identities

    return {
        "customer": customer,
        "identities": customer_identities(customer=customer),
        "duplicates": list(customer_duplicates(customer=customer)),
    }


def _consents(customer: Customer, request: HttpRequest) -> dict:
    from .selectors import customer_consents

    return {"consents": customer_consents(customer=customer)}


NOTES_SHOWN = 10


def _notes(customer: Customer, request: HttpRequest) -> dict:
    from .selectors import customer_notes_for_card

    show_all = request.GET.get("notes") == "all"
    notes, total = customer_notes_for_card(customer=customer, limit=None if show_all else NOTES_SHOWN)
    return {"notes": notes, "notes_total": total, "notes_hidden": total - len(notes)}


def _note_add(customer: Customer, request: HttpRequest) -> str:
    from .services import customer_note_add

    customer_note_add(
        customer=customer,
        text=request.POST.get("text", ""),
        pinned=bool(request.POST.get("pinned")),
        actor=request.user,
    )
    return _("Note added.")


def _note_pin(customer: Customer, request: HttpRequest) -> str:
    from .models import CustomerNote
    from .services import customer_note_pin

    note = CustomerNote.objects.filter(customer=customer, pk=request.POST.get("note") or 0).first()
    if note is None:
        raise ValidationError(_("That note is not this customer's."))
    pinned = request.POST.get("pinned") == "1"
    customer_note_pin(note=note, pinned=pinned, actor=request.user)
    return _("Note pinned.") if pinned else _("Note unpinned.")


def card_sections_register_own() -> None:
    """Profile and identities, notes and consents (customers' ``AppConfig.ready``)."""
    card_section_register(
        CardSection(
            name="profile",
            title=gettext_lazy("Profile and identities"),
            order=10,
            context=_profile,
            template="admin/customers/customer/card/profile.html",
        )
    )
    card_section_register(
        CardSection(
            name="notes",
            title=gettext_lazy("Notes"),
            order=30,
            column=3,
            context=_notes,
            template="admin/customers/customer/card/notes.html",
            actions=(
                CardAction("add", gettext_lazy("Add the note"), _note_add, permission="customers.add_customernote"),
                CardAction("pin", gettext_lazy("Pin"), _note_pin, permission="customers.change_customernote"),
            ),
        )
    )
    card_section_register(
        CardSection(
            name="consents",
            title=gettext_lazy("Consents"),
            order=15,
            context=_consents,
            template="admin/customers/customer/card/consents.html",
        )
    )
