"""``manage.py seed_demo``: load (or complete) the KROK demo data set. Safe to run again."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from demo.data import RETAILER
from demo.seed import DEMO_API_KEY_SCOPES, DEMO_PASSWORD, MAX_SCALE, demo_totals, seed_demo, work_total
from omnishop.accounts.roles import ROLE_LABELS

ADMIN_URL = "http://127.0.0.1:8000/admin/"
STORE_URL = "http://127.0.0.1:8000/store/"


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # Translated when read, not at import; argparse cannot format lazy strings.
        return _(
            "Load the demo retailer: sales channels, stores and warehouses, a catalogue with prices and "
            "listings, customers and one staff login per role. Only missing data is created, so it is safe "
            "to run again. Demo only: every demo login shares a published password."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help=_("Multiply the data set: 200 x N products and 300 x N customers (default 1)."),
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help=_("Do not show a progress bar (it is hidden anyway when output is not a terminal)."),
        )
        parser.add_argument(
            "--new-api-key",
            action="store_true",
            help=_(
                "Replace the demo channel API key with a new one and print it (a key is shown only when it "
                "is created; the old one is revoked)."
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_(
                "Seed even though DEBUG is off. Never on a production database: it creates a superuser "
                "with a published password."
            ),
        )

    def handle(self, *args, scale: int, no_progress: bool, force: bool, new_api_key: bool, verbosity: int, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "DEBUG is off: this may be a production database. The demo data includes a superuser "
                    "with a published password. Use --force if you really mean it."
                )
            )
        if not 1 <= scale <= MAX_SCALE:
            raise CommandError(_("--scale must be a whole number from 1 to %(max)d.") % {"max": MAX_SCALE})

        show_progress = not no_progress and verbosity > 0 and self.stdout.isatty()
        started = time.monotonic()
        with tqdm(total=work_total(scale), disable=not show_progress, unit="", leave=False) as bar:
            report = seed_demo(scale=scale, progress=bar, new_api_keys=new_api_key)
        elapsed = time.monotonic() - started

        if verbosity > 0:
            self._summary(report, elapsed)
        # A new API key is shown once and never again, so print it even at verbosity 0, last.
        for code, plain in report.api_keys:
            self.stdout.write(
                self.style.WARNING(
                    _("API key for channel %(code)s (shown only now): %(key)s") % {"code": code, "key": plain}
                )
            )
            self.stdout.write(
                _("  scopes: %(scopes)s; examples: docs/api.md") % {"scopes": ", ".join(DEMO_API_KEY_SCOPES)}
            )

    def _summary(self, report, elapsed: float) -> None:
        labels = {
            "channels": _("Channels"),
            "stores": _("Stores"),
            "warehouses": _("Warehouses"),
            "categories": _("Categories"),
            "brands": _("Brands"),
            "products": _("Products"),
            "variants": _("Variants"),
            "prices": _("Prices"),
            "price_history": _("Price history rows"),
            "listings": _("Channel listings"),
            "stock_levels": _("Stock levels"),
            "customers": _("Customers"),
            "customer_logins": _("Customer logins"),
            "staff": _("Staff logins"),
            "api_keys": _("Channel API keys"),
            "orders": _("Orders"),
            "tiers": _("Loyalty tiers"),
            "earning_rules": _("Earning rules"),
            "promotions": _("Promotions"),
            "coupons": _("Coupons"),
            "points_entries": _("Points ledger entries"),
            "gift_cards": _("Gift cards"),
        }
        totals = demo_totals()
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                _("%(retailer)s demo data ready (scale %(scale)d) in %(seconds).1f s.")
                % {"retailer": RETAILER, "scale": report.scale, "seconds": elapsed}
            )
        )
        out.write("")
        created, total = _("created"), _("total")
        width = max(len(label) for label in labels.values()) + 2
        out.write(self.style.MIGRATE_HEADING(f"{'':<{width}}{created:>10}{total:>10}"))
        for key, label in labels.items():
            out.write(f"{label:<{width}}{report.created.get(key, 0):>10}{totals[key]:>10}")
        out.write("")
        out.write(_("Admin: %(url)s") % {"url": self.style.HTTP_INFO(ADMIN_URL)})
        out.write(
            _("Store console: %(url)s (log in as %(email)s)")
            % {"url": self.style.HTTP_INFO(STORE_URL), "email": "store@omnishop.demo"}
        )
        out.write("")
        out.write(
            self.style.MIGRATE_HEADING(
                _("Demo logins (password %(password)s for all; demo only, never use it in production):")
                % {"password": DEMO_PASSWORD}
            )
        )
        email_header, role_header, password_header = _("e-mail"), _("role"), _("password")
        rows = [
            (email, _("Superuser (all permissions)") if role is None else str(ROLE_LABELS[role]))
            for email, role in report.staff
        ]
        role_width = max(len(role_header), *(len(role_label) for _email, role_label in rows)) + 2
        out.write(f"  {email_header:<28}{role_header:<{role_width}}{password_header}")
        for email, role_label in rows:
            out.write(f"  {email:<28}{role_label:<{role_width}}{DEMO_PASSWORD}")
        if report.sample_customer_login:
            out.write(
                _("Every third customer has a web/app login with the same password, e.g. %(email)s.")
                % {"email": report.sample_customer_login}
            )
            out.write(
                _("%(email)s also has loyalty points, a tier, a personal coupon, gift cards and store credit.")
                % {"email": report.sample_customer_login}
            )
        if report.loyalty_coupon:
            out.write(
                _("Public coupon code: %(code)s (20 zł off from 200 zł, web and app).")
                % {"code": self.style.HTTP_INFO(report.loyalty_coupon)}
            )
