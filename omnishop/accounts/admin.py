from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from omnishop.admin import ReadOnlyAdmin

from .forms import AdminLoginForm
from .models import LoginLockout, User
from .services import login_lockout_clear

# The admin's login door checks passwords under the same limits as the web and app logins.
admin.site.login_form = AdminLoginForm


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)


@admin.register(LoginLockout)
class LoginLockoutAdmin(ReadOnlyAdmin):
    """Accounts with recent wrong passwords; superusers unlock them."""

    list_display = ["user", "failures", "is_locked", "locked_until", "last_failed_at", "last_address"]
    list_select_related = ["user"]
    search_fields = ["user__email", "=last_address"]
    readonly_fields = ["user", "failures", "first_failed_at", "last_failed_at", "last_address", "locked_until"]
    actions = ["unlock"]

    @admin.display(boolean=True, description=_("locked"))
    def is_locked(self, obj: LoginLockout) -> bool:
        return obj.is_locked

    def has_unlock_permission(self, request):
        return request.user.is_superuser

    @admin.action(description=_("Unlock the selected accounts"), permissions=["unlock"])
    def unlock(self, request, queryset):
        done = 0
        for lockout in queryset.select_related("user").order_by("pk"):
            login_lockout_clear(lockout=lockout, actor=request.user, request=request)
            # The unlock goes on the account's admin history.
            self.log_change(request, lockout.user, [{"changed": {"fields": ["login lockout"]}}])
            done += 1
        message = ngettext("Unlocked %(n)d account.", "Unlocked %(n)d accounts.", done) % {"n": done}
        self.message_user(request, message, messages.SUCCESS)
