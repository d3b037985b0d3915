"""`make serve`: gunicorn's web workers and one scheduler process, started and stopped together.

    python -m clearinghouse.serve --port 8000 [--host 127.0.0.1] [--workers N] [--without-scheduler]

The scheduler is its own single process (`flask scheduler`), never one per web worker. SIGINT or
SIGTERM stops both; if either stops by itself, the other is stopped too and the exit status is
non-zero, so a service manager (systemd, a container runtime) restarts the pair.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# One line per request: time, method, path (no query string: it may hold a search), status, size, duration.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
STOP_TIMEOUT = 15  # seconds each process gets to finish after SIGTERM, before SIGKILL
GRACEFUL_TIMEOUT = 10  # seconds gunicorn gives a worker to finish its requests


def default_workers() -> int:
    """WEB_CONCURRENCY when set (the convention of most hosts), else 2 × cores + 1."""
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise SystemExit(f"WEB_CONCURRENCY must be a whole number of at least 1, not {raw!r}.")
        return int(raw)
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--graceful-timeout", str(GRACEFUL_TIMEOUT),
        "--access-logfile", "-",
        "--access-logformat", ACCESS_LOG_FORMAT,
        "--error-logfile", "-",
        "--chdir", str(PROJECT_ROOT),
        "--no-control-socket",  # no runtime control interface; two servers on one host would share its path
        "wsgi:app",
    ]  # fmt: skip


def scheduler_command() -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi.py", "scheduler"]


class Supervisor:
    """Runs the processes, forwards a stop request to all of them, and stops all when one ends."""

    def __init__(self, commands: dict[str, list[str]], env: dict[str, str] | None = None):
        self.commands = commands
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}
        self.stop_requested = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        for name, command in self.commands.items():
            print(f"serve: starting {name}: {' '.join(command)}", file=sys.stderr, flush=True)
            self.processes[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, env=self.env)  # noqa: S603 - our own commands
        status = 0
        while not self.stop_requested:
            ended = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
            if ended:
                for name, code in ended.items():
                    print(f"serve: {name} stopped by itself (exit status {code}).", file=sys.stderr, flush=True)
                status = 1
                break
            time.sleep(0.2)
        self.stop_all()
        return status

    def stop_all(self) -> None:
        running = [p for p in self.processes.values() if p.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        print("serve: stopped.", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m clearinghouse.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=5000, help="Port to listen on (default 5000).")
    parser.add_argument("--workers", type=int, help="Web workers (default WEB_CONCURRENCY, else 2 × cores + 1).")
    parser.add_argument(
        "--without-scheduler",
        action="store_true",
        help="Serve the web only (the schedulers of the other hosts run the jobs; one on each host is fine too).",
    )
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1.")
    if not 0 < args.port < 65536:
        parser.error("--port must be between 1 and 65535.")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    commands = {"web": gunicorn_command(args.host, args.port, args.workers or default_workers())}
    if not args.without_scheduler:
        commands["scheduler"] = scheduler_command()
    # Without BASE_URL, links in e-mails and feeds follow the port served here (config.py reads PORT).
    return Supervisor(commands, env={**os.environ, "PORT": str(args.port)}).run()


if __name__ == "__main__":
    sys.exit(main())
