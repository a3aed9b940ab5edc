"""How a web process serves pages and Socket.IO: ``gunicorn -c gunicorn.conf.py wsgi:app`` (``make serve``).

Socket.IO runs in threading mode (portal/__init__.py): an open WebSocket holds one of gunicorn's gthread pool
threads for as long as it stays open (python-engineio's read loop), and starts three short-stack helper threads
(engine.io's writer and ping timer, simple-websocket's reader). So a process needs a thread for every socket it
holds *plus* threads for pages. The pool starts its threads lazily: a high ceiling costs nothing until the
sockets arrive. docs/serving.md has the figures (bench/sockets.py) and the layouts for more sockets.

Settings (environment):
  HOST, PORT            where to listen (127.0.0.1:5000, as wsgi.py)
  WEB_SOCKETS           open sockets this process must hold (default 1,000)
  WEB_PAGE_THREADS      threads left for pages and API calls when every socket is open (default 32)
  WEB_THREAD_STACK_KB   stack reserved for every thread the process starts (default 1024; 0 = the system's,
                        8 MB here)
  WEB_GC_LOG            1: log every full garbage collection longer than 50 ms (they stop every thread)
"""
import gc
import os
import resource
import threading


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{_int('PORT', 5000)}"
# One worker per gunicorn: Socket.IO's long-polling needs each client to come back to the process that holds its
# session, and gunicorn's accept() cannot route by session. More processes: more gunicorns (docs/serving.md),
# tied together by the Redis message queue (REDIS_URL).
workers = 1
worker_class = "gthread"
threads = _int("WEB_SOCKETS", 1000) + _int("WEB_PAGE_THREADS", 32)
# gthread accepts at most worker_connections connections; the ones above `threads` wait between requests on
# keep-alive without holding a thread.
worker_connections = threads + 256
keepalive = 5
# A stopping worker waits this long for its requests; open sockets never finish, their clients reconnect.
graceful_timeout = 5
# Never restart a worker by request count: it would drop every socket it holds.
max_requests = 0
# gunicorn's control socket (for gunicornc) has one default path per user: several web processes on a machine
# would take it from each other. Nothing here uses it.
control_socket_disable = True
accesslog = os.environ.get("WEB_ACCESS_LOG") or None  # "-": stdout
errorlog = "-"

_STACK_KB = _int("WEB_THREAD_STACK_KB", 1024)


def on_starting(server):
    """A socket is a file descriptor: raise the soft limit on open files (often 1,024) up to the hard limit."""
    needed = worker_connections + 256  # the sockets, plus the database pool, Redis, logs and libraries
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        if raised < needed:
            server.log.warning("open files limited to %d (the hard limit), %d needed: raise it (LimitNOFILE= in "
                               "a systemd unit, ulimit -Hn)", raised, needed)
    # Threads count as processes for RLIMIT_NPROC (and systemd's TasksMax): about four per open socket.
    tasks = 4 * threads + 64
    nproc, _hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if nproc != resource.RLIM_INFINITY and nproc < tasks:
        server.log.warning("processes/threads limited to %d, the sockets may need %d: raise it (TasksMax= in a "
                           "systemd unit, ulimit -u)", nproc, tasks)


def post_fork(server, worker):  # noqa: ARG001 (gunicorn's hook signature)
    """Before the worker starts any thread: every thread of the process (pool, engine.io, simple-websocket,
    Redis listener) gets this stack. Its memory is reserved, not used: RSS grows only by the pages a thread
    touches (bench/sockets.py: the same RSS per socket with 512 KB and with 8 MB); the smaller reservation keeps
    4,000 threads from reserving 32 GB of address space, which a strict overcommit policy or ``ulimit -v`` would
    refuse. 1 MB leaves room for deep C recursion (regular expressions, JSON, Jinja)."""
    if _STACK_KB:
        threading.stack_size(_STACK_KB * 1024)


def post_worker_init(worker):
    """Once the app is loaded: its objects (≈175,000: SQLAlchemy's mappers, Jinja's templates, the catalogues…)
    live as long as the process, so they leave the garbage collector's view (``gc.freeze``). A full collection
    stops every thread of the process, pages and sockets alike, for as long as it walks the objects: on this
    machine 130–570 ms over 220,000–430,000 objects (bench/sockets.py, 1,000 sockets: about 230 objects each);
    without the app's share it walks only what requests and sockets made since."""
    gc.collect()
    gc.freeze()
    if os.environ.get("WEB_GC_LOG") == "1":
        gc.callbacks.append(_gc_timer(worker.log))


def _gc_timer(log):
    import time

    started = [0.0]

    def on_gc(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        elif info["generation"] == 2 and (elapsed := time.perf_counter() - started[0]) > 0.05:
            log.warning("full garbage collection: %.0f ms, %d objects tracked", elapsed * 1000, len(gc.get_objects()))

    return on_gc

