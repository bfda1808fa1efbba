"""The pricing engine in-process: a 20-line cart with 10 active promotions, a coupon and points.

Data (idempotent, reused by later runs): a web channel, 20 variants of 20 products across 4
categories (two levels deep) and 4 brands, each listed and priced; 10 automatic promotions (on the
basket, categories, brands, SKUs and a buy-2-get-1, with minimum baskets and priorities), one more
that needs the coupon ``BENCH-KUPON``, four earning rules (per złoty, a category and a brand
multiplier, an exclusion) and a silver tier; a customer with 50,000 spendable points.

Figures, IN-PROCESS (``loyalty.pricing.cart_price`` called directly, no HTTP):

- ``p50_ms`` / ``p95_ms``: one pricing of the 20-line cart with the coupon and 1,000 points,
  wall time per call; target p95 <= 20 ms.
- ``cpu_ms_p50``: the bench process's CPU time per pricing (PostgreSQL's own work not included).
- ``queries``: queries per pricing (target <= 10 whatever the number of lines and promotions);
  ``queries_5_lines``: the same with 5 lines, ``queries_1_promotion``: the same with one
  automatic promotion active (each must equal ``queries``).
- ``discount_total`` / ``total`` / ``points_to_earn``: what the cart comes to (a sanity check).
- ``load_avg_1m``: the machine's 1-minute load average when the measurement started.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

from bench import common

PREFIX = "bench-pricing"
LINES = 20
COUPON = "BENCH-KUPON"


def _catalog():
    from catalog.models import Brand, Category, Channel, Variant
    from catalog.services import listing_publish, price_set
    from catalog.tests.factories import ProductFactory, VariantFactory

    channel = Channel.objects.get_or_create(code=f"{PREFIX}-web", defaults={"name": "Sklep (bench)", "kind": "web"})[0]
    existing = list(Variant.objects.filter(sku__startswith=f"{PREFIX}-").order_by("sku"))
    if len(existing) >= LINES:
        return channel, existing[:LINES]
    root = Category.objects.filter(slug=f"{PREFIX}-obuwie").first() or Category.add_root(
        name="Obuwie (bench)", slug=f"{PREFIX}-obuwie"
    )
    names = (("sneakersy", "Sneakersy"), ("kozaki", "Kozaki"), ("sandaly", "Sandały"), ("klapki", "Klapki"))
    leaves = [
        Category.objects.filter(slug=f"{PREFIX}-{slug}").first() or root.add_child(name=name, slug=f"{PREFIX}-{slug}")
        for slug, name in names
    ]
    brands = [
        Brand.objects.get_or_create(slug=f"{PREFIX}-marka-{i}", defaults={"name": f"Marka {i} (bench)"})[0]
        for i in range(4)
    ]
    variants = []
    for i in range(LINES):
        product = ProductFactory(
            name=f"Bench but {i}", slug=f"{PREFIX}-but-{i}", category=leaves[i % 4], brand=brands[i % 4]
        )
        variant = VariantFactory(product=product, sku=f"{PREFIX}-{i:02d}")
        price_set(variant=variant, amount=Decimal("99.99") + i * Decimal("10.50"))
        listing_publish(product=product, channel=channel)
        variants.append(variant)
    return channel, variants


def _loyalty(variants, channel):
    from catalog.models import Brand, Category
    from customers.models import Customer
    from loyalty.models import Coupon, EarningRule, LoyaltyAccount, Promotion, Tier

    customer = Customer.objects.get_or_create(
        email=f"{PREFIX}@example.pl", defaults={"first_name": "Bench", "last_name": "Klient"}
    )[0]
    if not Promotion.objects.filter(name__startswith=f"{PREFIX}-").exists():
        leaves = list(Category.objects.filter(slug__startswith=f"{PREFIX}-").exclude(slug=f"{PREFIX}-obuwie"))
        root = Category.objects.get(slug=f"{PREFIX}-obuwie")
        brands = list(Brand.objects.filter(name__endswith="(bench)"))
        specs = [
            ("koszyk 5%", "percent", "5", "cart", None),
            ("obuwie 3%", "percent", "3", "categories", [root]),
            ("sneakersy 10 zł", "fixed", "10", "categories", [leaves[0]]),
            ("kozaki 7%", "percent", "7", "categories", [leaves[1]]),
            ("marka 0 4%", "percent", "4", "brands", [brands[0]]),
            ("marka 1 15 zł", "fixed", "15", "brands", [brands[1]]),
            ("SKU 2%", "percent", "2", "variants", variants[:6]),
            ("koszyk 25 zł od 1000 zł", "fixed", "25", "cart", None),
            ("2+1 sandały", "buy_x_get_y", "0", "categories", [leaves[2]]),
            ("klapki 6%", "percent", "6", "categories", [leaves[3]]),
        ]
        for priority, (name, kind, value, scope, targets) in enumerate(specs, start=1):
            promotion = Promotion.objects.create(
                name=f"{PREFIX}-{name}",
                kind=kind,
                value=Decimal(value),
                scope=scope,
                automatic=True,
                priority=priority * 10,
                min_basket_amount=Decimal("1000") if "od 1000" in name else Decimal("0"),
                buy_quantity=2 if kind == "buy_x_get_y" else 0,
                get_quantity=1 if kind == "buy_x_get_y" else 0,
                get_discount_percent=Decimal("100") if kind == "buy_x_get_y" else Decimal("0"),
            )
            if targets:
                getattr(promotion, scope).set(targets)
        coupon_promotion = Promotion.objects.create(name=f"{PREFIX}-kupon 50 zł", kind="fixed", value=Decimal("50"))
        Coupon.objects.create(code=COUPON, promotion=coupon_promotion)
        tier = Tier.objects.create(code=f"{PREFIX}-silver", name="Srebrny", threshold=100, multiplier=Decimal("1.5"))
        EarningRule.objects.create(name=f"{PREFIX} 1 pkt/zł", kind="per_amount", points_per_unit=Decimal("1"))
        EarningRule.objects.create(
            name=f"{PREFIX} sneakersy x2", kind="multiplier", multiplier=Decimal("2"), category_ids=[leaves[0].pk]
        )
        EarningRule.objects.create(
            name=f"{PREFIX} marka x1.5", kind="multiplier", multiplier=Decimal("1.5"), brand_ids=[brands[2].pk]
        )
        EarningRule.objects.create(name=f"{PREFIX} bez klapek", kind="exclusion", category_ids=[leaves[3].pk])
        LoyaltyAccount.objects.update_or_create(customer=customer, defaults={"balance": 50_000, "tier": tier})
    return customer


def _price(channel, customer, lines):
    from loyalty.pricing import cart_price

    return cart_price(
        lines=lines, channel=channel, customer=customer, fulfilment_type="delivery", coupon_code=COUPON, points=1000
    )


def _queries(channel, customer, lines) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _price(channel, customer, lines)
    with CaptureQueriesContext(connection) as ctx:
        _price(channel, customer, lines)
    return len(ctx.captured_queries)


def run(quick: bool) -> dict:
    from loyalty.models import Promotion

    rounds = 200 if quick else 2000
    with common.Timer() as t:
        channel, variants = _catalog()
        customer = _loyalty(variants, channel)
    common.log(f"-- data: {len(variants)} variants, 10 automatic promotions, a coupon, points ({t.s:.1f}s)")
    common.database_analyze()
    lines = {v.pk: 1 + i % 3 for i, v in enumerate(variants)}
    priced = _price(channel, customer, lines)
    common.log(
        f"  total {priced.total} (discounts {priced.discount_total}, {len(priced.promotions)} promotions applied), "
        f"earns {priced.points_to_earn} points"
    )

    counts = {
        "queries": _queries(channel, customer, lines),
        "queries_5_lines": _queries(channel, customer, dict(list(lines.items())[:5])),
    }
    automatic = Promotion.objects.filter(name__startswith=f"{PREFIX}-", automatic=True).order_by("pk")
    keep = automatic.first().pk
    automatic.exclude(pk=keep).update(is_active=False)
    try:
        counts["queries_1_promotion"] = _queries(channel, customer, lines)
    finally:
        automatic.update(is_active=True)
    common.log(f"-- queries per pricing: {counts}")

    load_1m = os.getloadavg()[0]
    common.log(f"-- in-process timing: {rounds} pricings (load average {load_1m:.2f} on {os.cpu_count()} cpus)")
    for _ in range(20):
        _price(channel, customer, lines)
    wall, cpu = [], []
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        _price(channel, customer, lines)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    figures = common.latency_figures(wall)
    result = {
        "p50_ms": round(figures["p50_ms"], 2),
        "p95_ms": round(figures["p95_ms"], 2),
        "cpu_ms_p50": round(common.percentile(cpu, 50), 2),
        **counts,
        "lines": len(lines),
        "promotions_active": 10,
        "promotions_applied": len(priced.promotions),
        "discount_total": str(priced.discount_total),
        "total": str(priced.total),
        "points_to_earn": priced.points_to_earn,
        "load_avg_1m": round(load_1m, 2),
        "rounds": rounds,
    }
    common.log(f"-- p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms (target <= 20), queries {counts['queries']}")
    return result
