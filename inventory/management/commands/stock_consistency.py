"""manage.py stock_consistency [--repair]: do stock rows match the ledger and open allocations?"""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from inventory.selectors import stock_drift_list
from inventory.services import stock_consistency_repair
from omnishop.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_lazy(
        "Check every stock row: on hand must equal the sum of its ledger movements, allocated the sum of its "
        "open allocations. Lists the drift and exits with status 1 when there is any. With --repair an adjustment "
        "entry (reference consistency-repair) is written for each on-hand difference, missing stock rows are "
        "recreated from the ledger and allocated is set to the open allocations."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help=gettext_lazy("Correct the drifting rows (see the description).")
        )

    def handle(self, *args, **options):
        if options["repair"]:
            result = stock_consistency_repair()
            drifts = result.drifts
        else:
            drifts = stock_drift_list()
        if not drifts:
            self.stdout.write(_("No drift: every stock row matches the ledger and the open allocations."))
            return
        self._table(drifts)
        if not options["repair"]:
            raise CommandError(
                ngettext(
                    "%(n)d drift found; run with --repair to correct it.",
                    "%(n)d drifts found; run with --repair to correct them.",
                    len(drifts),
                )
                % {"n": len(drifts)},
                returncode=1,
            )
        self.stdout.write(
            ngettext("Repaired %(n)d drift.", "Repaired %(n)d drifts.", len(result.repaired))
            % {"n": len(result.repaired)}
        )
        if result.refused:
            self.stderr.write(
                _("Not repaired (the books would break a stock constraint; count the shelf with a stock sync):")
            )
            self._table(result.refused, out=self.stderr)
            raise CommandError(
                ngettext("%(n)d drift left.", "%(n)d drifts left.", len(result.refused)) % {"n": len(result.refused)},
                returncode=1,
            )

    def _table(self, drifts, out=None) -> None:
        out = out or self.stdout
        head = (_("SKU"), _("location"), _("field"), _("expected"), _("actual"))
        rows = [
            (d.sku, d.location, d.field, str(d.expected), _("(no row)") if d.actual is None else str(d.actual))
            for d in drifts
        ]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for row in [head, *rows]:
            out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
