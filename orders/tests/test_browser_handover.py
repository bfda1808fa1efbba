"""In Debian's Chromium at a tablet viewport (1024x768): store staff scan a pickup code into the
hand-over screen, refuse one unit, hand the order over and see it completed with the refunded
line on the order's timeline. Screenshots go to OMNISHOP_SHOTS_DIR (default: the test's tmp_path)."""

import os
import shutil
from pathlib import Path

import pytest

from orders.models import Order, OrderRefund
from orders.tests.test_handover import ready_order

CHROMIUM = shutil.which("chromium")
PASSWORD = "x-pass-123"


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium; .ci/run does)")
def test_staff_hand_over_an_order_with_its_code_and_one_line_refused(transactional_db, shop, tmp_path):
    from omnishop.tests.live_servers import chromium_and_server
    from orders.tests.console_browser import console_signed_in

    shots = Path(os.environ.get("OMNISHOP_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    order, _seller = ready_order(shop)  # paid by card: 2 x 100,00 zł and 1 x 101,00 zł
    visit, _same = ready_order(shop, fulfilment_type="ropis", payment_method="pay_in_store", seller=_seller)
    code, visit_code = order.pickup_code, visit.pickup_code
    a_line = order.lines.order_by("id").first()
    problems: list[str] = []
    # No database access inside: Playwright's sync API runs an event loop in this thread.
    with chromium_and_server() as (browser, base):
        page = console_signed_in(browser, base, email="sprzedawca@example.pl", password=PASSWORD, problems=problems)

        page.click("nav >> text=Wydanie")
        page.wait_for_url(f"{base}/store/handover/")
        assert page.evaluate("document.activeElement.id") == "code"  # the scanner types straight in
        page.screenshot(path=shots / "handover-search-1024x768.png", full_page=True)
        page.set_viewport_size({"width": 768, "height": 1024})
        page.screenshot(path=shots / "handover-search-768x1024.png", full_page=True)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.keyboard.type(code)
        page.keyboard.press("Enter")  # what a USB/Bluetooth scanner sends after the code
        page.wait_for_url(f"{base}/store/handover/{order.number}/")
        assert "Anna Wójcik" in page.inner_text("main")
        page.screenshot(path=shots / "handover-order-1024x768.png", full_page=True)
        page.set_viewport_size({"width": 768, "height": 1024})
        page.screenshot(path=shots / "handover-order-768x1024.png", full_page=True)
        page.set_viewport_size({"width": 1024, "height": 768})

        page.click(f"#refused_{a_line.pk} >> xpath=following-sibling::button[@data-step='1']")
        assert page.inner_text("[data-refused]").replace("\xa0", " ").replace("\u202f", " ") == "100,00 zł"
        page.fill("#collector_name", "Jan Nowak")
        page.screenshot(path=shots / "handover-refused-1024x768.png", full_page=False)
        page.set_viewport_size({"width": 768, "height": 1024})
        page.screenshot(path=shots / "handover-refused-768x1024.png", full_page=True)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.click("form[data-handover] button[type=submit]")
        page.wait_for_url(f"{base}/store/orders/{order.number}/")
        page.wait_for_selector(".message.success")
        text = page.inner_text("main")
        assert "Zakończone" in text, text[:500]
        timeline = page.inner_text(".timeline")
        assert "odrzucone przy ladzie: 1 x" in timeline and "100,00" in timeline, timeline
        assert "odrzucono 1" in page.inner_text("table.lines")
        page.screenshot(path=shots / "handover-done-1024x768.png", full_page=True)
        page.set_viewport_size({"width": 768, "height": 1024})
        page.screenshot(path=shots / "handover-done-768x1024.png", full_page=True)
        page.set_viewport_size({"width": 1024, "height": 768})

        page.goto(f"{base}/store/handover/")
        page.fill("#code", visit_code)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/store/handover/{visit.number}/")
        page.locator("[data-not-kept]").last.check()
        page.screenshot(path=shots / "handover-visit-1024x768.png", full_page=True)
        page.set_viewport_size({"width": 768, "height": 1024})
        page.screenshot(path=shots / "handover-visit-768x1024.png", full_page=True)

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert order.lines.get(pk=a_line.pk).quantity_refused == 1
    assert OrderRefund.objects.get(order=order).amount == 100
    assert order.events.get(type="handed_over").payload["collector_name"] == "Jan Nowak"
    assert not [p for p in problems if "/favicon.ico" not in p], problems
