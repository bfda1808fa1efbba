"""PostgreSQL only: no DATABASE_URL outside make is a clear error, SQLite is refused, and the
embedded server's command line says what it needs."""

import os
import subprocess
import sys
from pathlib import Path

from omnishop import embedded_pg

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, database_url: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_without_database_url_django_refuses_to_start_and_says_how_to_get_one():
    result = manage("check", database_url=None)
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr and "omnishop.embedded_pg run" in result.stderr


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
