"""The store console in a real browser (Debian's Chromium driven by Playwright) at a 10-inch
tablet's 1024x768: store staff log in, see the queue, mark an order ready and find it in the
ready group; another store's staff get a 404 on that order. No script error and no CSP
violation on the way. Screenshots go to OMNISHOP_SCREENSHOT_DIR when it is set."""

import os
import shutil
from pathlib import Path

import pytest

from orders import lifecycle
from orders.models import Order
from orders.services import order_transition
from orders.tests.store_queue_orders import pickup, ready, store_staff

CHROMIUM = shutil.which("chromium")
PASSWORD = "x-pass-123"


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; .ci/run does)")
def test_store_staff_mark_an_order_ready_on_a_tablet_and_another_store_gets_a_404(transactional_db, shop, tmp_path):
    from omnishop.tests.live_servers import chromium_and_server

    shots = Path(os.environ.get("OMNISHOP_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    seller = store_staff("krakow@example.pl", shop["krk"])
    store_staff("warszawa@example.pl", shop["waw"])
    picked = order_transition(
        order=pickup(shop, shop["krk"]), to=Order.Status.PROCESSING, role=lifecycle.STORE_STAFF, actor=seller
    )
    pickup(shop, shop["krk"], kind="ropis")
    ready(shop, shop["krk"], seller)

    with chromium_and_server() as (browser, base):
        context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="pl-PL")
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and problems.append(f"{m.text} {m.location}"))
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(f"{base}/store/")
        page.wait_for_url(f"{base}/store/login/?next=/store/")
        page.screenshot(path=shots / "login-1024x768.png")
        page.fill("input[name=username]", "krakow@example.pl")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{base}/store/")
        assert page.locator("html").get_attribute("lang") == "pl"
        to_pick = page.locator("#group-to_pick")
        assert to_pick.locator(f"[data-order='{picked.number}']").is_visible()
        page.screenshot(path=shots / "queue-1024x768.png")

        page.click(f"#group-to_pick [data-order='{picked.number}'] a")
        page.wait_for_url(f"{base}/store/orders/{picked.number}/")
        ready_button = page.get_by_role("button", name="Oznacz jako gotowe do odbioru")
        assert ready_button.is_visible() and ready_button.bounding_box()["height"] >= 44
        page.screenshot(path=shots / "order-1024x768.png")
        ready_button.click()
        page.wait_for_url(f"{base}/store/orders/{picked.number}/")
        assert "gotowe do odbioru" in page.inner_text(".messages").lower()

        page.goto(f"{base}/store/")
        assert page.locator(f"#group-ready [data-order='{picked.number}']").is_visible()
        assert page.locator(f"#group-to_pick [data-order='{picked.number}']").count() == 0
        # The queue refreshes itself without a reload.
        page.evaluate("document.getElementById('queue').storeRefresh()")
        page.wait_for_selector("#queue[data-refreshed]", state="attached")
        assert page.locator(f"#group-ready [data-order='{picked.number}']").is_visible()

        for width, height in ((768, 1024), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base}/store/")
            page.screenshot(path=shots / f"queue-{width}x{height}.png")
            page.goto(f"{base}/store/orders/{picked.number}/")
            page.screenshot(path=shots / f"order-{width}x{height}.png")
            assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        context.close()

        other = browser.new_context(viewport={"width": 1024, "height": 768}, locale="pl-PL")
        page = other.new_page()
        page.goto(f"{base}/store/login/")
        page.screenshot(path=shots / "login-pl-1024x768.png")
        page.set_viewport_size({"width": 768, "height": 1024})
        page.screenshot(path=shots / "login-768x1024.png")
        page.fill("input[name=username]", "warszawa@example.pl")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{base}/store/")
        response = page.goto(f"{base}/store/orders/{picked.number}/")
        assert response.status == 404
        other.close()
    problems = [p for p in problems if "/favicon.ico" not in p]
    assert not problems, "\n".join(problems)
