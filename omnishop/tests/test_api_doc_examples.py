"""docs/api.md stays true: every ``sh`` block with a curl call runs, in the page's order, in one
bash script against a live test server holding the demo's names (channel ``allegro``, warehouse
``wh-strykow``, store ``bia-alfa``, SKU ``KR000194-OLI-M``), with a key of the demo's scopes. Each call must succeed
(an example showing an error body must get that error), and each answer must have the keys,
the JSON types and the stable values (type, channel, SKU, ...) of the answer the page shows."""

import json
import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from catalog.models import Channel
from catalog.services import listing_publish, price_set
from catalog.tests.factories import ChannelFactory, ProductFactory, VariantFactory
from demo.seed import DEMO_API_KEY_SCOPES, DEMO_PASSWORD
from inventory.services import stock_receive
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.accounts.models import User
from omnishop.apikeys.services import apikey_create

PAGE = Path(settings.BASE_DIR) / "docs" / "api.md"
BLOCK = re.compile(r"```(\w*)\n(.*?)```\n?", re.DOTALL)
# Values that must be as the page shows them, wherever they appear (ids, dates and counts vary).
STABLE_KEYS = {"type", "channel", "code", "kind", "sku", "fulfilment_type", "mode", "error_policy", "currency"}

PRELUDE = r"""set -euo pipefail
: > "$LOG/statuses"
# Every call's status and body are kept, in order, for the test to check.
curl() {
  local body status n
  body=$(mktemp -p "$LOG")
  status=$(command curl -sS -o "$body" -w '%{http_code}' "$@")
  echo "$status" >> "$LOG/statuses"
  n=$(wc -l < "$LOG/statuses")
  mv "$body" "$LOG/body.$n"
  cat "$LOG/body.$n"
}
"""


def examples() -> list[tuple[str, object]]:
    """(script, the answer shown after it or None) for every ``sh`` block that calls curl."""
    text = PAGE.read_text(encoding="utf-8")
    blocks = list(BLOCK.finditer(text))
    found = []
    for i, block in enumerate(blocks):
        if block.group(1) != "sh" or "curl " not in block.group(2):
            continue
        shown = None
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        if following and following.group(1) == "json" and not text[block.end() : following.start()].strip():
            shown = json.loads(following.group(2))
        found.append((block.group(2), shown))
    return found


def shape_errors(shown, actual, where: str = "$") -> list[str]:
    """How ``actual`` differs from ``shown``: a missing key, another JSON type, another stable value."""
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where}: an object was shown, got {actual!r}"]
        errors = []
        for key, value in shown.items():
            if key not in actual:
                errors.append(f"{where}.{key}: missing")
                continue
            errors += shape_errors(value, actual[key], f"{where}.{key}")
            if key in STABLE_KEYS and not isinstance(value, dict | list) and value != actual[key]:
                errors.append(f"{where}.{key}: {value!r} shown, {actual[key]!r} answered")
        return errors
    if isinstance(shown, list):
        if not isinstance(actual, list) or (shown and not actual):
            return [f"{where}: a non-empty list was shown, got {actual!r}"]
        return shape_errors(shown[0], actual[0], f"{where}[0]") if shown else []
    kinds = {bool: "boolean", int: "number", float: "number", str: "string", type(None): "null"}
    if kinds[type(shown)] != kinds.get(type(actual)):
        return [f"{where}: a {kinds[type(shown)]} was shown, got {actual!r}"]
    return []


def test_the_page_has_examples_of_the_main_calls():
    scripts = "\n".join(script for script, _shown in examples())
    for call in ("/api/v1/products/", "/api/v1/availability/", "/api/v1/cart/lines/", "/api/v1/stock/sync/"):
        assert call in scripts, call
    assert "Idempotency-Key: $IDEMPOTENCY_KEY" in scripts and "/_allauth/app/v1/auth/login" in scripts


def test_the_shape_check_finds_what_differs():
    shown = {"type": "placed", "lines": [{"sku": "A", "quantity": 1}], "next": None}
    assert shape_errors(shown, {"type": "placed", "lines": [{"sku": "A", "quantity": 2}], "next": None}) == []
    assert shape_errors(shown, {"type": "placed", "lines": [], "next": None})
    assert shape_errors(shown, {"type": "cancelled", "lines": [{"sku": "A", "quantity": 1}], "next": None})
    assert shape_errors(shown, {"type": "placed", "lines": [{"sku": "A", "quantity": "1"}], "next": None})
    assert shape_errors(shown, {"type": "placed", "lines": [{"sku": "A", "quantity": 1}]})


def _demo_names() -> tuple[str, str]:
    """The demo's names the page uses; returns (API key, customer e-mail)."""
    web = ChannelFactory(code="web", kind=Channel.Kind.WEB)
    app = ChannelFactory(code="app", kind=Channel.Kind.APP)
    allegro = ChannelFactory(
        code="allegro", name="Allegro", kind=Channel.Kind.MARKETPLACE, currency="PLN", api_key_required=True
    )
    warehouse = WarehouseFactory(code="wh-strykow", name="KROK Centrum Dystrybucyjne Stryków")
    LocationFactory(code="bia-alfa", name="KROK Białystok Galeria Alfa")  # the demo's first store by code
    since = timezone.now() - timedelta(days=1)
    for sku in ("KR000194-OLI-M", "KR000195-CZA-L"):  # two products: the first page has a next one
        variant = VariantFactory(product=ProductFactory(), sku=sku)
        price_set(variant=variant, amount=Decimal("149.99"))
        stock_receive(variant=variant, location=warehouse, quantity=30)
        for channel in (web, app, allegro):
            listing_publish(product=variant.product, channel=channel, published_from=since)
    _row, key = apikey_create(channel=allegro, name="Demo", scopes=DEMO_API_KEY_SCOPES)
    customer = User.objects.create_user(email="sandra.cegla1@example.com", password=DEMO_PASSWORD)
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    return key, customer.email


@pytest.mark.skipif(shutil.which("jq") is None, reason="the examples use jq (apt-get install jq)")
def test_every_documented_example_runs_and_answers_what_the_page_shows(live_server, tmp_path):
    key, email = _demo_names()
    found = examples()
    script = [PRELUDE]
    for i, (example, _shown) in enumerate(found):
        script += [f"# example {i}", example, f'wc -l < "$LOG/statuses" > "$LOG/example.{i}"']
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LOG": str(tmp_path),
        "OMNISHOP": live_server.url,
        "KEY": key,
        "EMAIL": email,
        "PASSWORD": DEMO_PASSWORD,
    }
    run = subprocess.run(
        ["/bin/bash", "-c", "\n".join(script)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    statuses = [int(s) for s in (tmp_path / "statuses").read_text().split()]
    problems, first = [], 1
    for i, (example, shown) in enumerate(found):
        last = int((tmp_path / f"example.{i}").read_text())
        calls = list(range(first, last + 1))
        assert calls, f"example {i} made no call:\n{example}"
        error_shown = isinstance(shown, dict) and {"type", "title"} <= set(shown)
        for n in calls:
            expected_error = error_shown and n == last
            if (statuses[n - 1] >= 400) != expected_error:
                problems.append(f"example {i}, call {n - first + 1}: status {statuses[n - 1]}\n{example}")
        if shown is not None:
            answer = json.loads((tmp_path / f"body.{last}").read_text())
            problems += [f"example {i}: {e}" for e in shape_errors(shown, answer)]
        first = last + 1
    assert not problems, "\n".join(problems)
