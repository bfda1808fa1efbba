"""manage.py stock_import FILE.csv --mode absolute|delta: the stock sync of the API, from a file."""

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from inventory.exceptions import IdempotencyConflict, StockCountBelowAllocated
from inventory.importers import row_errors_by_line, stock_csv_sync_id, stock_import_summary, stock_rows_from_csv
from inventory.services import SyncErrorPolicy, SyncMode, stock_sync_apply
from omnishop.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_lazy(
        "Import stock from a CSV file with a header row and the columns location,sku,quantity (location code, "
        "SKU, whole number). Same rules as POST /api/v1/stock/sync/: absolute counts or deltas, one ledger "
        "entry per changed row, idempotent by sync id. Exit status 1 when rows failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=gettext_lazy("CSV file (UTF-8, a BOM is fine)."))
        parser.add_argument("--mode", choices=SyncMode.choices, required=True)
        parser.add_argument(
            "--sync-id",
            help=gettext_lazy(
                "Identifies the import; default csv-<mode>-<hash of the file>, so importing the same file again "
                "the same way writes nothing and reports the first import's result."
            ),
        )
        parser.add_argument(
            "--error-policy",
            choices=SyncErrorPolicy.choices,
            default=SyncErrorPolicy.REJECT_ALL,
            help=gettext_lazy(
                "reject_all (default): any failed row and nothing is written, in one transaction. "
                "reject_failed: valid rows are written (a transaction per batch), failed rows listed."
            ),
        )
        parser.add_argument("--delimiter", default=",", help=gettext_lazy("Column delimiter (default ,)."))
        parser.add_argument(
            "--batch-size", type=int, default=10_000, help=gettext_lazy("Rows per transaction with reject_failed.")
        )
        parser.add_argument("--no-progress", action="store_true", help=gettext_lazy("No progress bar."))

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc}) from None
        try:
            rows, lines = stock_rows_from_csv(raw, delimiter=options["delimiter"])
        except ValidationError as exc:
            raise CommandError(f"{path}: {' '.join(exc.messages)}") from None
        sync_id = options["sync_id"] or stock_csv_sync_id(raw, mode=options["mode"])
        self.stdout.write(
            _("Importing %(n)d rows from %(file)s (mode %(mode)s, %(policy)s, sync id %(id)s).")
            % {"n": len(rows), "file": path, "mode": options["mode"], "policy": options["error_policy"], "id": sync_id}
        )
        disable = True if options["no_progress"] else None  # None: shown on a terminal only
        with tqdm(total=len(rows), unit=_("rows"), disable=disable, file=sys.stderr) as bar:
            try:
                result = stock_sync_apply(
                    sync_id=sync_id,
                    mode=options["mode"],
                    error_policy=options["error_policy"],
                    rows=rows,
                    batch_size=max(1, options["batch_size"]),
                    progress=bar.update,
                    note=_("CSV import %(file)s") % {"file": path.name[:150]},
                )
            except ValidationError as exc:
                errors = exc.message_dict
                refused = [m for key, msgs in errors.items() if not key.startswith("rows.") for m in msgs]
                if refused:  # the import itself (its sync id), not its rows
                    raise CommandError(" ".join(refused)) from None
                self._errors(errors, lines)
                raise CommandError(_("Rows failed; nothing was imported.")) from None
            except IdempotencyConflict as exc:
                if "sync_id" in exc.errors:  # used before for another file or mode
                    raise CommandError(exc.detail) from None
                self._errors(exc.errors, lines)
                raise CommandError(
                    _("The sync id was already used for other rows; nothing was imported. Use a new --sync-id.")
                ) from None
            except StockCountBelowAllocated as exc:
                self._errors(exc.errors, lines)
                raise CommandError(_("Rows conflict with the stock; nothing was imported.")) from None
        self.stdout.write(stock_import_summary(result))
        if result.errors:
            self._errors(result.errors, lines)
            raise CommandError(
                ngettext(
                    "%(n)d row failed; the other rows were applied.",
                    "%(n)d rows failed; the other rows were applied.",
                    result.failed,
                )
                % {"n": result.failed}
            )

    def _errors(self, errors: dict, lines: list[int]) -> None:
        """``rows.<i>.<field>`` keys as file line numbers."""
        for line, field, messages in row_errors_by_line(errors, lines):
            self.stderr.write(
                _("line %(line)d, %(field)s: %(messages)s") % {"line": line, "field": field, "messages": messages}
            )
