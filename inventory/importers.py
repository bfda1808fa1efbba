"""Stock rows from CSV files (the admin upload and the stock_import command)."""

import csv
import hashlib
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from omnishop.text import FORBIDDEN_CHARACTERS, ascii_integer_text

from .services import StockSyncResult, StockSyncRow

CSV_COLUMNS = ("location", "sku", "quantity")


def stock_row_screened(location, sku, quantity) -> StockSyncRow:
    """A sync row from outside (CSV, API) made safe to look up: NUL and lone surrogates in a code
    become U+FFFD (the row then fails as unknown, naming it), and a quantity written in other than
    ASCII digits ("١٢", "²") is no number (the row fails as not a whole number)."""

    def text(value):
        return FORBIDDEN_CHARACTERS.sub("\ufffd", value) if isinstance(value, str) else value

    if isinstance(quantity, str) and not ascii_integer_text(quantity):
        quantity = None
    return StockSyncRow(text(location), text(sku), quantity)


def stock_rows_from_csv(raw: bytes, *, delimiter: str = ",") -> tuple[list[StockSyncRow], list[int]]:
    """Rows of a UTF-8 CSV file (a BOM is fine) with a header naming location, sku and quantity
    (any order, any case, other columns ignored), and the file line number of each row.
    Raises ``ValidationError`` for a delimiter of other than one character, a file that is not
    UTF-8 or not readable as CSV (naming the line), a header that lacks a column or names one
    twice, or no rows."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text.")) from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    except (TypeError, csv.Error):  # what the csv module says of a bad delimiter
        raise ValidationError(_("The delimiter must be one character.")) from None
    try:
        names = [(name or "").strip().lower() for name in reader.fieldnames or []]
        twice = sorted({c for c in CSV_COLUMNS if names.count(c) > 1})
        if twice:  # which one is meant is not guessed
            raise ValidationError(_("The header row names %(columns)s more than once.") % {"columns": ", ".join(twice)})
        header = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            raise ValidationError(
                _("The header row must name the columns %(columns)s; missing: %(missing)s.")
                % {"columns": ",".join(CSV_COLUMNS), "missing": ", ".join(missing)}
            )
        rows, lines = [], []
        for record in reader:
            rows.append(stock_row_screened(*(record.get(header[c]) for c in CSV_COLUMNS)))
            lines.append(reader.line_num)
    except csv.Error as exc:  # e.g. a field longer than the csv module's limit; line_num counts whole records
        raise ValidationError(
            _("Line %(line)d is not valid CSV: %(error)s.") % {"line": reader.line_num + 1, "error": exc}
        ) from None
    if not rows:
        raise ValidationError(_("The file has no rows below the header."))
    return rows, lines


def stock_csv_sync_id(raw: bytes, *, mode: str) -> str:
    """The default sync id of a file in a mode: importing the same file again the same way
    skips the rows applied; the same file as deltas after counts (or the reverse) is another
    sync."""
    return f"csv-{mode}-{hashlib.sha256(raw).hexdigest()[:16]}"


def row_errors_by_line(errors: dict[str, list], lines: list[int]) -> list[tuple[int, str, str]]:
    """``rows.<i>.<field>`` error keys of a sync as (file line, field, messages); errors of the
    sync as a whole (its ``sync_id``) are not a line's."""
    found = []
    for key, messages in errors.items():
        if not key.startswith("rows."):
            continue
        _rows, index, field = key.split(".", 2)
        found.append((lines[int(index)], field, " ".join(str(m) for m in messages)))
    return sorted(found)


def stock_import_summary(result: StockSyncResult) -> str:
    """One line for staff: what an import did with its rows."""
    return _(
        "Rows: %(received)d, applied: %(applied)d (of which %(replayed)d by an earlier import of the same "
        "data), unchanged: %(unchanged)d, failed: %(failed)d."
    ) % {
        "received": result.received,
        "applied": result.applied,
        "replayed": result.replayed,
        "unchanged": result.unchanged,
        "failed": result.failed,
    }
