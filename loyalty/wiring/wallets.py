"""What loyalty's wallets registers in other apps when Django starts (card sections, merge and
privacy steps, event schemas)."""


def register() -> None:
    pass
