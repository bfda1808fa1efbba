"""The production stack's nginx (deploy/nginx.conf) in front of gunicorn: stalled clients
wait in nginx, not in gunicorn's workers, so /healthz keeps answering."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

from omnishop.tests.live_servers import free_port, gunicorn_servers, wait_for_port

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
CONFIG = Path(settings.BASE_DIR) / "deploy" / "nginx.conf"
STALLED = 16


def nginx_config(*, workdir: Path, listen: int, upstream: int) -> Path:
    """deploy/nginx.conf as it is, pointed at loopback ports, in a minimal main config."""
    server = CONFIG.read_text()
    server = server.replace("server web:8000;", f"server 127.0.0.1:{upstream};")
    server = server.replace("listen 80 default_server;", f"listen 127.0.0.1:{listen} default_server;")
    (workdir / "omnishop.conf").write_text(server)
    main = workdir / "nginx.conf"
    main.write_text(
        f"""
        daemon off;
        worker_processes 1;
        pid {workdir}/nginx.pid;
        error_log {workdir}/error.log warn;
        {"user root;" if os.geteuid() == 0 else ""}
        events {{ worker_connections 1024; }}
        http {{
            access_log off;
            client_body_temp_path {workdir}/body;
            proxy_temp_path {workdir}/proxy;
            fastcgi_temp_path {workdir}/fastcgi;
            uwsgi_temp_path {workdir}/uwsgi;
            scgi_temp_path {workdir}/scgi;
            include {workdir}/omnishop.conf;
        }}
        """
    )
    return main


def stall(port: int, count: int) -> list[socket.socket]:
    """``count`` clients that send half their headers and then nothing."""
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow")
        clients.append(client)
    return clients


def healthz(port: int, *, timeout: float) -> tuple[int | None, float]:
    """(status, seconds) of one GET /healthz, status None when no answer came in ``timeout``."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as client:
            client.settimeout(timeout)
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            head = client.recv(64)
    except OSError:
        return None, time.monotonic() - started
    status = int(head.split()[1]) if head.startswith(b"HTTP/") else None
    return status, time.monotonic() - started


def warm_up(port: int, *, within: float = 60.0) -> None:
    """Both workers answer once (a worker's first request loads URLs and opens connections,
    slow on a busy machine), so the timed checks measure waiting, not start-up."""
    deadline = time.monotonic() + within
    answered = 0
    while answered < 4:
        assert time.monotonic() < deadline, "gunicorn behind nginx did not answer /healthz"
        answered += healthz(port, timeout=10)[0] == 200


@pytest.fixture
def nginx_in_front(transactional_db, tmp_path):
    if NGINX is None:
        pytest.fail("nginx is missing: apt-get install nginx (.ci/run installs it)")
    tmp_path.chmod(0o755)
    with gunicorn_servers(1, workers=2) as (upstream,):
        listen = free_port()
        config = nginx_config(workdir=tmp_path, listen=listen, upstream=upstream)
        check = subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(tmp_path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        process = subprocess.Popen([NGINX, "-c", str(config), "-p", str(tmp_path)])
        try:
            wait_for_port(listen, process=process)
            warm_up(listen)
            yield {"nginx": listen, "gunicorn": upstream}
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_stalled_clients_do_not_take_healthz_down_behind_nginx(nginx_in_front):
    assert healthz(nginx_in_front["nginx"], timeout=5)[0] == 200
    clients = stall(nginx_in_front["nginx"], STALLED)
    try:
        time.sleep(0.3)  # let nginx accept them all
        status, seconds = healthz(nginx_in_front["nginx"], timeout=1.0)
        assert status == 200 and seconds < 1.0, (status, seconds)
    finally:
        for client in clients:
            client.close()


def test_without_nginx_the_same_clients_starve_gunicorns_workers(nginx_in_front):
    """The control: the two sync workers straight behind the stalled clients stop answering,
    which is what nginx is in front for."""
    clients = stall(nginx_in_front["gunicorn"], STALLED)
    try:
        time.sleep(0.3)
        status, _seconds = healthz(nginx_in_front["gunicorn"], timeout=1.0)
        assert status is None
    finally:
        for client in clients:
            client.close()


def test_the_proxy_config_forwards_the_client_and_bounds_slow_clients():
    config = CONFIG.read_text()
    for directive in (
        "client_header_timeout 10s;",
        "client_body_timeout 15s;",
        "proxy_buffering on;",
        "proxy_request_buffering on;",
        "client_max_body_size 11m;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
    ):
        assert directive in config, directive


@pytest.mark.parametrize(("count", "expected"), [("0", "None"), ("1", "('HTTP_X_FORWARDED_PROTO', 'https')")])
def test_production_trusts_x_forwarded_proto_only_behind_a_configured_proxy(count, expected):
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omnishop.settings.production",
        "DJANGO_SECRET_KEY": "test-" + "k" * 50,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        "OMNISHOP_TRUSTED_PROXY_COUNT": count,
    }
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == expected


def test_a_body_over_the_limit_is_refused_by_nginx_with_the_error_body(nginx_in_front):
    import json

    with socket.create_connection(("127.0.0.1", nginx_in_front["nginx"]), timeout=5) as client:
        client.sendall(
            b"POST /api/v1/cart/lines/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 52428800\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while not answer.rstrip().endswith(b"}"):  # nginx lingers for the unsent body: read the answer only
            answer += client.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["type"] == "payload_too_large"
