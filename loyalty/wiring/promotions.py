"""What loyalty's promotions registers in other apps when Django starts (card sections, merge and
privacy steps, event schemas)."""


def register() -> None:
    pass
