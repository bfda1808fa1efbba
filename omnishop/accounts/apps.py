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
