"""manage.py wallets_consistency: does every gift card's and store-credit account's balance equal
the sum of its ledger?"""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from loyalty.selectors.wallets import gift_card_mismatches, store_credit_mismatches
from omnishop.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_lazy(
        "Check that every gift card's and store-credit account's balance equals the sum of its ledger; "
        "lists the mismatches and exits with status 1 when there is any."
    )

    def handle(self, *args, **options):
        rows = [(_("gift card"), *row) for row in gift_card_mismatches()]
        rows += [(_("store credit"), *row) for row in store_credit_mismatches()]
        if not rows:
            self.stdout.write(_("No mismatch: every balance equals its ledger."))
            return
        for kind, pk, balance, ledger in rows:
            self.stdout.write(
                _("%(kind)s %(id)s: balance %(balance)s, ledger %(ledger)s")
                % {"kind": kind, "id": pk, "balance": balance, "ledger": ledger}
            )
        raise CommandError(
            ngettext("%(n)d mismatch found.", "%(n)d mismatches found.", len(rows)) % {"n": len(rows)}, returncode=1
        )
