"""REST of loyalty's promotions."""

urlpatterns: list = []
