from . import points, promotions, wallets  # noqa: F401
