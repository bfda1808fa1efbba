"""Swagger UI and ReDoc work on a machine without internet: a headless Chromium that may reach
nothing but 127.0.0.1 loads both pages from a real server and finds the operations rendered,
and neither page so much as tries to fetch anything from elsewhere."""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; .ci/run does)")
def test_swagger_ui_and_redoc_render_the_operations_with_only_this_server_reachable(transactional_db, tmp_path):
    from omnishop.tests.live_servers import chromium_and_server

    shots = Path(os.environ.get("OMNISHOP_SCREENSHOT_DIR") or tmp_path)
    blocked: list[str] = []

    def only_loopback(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with chromium_and_server() as (browser, base):
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.route("**/*", only_loopback)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(f"{base}/api/docs/")
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        assert "omnishop API" in page.inner_text(".swagger-ui .info .title")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/orders/" in paths and "/api/v1/events/" in paths, paths
        page.screenshot(path=shots / "api-docs.png")

        page.goto(f"{base}/api/redoc/")
        page.wait_for_selector('[data-section-id^="operation/"]', timeout=30_000)
        operations = page.locator('[data-section-id^="operation/"]').count()
        assert operations >= len(paths), (operations, len(paths))
        assert "omnishop API" in page.inner_text("h1")
        page.screenshot(path=shots / "api-redoc.png")
    assert not blocked, blocked
    assert not errors, errors
