"""REST of loyalty's wallets."""

urlpatterns: list = []
