import pytest

from conftest import redis_url


@pytest.mark.django_db
def test_healthz_ok_without_broker(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_checks_a_real_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = redis_url()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_503_when_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error")


def test_healthz_only_get(client):
    assert client.post("/healthz").status_code == 405
