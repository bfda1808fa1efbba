import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_schema_is_valid_without_warnings():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    paths = schema["paths"]
    for path in ("/api/v1/products/", "/api/v1/products/{id_or_slug}/", "/api/v1/categories/", "/api/v1/me/"):
        assert path in paths, path
    listing = paths["/api/v1/products/"]["get"]
    params = {p["name"] for p in listing["parameters"]}
    assert {"category", "q", "price_min", "price_max", "brand", "page", "page_size", "X-Channel"} <= params
    # Every operation documents the common error body.
    for path, ops in paths.items():
        for method, op in ops.items():
            assert "404" in op["responses"], (path, method)
            ref = op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/Error")
    assert "ChannelApiKey" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def _run(args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy():
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DJANGO_SETTINGS_MODULE": "omnishop.settings.production",
            "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "k" * 40,
            "DJANGO_ALLOWED_HOSTS": "shop.example.pl",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_the_default_secret():
    result = _run(
        ["check"],
        {"DJANGO_SETTINGS_MODULE": "omnishop.settings.production", "DATABASE_URL": "postgres://x@127.0.0.1/x"},
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr
