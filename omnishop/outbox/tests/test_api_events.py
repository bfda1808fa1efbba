"""GET /api/v1/events/: the event catalogue, public, from the registry the apps fill."""

import pytest

from omnishop.outbox.catalogue import event_catalogue, event_schema, event_types

pytestmark = pytest.mark.django_db


def test_the_list_names_every_event_type_with_its_newest_schema(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/api/v1/events/")
    assert response.status_code == 200
    body = response.json()
    assert [e["type"] for e in body] == event_types()
    issued = next(e for e in body if e["type"] == "order.pickup_code_issued")
    assert (issued["version"], issued["versions"], issued["aggregate"]) == (2, [2], "order")
    assert issued["schema"] == event_schema("order.pickup_code_issued", 2)
    assert all(e["description"] and e["schema"]["required"] for e in body)


def test_one_event_type_at_its_newest_or_a_given_version(api_client):
    placed = api_client.get("/api/v1/events/order.placed/").json()
    assert placed["type"] == "order.placed" and "channel" in placed["schema"]["properties"]
    assert api_client.get("/api/v1/events/order.placed/?version=1").json() == placed
    assert len(event_catalogue()) >= len(event_types())


@pytest.mark.parametrize("url", ["/api/v1/events/order.nothing/", "/api/v1/events/order.pickup_code_issued/?version=1"])
def test_an_unknown_type_or_version_is_a_404(api_client, url):
    response = api_client.get(url)
    assert (response.status_code, response.json()["type"]) == (404, "not_found")


def test_a_version_that_is_not_a_number_is_a_400(api_client):
    response = api_client.get("/api/v1/events/order.placed/?version=dwa")
    assert (response.status_code, response.json()["type"]) == (400, "validation_error")
    assert "version" in response.json()["errors"]
