"""Phrases of Django's admin that omnishop says in its own Polish.

Django's Polish catalogue builds "Dodaj %s" / "Zmień %s" from a model's name in the nominative
("Zmień klient", "Dodaj lokalizacja") or guesses endings ("Usuń wybrane(-nych)"); the colon forms
below read correctly whatever the noun's gender and case. The project's catalogue (LOCALE_PATHS)
takes precedence over Django's; the strings are listed here so that makemessages keeps them in it.
django-celery-beat, which ships no Polish, is translated in ``locale_vendor/``.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN = [
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
    gettext_noop("Add %(name)s"),
    gettext_noop("Add another %(verbose_name)s"),
    gettext_noop("Delete selected %(verbose_name_plural)s"),
    gettext_noop("Select all %(total_count)s %(module_name)s"),
    gettext_noop("Select %s"),
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
]
