"""Thin Celery tasks of loyalty: each calls one service."""

from celery import shared_task

# --- points ---------------------------------------------------------------------------------


@shared_task
def points_release_due() -> int:
    from .services.points import points_release_due as run

    return run()


@shared_task
def points_expire_due() -> int:
    from .services.points import points_expire_due as run

    return run()


@shared_task
def points_expiry_notices_send() -> int:
    from .services.points_customer import points_expiry_notices_send as run

    return run()


@shared_task
def tiers_evaluate() -> int:
    from .services.tiers import tiers_evaluate as run

    return run()
