"""Delivery filters refuse date-times that do not exist in UTC with a 400, not a 500."""

import pytest

from omnishop.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+05:00"])
def test_a_date_time_past_the_calendar_in_utc_is_a_400(client, moment):
    admin = User.objects.create_superuser(email="hooks-admin@example.pl", password="x-pass-123")
    client.force_login(admin)
    for name in ("created_before", "created_after"):
        response = client.get("/api/v1/webhooks/deliveries/", {name: moment})
        assert response.status_code == 400, response.content
        assert response.json()["type"] == "validation_error"
        assert name in response.json()["errors"]


@pytest.mark.parametrize("moment", ["2000-01-01T00:00:00+23:59", "1900-01-01T00:00:00+05:21:10"])
def test_an_offset_the_database_cannot_store_is_read_in_utc(client, moment):
    admin = User.objects.create_superuser(email="hooks-admin3@example.pl", password="x-pass-123")
    client.force_login(admin)
    assert client.get("/api/v1/webhooks/deliveries/", {"created_after": moment}).status_code == 200


def test_a_date_time_in_range_still_filters(client):
    admin = User.objects.create_superuser(email="hooks-admin2@example.pl", password="x-pass-123")
    client.force_login(admin)
    response = client.get("/api/v1/webhooks/deliveries/", {"created_before": "2030-01-01T00:00:00+01:00"})
    assert response.status_code == 200
