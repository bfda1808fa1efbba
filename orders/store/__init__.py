"""The store console (``/store/``): server-rendered pages for store staff on a tablet or a phone,
each scoped to the store chosen in the session (``access``). Other apps add their pages under
their own ``store/`` packages and templates under ``templates/store/``."""
