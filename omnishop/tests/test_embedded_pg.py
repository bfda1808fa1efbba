"""PostgreSQL only: no DATABASE_URL means the embedded server, SQLite is refused, and the
embedded server's command line says what it needs."""

import os
import subprocess
import sys
from pathlib import Path

from omnishop import embedded_pg

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, database_url: str | None, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_without_database_url_manage_py_uses_the_embedded_server_and_needs_it_only_for_queries():
    """Unset, DATABASE_URL is the embedded server's address: tools that need no database work
    without one (the migration check), and production refuses to start without it."""
    port = "from django.db import connection; print(connection.settings_dict['PORT'])"
    shown = manage("shell", "-c", port, database_url=None)
    assert shown.stdout.split()[-1] == str(embedded_pg.PREFERRED_PORT), shown.stderr
    checked = manage("makemigrations", "--check", "--dry-run", database_url=None)
    assert checked.returncode == 0 and "No changes detected" in checked.stdout, checked.stderr
    env = {"DJANGO_SETTINGS_MODULE": "omnishop.settings.production", "DJANGO_SECRET_KEY": "x" * 50}
    refused = manage("check", database_url=None, extra_env=env)
    assert refused.returncode != 0 and "set DATABASE_URL" in refused.stderr


def test_sqlite_is_refused():
    result = manage("check", database_url="sqlite:///db.sqlite3")
    assert result.returncode != 0 and "must point at PostgreSQL" in result.stderr


def test_the_command_line_needs_an_action_and_run_a_command(capsys):
    assert embedded_pg.main([]) == 2
    assert embedded_pg.main(["run", "--"]) == 1
    assert "run needs a command" in capsys.readouterr().err


def test_the_server_is_configured_for_the_concurrency_tests_and_never_on_5432():
    assert int(embedded_pg.SERVER_SETTINGS["max_connections"]) >= 300
    assert embedded_pg.PREFERRED_PORT != 5432
    assert embedded_pg.SERVER_SETTINGS["listen_addresses"] == "'127.0.0.1'"
