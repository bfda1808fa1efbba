"""``manage.py events_doc``: write docs/events.md from the event catalogue (``--check``: only
say whether the committed page is current)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...docs import events_markdown

PAGE = Path(settings.BASE_DIR) / "docs" / "events.md"


class Command(BaseCommand):
    help = "Write docs/events.md from the event catalogue; with --check, fail when it is stale."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Change nothing; exit 1 when the page is stale.")

    def handle(self, *args, check: bool, **options):
        page = events_markdown()
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if check:
            if current != page:
                raise CommandError(f"{PAGE} is stale: run manage.py events_doc")
            self.stdout.write(f"{PAGE} is current.")
            return
        if current != page:
            PAGE.parent.mkdir(exist_ok=True)
            PAGE.write_text(page, encoding="utf-8")
        self.stdout.write(f"Wrote {PAGE}.")
