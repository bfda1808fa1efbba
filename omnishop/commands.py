"""Management command base for the project's own commands."""

from django.core.management.base import BaseCommand as DjangoBaseCommand


class BaseCommand(DjangoBaseCommand):
    """A command whose ``help`` may be translatable (``gettext_lazy``): argparse formats the
    description as a str, so it is rendered in the active language when the parser is built."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = str(self.help)
        return parser
