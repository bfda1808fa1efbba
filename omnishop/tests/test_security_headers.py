"""Every kind of page carries the Content-Security-Policy, and the pages still work under it
(a headless Chromium loads the admin and the API docs and sees no CSP violation)."""

import shutil

import pytest
from django.test import Client

from omnishop.accounts.models import User

PAGES = [
    ("admin login", "/admin/login/", False),
    ("admin changelist", "/admin/orders/cart/", True),
    ("API docs", "/api/docs/", False),
    ("API docs script", "/api/docs/?script=", False),
    ("API ReDoc", "/api/redoc/", False),
    ("API JSON", "/api/v1/products/", False),
    ("allauth login", "/accounts/login/", False),
    ("allauth signup", "/accounts/signup/", False),
    ("store console", "/store/", True),
]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "path", "staff"), PAGES, ids=[p[0] for p in PAGES])
def test_each_kind_of_page_carries_the_content_security_policy(client, superuser, kind, path, staff):
    from catalog.tests.factories import ChannelFactory

    ChannelFactory(code="web")
    if path.startswith("/store/"):  # the console needs a store to open on
        from inventory.tests.factories import LocationFactory

        LocationFactory(code="csp-store")
    if staff:
        client.force_login(superuser)
    response = client.get(path)
    assert response.status_code in (200, 404), (kind, response.status_code)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    script = policy["script-src"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert [s for s in script if s != "'self'"] == [s for s in script if s.startswith("'nonce-")], script
    assert not any(s.startswith("http") for values in policy.values() for s in values), "no outside origin"


@pytest.mark.django_db
def test_the_api_docs_load_swagger_ui_from_this_origin_with_no_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    assert "cdn." not in page and "jsdelivr" not in page and "unpkg" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "<script>" not in page  # every script has a src
    init = Client().get("/api/docs/?script=")
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in init.content.decode()


@pytest.mark.django_db
def test_redoc_loads_its_bundle_from_this_origin_with_no_inline_script_or_web_fonts(client):
    page = client.get("/api/redoc/").content.decode()
    assert "http://" not in page and "https://" not in page  # no CDN, no Google Fonts
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in page
    assert "<script>" not in page
    assert 'spec-url="/api/schema/"' in page


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; .ci/run does)")
def test_admin_and_api_docs_render_in_chromium_without_csp_violations(transactional_db, tmp_path):
    from omnishop.tests.live_servers import chromium_and_server

    User.objects.create_superuser(email="admin@example.pl", password="Zielona-Herbata-42")
    with chromium_and_server() as (browser, base):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text} {m.location}"))
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", "admin@example.pl")
        page.fill("#id_password", "Zielona-Herbata-42")
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        page.goto(f"{base}/admin/accounts/user/")
        assert page.locator("#result_list").is_visible()
        # The language switch (a nonce'd script) still works.
        page.select_option("#omnishop-language", "en")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        page.screenshot(path=tmp_path / "admin.png", full_page=True)

        page.goto(f"{base}/api/docs/")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "omnishop API" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock", timeout=20_000)
        page.screenshot(path=tmp_path / "api-docs.png", full_page=False)
    problems = [p for p in problems if "/favicon.ico" not in p]  # the browser's own guess, not a page's
    assert not problems, "\n".join(problems)
    print(f"screenshots in {tmp_path}")
