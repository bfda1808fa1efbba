"""Run one omnishop benchmark against PostgreSQL and print its figures.

Usage, from the project root::

    .venv/bin/python bench/run.py NAME [--quick]
    .venv/bin/python bench/run.py --list          # the available benchmarks
    make bench NAME=catalog BENCH_ARGS=--quick

``--quick`` is the smoke-sized run (under two minutes in total on a 2-core machine, data
creation included); without it the full run takes up to about ten minutes.

Environment
    DATABASE_URL   PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/omnishop_bench);
                   the database is created when missing and migrated on every run. Benchmarks
                   create their own data idempotently and only ever add to it: a second run
                   reuses it, and a quick run after a full one measures the full-sized data
                   (the JSON reports the row counts). Use another database for a quick-sized one.
    BENCH_GUNICORN_WORKERS / BENCH_GUNICORN_THREADS / BENCH_GUNICORN_WORKER_CLASS
                   override a benchmark's gunicorn configuration.

The bench process runs ``omnishop.settings.local`` with ``DJANGO_DEBUG=0`` and Celery eager;
servers under load run ``omnishop.settings.production`` (gunicorn on 127.0.0.1, a free port,
terminated whatever happens). Only the loopback server the run started is ever contacted.

Output contract
    Progress and readable figures are printed while the benchmark runs. The LAST line of
    stdout is exactly one JSON object (``json.dumps``, one line), always, also on failure:

    - always: ``benchmark`` (name), ``quick`` (bool), ``ok`` (bool), ``elapsed_s`` (whole run),
      ``started_at`` (UTC, ISO 8601), ``cpus``;
    - on success: the benchmark's own figures, flat where they are headline numbers, e.g. for
      ``catalog``: ``requests_per_s``, ``p50_ms``, ``p95_ms``, ``p99_ms``, ``errors`` (non-200
      responses plus transport errors), ``queries_per_page``, ``products``, …;
    - on failure: ``error`` (one line), and the exit status is 1.

    An unknown NAME lists the available benchmarks on stderr and exits with status 2.
    A copy of the JSON is written to ``bench/results/`` (ignored by git).

Adding a benchmark
    Create ``bench/<name>.py`` with a module docstring (its first line is the description
    ``--list`` shows) and ``run(quick: bool) -> dict``. It is found by its file name; shared
    plumbing (gunicorn, load generator, percentiles, query counting) is in ``bench/common.py``.
    Django is set up and the database migrated before ``run`` is called.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# Run as a script, bench/ itself would be first on sys.path and bench/catalog.py would shadow
# the catalog app: put the project root there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

NOT_BENCHMARKS = {"run", "common"}


def benchmarks_available() -> dict[str, str]:
    """Benchmark name → first docstring line: every ``bench/<name>.py`` that defines ``run``."""
    found = {}
    for path in sorted(BENCH_DIR.glob("*.py")):
        name = path.stem
        if name.startswith("_") or name in NOT_BENCHMARKS:
            continue
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
        except SyntaxError as exc:
            found[name] = f"(does not parse: {exc})"
            continue
        if any(isinstance(node, ast.FunctionDef) and node.name == "run" for node in tree.body):
            lines = (ast.get_docstring(tree) or "").strip().splitlines()
            found[name] = lines[0] if lines else ""
    return found


def _available_text(available: dict[str, str]) -> str:
    width = max((len(n) for n in available), default=0)
    return "\n".join(f"  {name:<{width}}  {summary}" for name, summary in available.items())


def _result_save(result: dict) -> None:
    folder = BENCH_DIR / "results"
    try:
        folder.mkdir(exist_ok=True)
        stamp = result["started_at"].replace(":", "").replace("-", "")
        size = "quick" if result["quick"] else "full"
        (folder / f"{result['benchmark']}-{size}-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    except OSError as exc:  # a read-only checkout must not lose the figures on stdout
        common.log(f"(could not save the result: {exc})")


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so every finally (gunicorn shutdown above all) runs."""


def _terminate(signum, frame):
    raise Terminated(signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Run one omnishop benchmark; the last line of output is its JSON figures.",
    )
    parser.add_argument("name", nargs="?", help="benchmark to run (see --list)")
    parser.add_argument("--quick", action="store_true", help="smoke-sized run, under two minutes")
    parser.add_argument("--list", action="store_true", help="list the available benchmarks and exit")
    args = parser.parse_args(argv)

    available = benchmarks_available()
    if args.list:
        print(_available_text(available))
        return 0
    if args.name not in available:
        head = f"unknown benchmark {args.name!r}" if args.name else "name a benchmark"
        print(f"{head}; available:\n{_available_text(available)}", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, _terminate)
    started = time.perf_counter()
    result: dict = {
        "benchmark": args.name,
        "quick": args.quick,
        "ok": False,
        "started_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "cpus": os.cpu_count(),
    }
    status = 1
    try:
        url = common.environment_prepare()
        size = "quick" if args.quick else "full"
        common.log(f"== bench {args.name} ({size}) on database {url.rsplit('/', 1)[-1]}")
        if common.database_ensure(url):
            common.log("  created the database")
        common.django_setup()
        with common.Timer() as t:
            common.database_migrate()
        common.log(f"  migrated in {t.s:.1f}s")
        module = importlib.import_module(f"bench.{args.name}")
        figures = module.run(quick=args.quick)
        result.update(figures)
        result["quick"] = args.quick
        result["ok"] = True
        status = 0
    except KeyboardInterrupt:
        result["error"] = "interrupted"
        status = 130
    except Terminated as exc:
        result["error"] = f"terminated by {signal.Signals(exc.args[0]).name}"
        status = 128 + exc.args[0]
    except SystemExit as exc:
        result["error"] = f"stopped ({exc.code})"
        status = exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:
        import traceback

        traceback.print_exc()
        result["error"] = f"{exc.__class__.__name__}: {exc}".splitlines()[0]
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    _result_save(result)
    sys.stderr.flush()
    print(json.dumps(result, default=str), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
