"""The RQ worker: builds the app once, runs the queues with RQ's scheduler (for retries)
and a cron loop for the periodic jobs the domains register with ``@periodic``."""
from __future__ import annotations

import logging
import sys
import threading
import time

from redis import Redis
from rq import SimpleWorker, Worker
from rq.cron import CronScheduler

from portal import create_app
from portal.core import jobs
from portal.core import redis as portal_redis
from portal.extensions import db

log = logging.getLogger("portal.worker")
CRON_LOCK = "portal:cron:leader"


class PortalWorker(Worker):
    def main_work_horse(self, job, queue):
        # The work horse is a fork: it must not share the parent's database connections.
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        return super().main_work_horse(job, queue)


def cron_loop(stop: threading.Event) -> None:
    """Enqueue due periodic jobs; one process at a time holds the lock (several workers may run)."""
    with app.app_context():
        connection = portal_redis.connection()
        cron = CronScheduler(connection=connection, name=f"portal-cron-{id(stop)}")
        for spec in jobs.PERIODIC:
            cron.register(spec["func"], spec["queue_name"], interval=spec["interval"])
        while not stop.is_set():
            try:
                leader = connection.set(CRON_LOCK, cron.name, nx=True, ex=30)
                if leader or connection.get(CRON_LOCK) == cron.name.encode():
                    connection.expire(CRON_LOCK, 30)
                    cron.enqueue_jobs()
            except Exception:  # Redis away: try again on the next tick
                log.warning("cron tick skipped: redis unavailable")
            stop.wait(5)


app = create_app()
jobs.set_worker_app(app)

if __name__ == "__main__":
    # A client of its own, without the web's 5-second socket timeout: the worker's blocking
    # wait on the queues lasts minutes, and a timeout there makes RQ quit.
    connection = Redis.from_url(app.config["REDIS_URL"])
    queues = sys.argv[1:] or app.config["RQ_QUEUES"]
    stop = threading.Event()
    threading.Thread(target=cron_loop, args=(stop,), daemon=True, name="cron").start()
    # RQ_WORKER_FORK=0: run each job in this process (RQ's SimpleWorker) instead of a forked work horse per job —
    # no fork and no new database connection per job (bench/msale.py); a job that hangs then holds the worker.
    worker_class = PortalWorker if app.config["RQ_WORKER_FORK"] else SimpleWorker
    try:
        worker_class(queues, connection=connection).work(with_scheduler=True, logging_level="INFO")
    finally:
        stop.set()
        time.sleep(0.1)
