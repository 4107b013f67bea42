"""Where the tasks run: in this process, in a pool of processes, or on a Dask cluster.

Each executor is a generator: tasks in (an iterator, consumed lazily, a bounded number in
flight), ``(task, result)`` out in completion order, ``result`` the function's value or the
exception that stopped it (the process died, the cluster gave up). None of them touches the
journal: the caller (the parent process, the Dask client) alone writes it.

- :func:`serial`: in this process (``workers=1``).
- :func:`pool`: ``workers`` processes (``forkserver``; each ends when the run that made it
  is gone, see :func:`_init_worker`). A worker process that dies (a signal, the OOM
  killer) breaks the pool: its tasks in flight are then run again one at a time, each in a
  fresh process, so that the one that kills its process is recorded as ``error`` and the
  others are coded.
- :func:`dask`: a ``distributed`` cluster: ``"local"`` (a :class:`distributed.LocalCluster`
  of ``workers`` single-threaded processes on 127.0.0.1) or a scheduler address. A task whose
  worker dies is run again by the scheduler on another worker (``retries`` more on errors).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import count, islice
from typing import Any

from ..errors import InvalidInputError

__all__ = ["serial", "pool", "dask", "DASK_MISSING"]

DASK_MISSING = (
    "running on Dask needs dask.distributed: pip install 'sdwtfast[dask]' "
    "(or pip install 'dask[distributed]')"
)
Fn = Callable[[Any], dict[str, Any]]
Out = Iterator[tuple[Any, "dict[str, Any] | BaseException"]]


def serial(fn: Fn, tasks: Iterator[Any]) -> Out:
    """Run ``fn`` on each task in this process."""
    for t in tasks:
        yield t, fn(t)


def _init_worker(parent: int) -> None:
    """In each pool process: die with the run that made the pool (a killed run leaves no
    worker and no fork server behind).

    ``PR_SET_PDEATHSIG`` alone does not do it: a forkserver worker's parent is the fork
    server, and the server lives as long as any worker does (each holds its "alive" pipe), so
    a run killed with SIGKILL used to leave its server and its idle workers for good. A thread
    waits on a pidfd of ``parent`` (the run) instead and ends the process when it is gone,
    after the task in progress (:func:`_watch_parent`).
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG: the fork start method
    except (OSError, AttributeError):  # not Linux: the watcher below alone
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C stops the parent, which stops us
    _watch_parent(parent)


_BUSY = threading.Lock()
"""Held by a pool process while it runs a task: the parent watcher waits for it."""


def _guarded(fn: Fn, task: Any) -> dict[str, Any]:
    """``fn(task)`` in a pool process, never cut short by :func:`_watch_parent`."""
    with _BUSY:
        return fn(task)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch_parent(pid: int) -> None:
    """End this process (``os._exit``) once process ``pid`` has exited and the task in
    progress, if any, is finished (so that its output is complete, not a temporary); the
    tasks still queued are not started."""
    import select

    try:
        fd: int | None = os.pidfd_open(pid)  # Linux >= 5.3: readable once pid has exited
    except (AttributeError, OSError):
        fd = None
        if not _alive(pid):
            os._exit(1)

    def watch() -> None:
        if fd is not None:
            select.select([fd], [], [])
        else:
            while _alive(pid):
                time.sleep(1.0)
        _BUSY.acquire()  # the current task ends first; the next one never starts
        os._exit(1)

    threading.Thread(target=watch, name="sdwtfast-parent-watch", daemon=True).start()


def _new_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``forkserver`` processes (``fork`` when the main module has no file the
    server could import, e.g. a script read from stdin)."""
    import multiprocessing as mp

    main = getattr(sys.modules.get("__main__"), "__file__", None)
    if main is None or os.path.exists(main):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sdwtfast.batch.work", "sdwtfast.api", "sdwtfast.dicom"])
    else:
        ctx = mp.get_context("fork")
    return ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(),)
    )


def _isolated(fn: Fn, tasks: list[Any]) -> Out:
    """Each task alone in a fresh process: the one that kills its process is found out."""
    for t in tasks:
        with _new_pool(1) as ex:
            try:
                res: dict[str, Any] | BaseException = ex.submit(_guarded, fn, t).result()
            except BrokenProcessPool as exc:
                res = exc
        yield t, res


def pool(fn: Fn, tasks: Iterator[Any], workers: int) -> Out:
    """Run ``fn`` on each task in ``workers`` processes, at most ``2 * workers`` in flight."""
    it = iter(tasks)
    done_any = False
    while True:
        ex = _new_pool(workers)
        inflight: dict[Future, Any] = {}
        broken = False
        try:
            for t in islice(it, 2 * workers):
                inflight[ex.submit(_guarded, fn, t)] = t
            while inflight and not broken:
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for f in done:
                    try:
                        res = f.result()
                    except BrokenProcessPool:
                        broken = True
                        break
                    done_any = True
                    yield inflight.pop(f), res
                    for t in islice(it, 1):
                        inflight[ex.submit(_guarded, fn, t)] = t
        finally:
            ex.shutdown(wait=not broken, cancel_futures=True)
        if not broken:
            return
        crashed = 0
        for t, res in _isolated(fn, list(inflight.values())):
            crashed += isinstance(res, BaseException)
            yield t, res
        if crashed and crashed == len(inflight) and not done_any:
            raise OSError(errno.ECHILD, "the worker processes die before coding anything")


def _client(address: str, workers: int) -> tuple[Any, Any]:
    try:
        import distributed
    except ImportError:
        raise InvalidInputError(DASK_MISSING) from None
    if address == "local":
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        return distributed.Client(cluster), cluster
    if not address.startswith(("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")):
        raise InvalidInputError(f"a scheduler address looks like tcp://HOST:PORT, not {address!r}")
    return distributed.Client(address), None


def dask(fn: Fn, tasks: Iterator[Any], address: str, workers: int, *, retries: int = 2) -> Out:
    """Run ``fn`` on each task on a Dask cluster (``address``: ``"local"`` or
    ``tcp://HOST:PORT``), at most ``4 x`` the cluster's threads in flight."""
    client, cluster = _client(address, workers)
    import distributed

    try:
        threads = max(1, sum(client.nthreads().values()) or workers)
        it = iter(tasks)
        ac = distributed.as_completed()
        owner: dict[str, Any] = {}
        serial_no = count()
        run_id = f"{os.getpid()}-{time.time_ns()}"

        def submit(t: Any) -> None:
            key = f"sdwtfast-archive-{run_id}-{next(serial_no)}"
            owner[key] = t
            ac.add(client.submit(fn, t, pure=False, retries=retries, key=key))

        for t in islice(it, 4 * threads):
            submit(t)
        resubmitted: dict[int, int] = {}
        for f in ac:
            task = owner.pop(f.key)
            try:
                res: dict[str, Any] | BaseException = f.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost result...
                res = exc
            f.release()
            if isinstance(res, BaseException) and resubmitted.get(id(task), 0) < retries:
                resubmitted[id(task)] = resubmitted.get(id(task), 0) + 1
                submit(task)  # once more from here, whatever the scheduler gave up on
                continue
            yield task, res
            for t in islice(it, 1):
                submit(t)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def default_workers() -> int:
    """The CPUs (``os.cpu_count()``)."""
    return os.cpu_count() or 1
