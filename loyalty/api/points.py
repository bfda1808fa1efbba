"""REST of loyalty's points."""

urlpatterns: list = []
