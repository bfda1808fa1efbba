"""In Debian's Chromium at a tablet viewport (1024x768): store staff log in, pick one order by
scanning an EAN into the scan field (the scanner types the code and Enter) and mark a short pick.
Screenshots go to OMNISHOP_SHOTS_DIR (default: the test's tmp_path)."""

import os
import shutil
from pathlib import Path

import pytest

from orders import lifecycle
from orders.models import FulfilmentLine, Order
from orders.services import order_place, order_transition
from orders.tests.conftest import GUEST, stock
from orders.tests.test_pickup import store_staff

CHROMIUM = shutil.which("chromium")
PASSWORD = "x-pass-123"


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; .ci/run does)")
def test_staff_pick_an_order_by_scanning_and_mark_a_short_pick(transactional_db, shop, tmp_path):
    from omnishop.tests.live_servers import chromium_and_server
    from orders.tests.console_browser import console_signed_in

    shots = Path(os.environ.get("OMNISHOP_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    a, b = shop["variants"][:2]
    waw = shop["waw"]
    store_staff("sprzedawca@example.pl", waw)
    stock(a, waw, 2)
    stock(b, waw, 2)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1, b.pk: 2},
        fulfilment_type="click_and_collect",
        pickup_location=waw,
        contact=GUEST,
        payment_method="pay_in_store",
    )
    if Order.objects.get(pk=order.pk).status == Order.Status.PLACED:
        order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    line_b = FulfilmentLine.objects.get(fulfilment__order=order, order_line__variant=b)
    c = shop["variants"][2]
    stock(c, waw, 5)
    batch = [order]
    for lines in ({a.pk: 1, c.pk: 1}, {c.pk: 2}):
        other = order_place(
            channel=shop["web"],
            lines=lines,
            fulfilment_type="click_and_collect",
            pickup_location=waw,
            contact=GUEST,
            payment_method="pay_in_store",
        )
        if Order.objects.get(pk=other.pk).status == Order.Status.PLACED:
            order_transition(order=other, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
        batch.append(other)
    batch_query = "&".join(f"orders={o.number}" for o in batch)
    problems: list[str] = []
    # No database access inside: Playwright's sync API runs an event loop in this thread.
    with chromium_and_server() as (browser, base):
        page = console_signed_in(browser, base, email="sprzedawca@example.pl", password=PASSWORD, problems=problems)

        page.goto(f"{base}/store/orders/{order.number}/")
        page.click("text=Zbierz produkty")
        page.wait_for_url(f"{base}/store/orders/{order.number}/picking/")
        assert page.evaluate("document.activeElement.id") == "ean"  # the scanner types straight in
        page.screenshot(path=shots / "picking-order-1024x768.png", full_page=True)

        page.keyboard.type(a.ean)
        page.keyboard.press("Enter")  # what a USB/Bluetooth scanner sends after the code
        page.wait_for_selector(".message.success")
        assert "Zebrano" in page.inner_text(".messages")
        assert page.evaluate("document.activeElement.id") == "ean"

        item = page.locator(f"form[action='/store/picking/lines/{line_b.pk}/short/']").locator(
            "xpath=ancestor::details"
        )
        item.locator("summary").click()
        item.locator("input[value=damaged]").check()
        page.screenshot(path=shots / "picking-short-1024x768.png", full_page=True)
        item.locator("button[type=submit]").click()
        page.wait_for_selector(".message.warning")
        page.screenshot(path=shots / "picking-after-short-1024x768.png", full_page=True)

        page.set_viewport_size({"width": 768, "height": 1024})
        page.reload()
        page.screenshot(path=shots / "picking-order-768x1024.png", full_page=True)
        page.goto(f"{base}/store/picking/")
        page.screenshot(path=shots / "picking-choose-768x1024.png", full_page=True)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.screenshot(path=shots / "picking-choose-1024x768.png", full_page=True)
        page.goto(f"{base}/store/picking/?{batch_query}")
        assert page.locator(".picklist > li").count() == 3  # one card per SKU across the orders
        page.screenshot(path=shots / "picking-batch-1024x768.png", full_page=True)
        page.set_viewport_size({"width": 768, "height": 1024})
        page.screenshot(path=shots / "picking-batch-768x1024.png", full_page=True)
        page.goto(f"{base}/store/orders/{order.number}/")
        page.screenshot(path=shots / "order-timeline-768x1024.png", full_page=True)

    line_a = FulfilmentLine.objects.get(fulfilment__order=order, order_line__variant=a)
    line_b.refresh_from_db()
    assert line_a.picked_quantity == 1
    assert (line_b.short_quantity, line_b.cancelled_quantity) == (1, 1)
    assert Order.objects.get(pk=order.pk).events.filter(type="item_short", payload__reason="damaged").exists()
    assert not [p for p in problems if "/favicon.ico" not in p], problems
