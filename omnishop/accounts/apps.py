from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "omnishop.accounts"
    label = "accounts"
    verbose_name = _("Accounts and staff roles")

    def ready(self) -> None:
        from .roles import role_permissions_sync

        # Permissions exist only after every app migrated, so role grants follow post_migrate.
        post_migrate.connect(role_permissions_sync, dispatch_uid="omnishop.accounts.roles")
        # The shared cache (login limits, throttles) is a database table unless CACHE_URL says otherwise.
        post_migrate.connect(cache_tables_create, sender=self, dispatch_uid="omnishop.accounts.cache_tables")


def cache_tables_create(*, using: str = "default", **kwargs) -> None:
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
