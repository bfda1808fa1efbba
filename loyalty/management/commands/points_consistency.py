"""manage.py points_consistency: do loyalty accounts match their ledger and their lots?"""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from loyalty.services.points_customer import points_drift_list
from omnishop.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_lazy(
        "Check every loyalty account: its balance must equal the sum of its balance ledger entries and the "
        "remaining points of its spendable lots, its pending points the sum of its pending entries and pending "
        "lots. Lists the drift and exits with status 1 when there is any."
    )

    def handle(self, *args, **options):
        drifts = points_drift_list()
        if not drifts:
            self.stdout.write(_("No drift: every loyalty account matches its ledger and its lots."))
            return
        head = (_("account"), _("customer"), _("field"), _("expected"), _("actual"))
        rows = [(str(d.account_id), str(d.customer_id), d.field, str(d.expected), str(d.actual)) for d in drifts]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for row in [head, *rows]:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        raise CommandError(
            ngettext("%(n)d drift found.", "%(n)d drifts found.", len(drifts)) % {"n": len(drifts)}, returncode=1
        )
