"""One archive run: plan, compare with the journal, code what is new, record every result.

See :mod:`sdwtfast.batch` for the behaviour and ``docs/archive.md`` for the details.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..errors import InvalidInputError
from . import executors, plan, work
from .journal import Journal
from .progress import Progress, Summary
from .settings import Secrets, Settings

__all__ = ["archive"]


def _same_source(item: plan.Item, row: dict[str, Any]) -> bool:
    return (
        row["kind"] == item.kind and row["size"] == item.size and row["mtime_ns"] == item.mtime_ns
    )


def _output_ok(dst: Path, row: dict[str, Any]) -> bool:
    try:
        return (dst / row["output"]).stat().st_size == row["output_size"]
    except (OSError, TypeError):
        return False


def _decide(item: plan.Item, row: dict | None, fp: str, dst: Path, retry: bool) -> str:
    """``"keep"`` (nothing to do), ``"record"`` (a walk verdict to write) or ``"code"``."""
    if item.status != "todo":
        same = row is not None and row["status"] == item.status and row["error"] == item.reason
        return "keep" if same and _same_source(item, row) else "record"
    if row is None or not _same_source(item, row) or row["options"] != fp:
        return "code"
    if row["status"] == "done":
        return "keep" if _output_ok(dst, row) else "code"
    if row["status"] == "failed" and not retry:
        return "keep"
    return "code"


def _row_of(item: plan.Item, status: str, reason: str | None, fp: str) -> dict[str, Any]:
    return {
        "path": item.rel,
        "kind": item.kind,
        "members": [item.rel],
        "size": item.size,
        "mtime_ns": item.mtime_ns,
        "output": item.output or None,
        "status": status,
        "error": reason or None,
        "options": fp,
    }


def _crash_row(task: work.Task, exc: BaseException) -> dict[str, Any]:
    row = _row_of(task.item, "error", None, task.settings.fingerprint())
    row["error"] = f"the worker died while coding it ({type(exc).__name__}: {exc})"
    return row


def _prepare(
    journal: Journal, items: list[plan.Item], fp: str, dst: Path, retry: bool
) -> tuple[list[plan.Item], set[str]]:
    """Record the walk's verdicts and the new inputs (``pending``); the items to code."""
    rows = journal.rows()
    todo, new_rows = [], []
    for it in items:
        row = rows.get(it.rel)
        what = _decide(it, row, fp, dst, retry)
        if what == "record":
            new_rows.append(_row_of(it, it.status, it.reason, fp))
        elif what == "code":
            todo.append(it)
            if row is None:
                new_rows.append(_row_of(it, "pending", None, fp))
    journal.put(new_rows)
    return todo, set(rows) - {it.rel for it in items}


def _summarize(journal: Journal, items: list[plan.Item], coded: dict, gone: set, t0: float):
    rows = journal.rows()
    s = Summary(elapsed_s=time.perf_counter() - t0, gone=len(gone))
    for it in items:
        r = rows.get(it.rel) or {"status": "pending", "error": None}
        st = r["status"]
        if st == "done" and it.rel not in coded:
            st = "unchanged"
        s.counts[st] = s.counts.get(st, 0) + 1
        if st in ("failed", "error", "skipped"):
            s.failures.append((it.rel, st, r["error"] or ""))
        if r["status"] == "done":
            s.archive_in += r["size"]
            s.archive_out += r["output_size"] or 0
            if it.rel in coded:
                s.bytes_in += r["size"]
                s.bytes_out += r["output_size"] or 0
    order = {"failed": 0, "error": 1, "skipped": 2}
    s.failures.sort(key=lambda f: (order[f[1]], f[0]))
    return s


def _results(tasks: Iterator[work.Task], workers: int, dask: str | None) -> Iterator:
    if dask is not None:
        return executors.dask(work.process, tasks, dask, workers)
    if workers == 1:
        return executors.serial(work.process, tasks)
    return executors.pool(work.process, tasks, workers)


def _consume(results: Iterator, journal: Journal, progress: Progress, dst: Path) -> set[str]:
    """Record each result as it comes (the caller alone writes the journal)."""
    coded: set[str] = set()
    for task, res in results:
        row = res if isinstance(res, dict) else _crash_row(task, res)
        blob = row.pop("blob", None)
        if blob is not None and row["status"] == "done":
            try:
                row["write_ms"] = work.write_output(str(dst), row["output"], blob)
            except OSError as exc:
                row.update(status="error", error=f"{type(exc).__name__}: {exc}")
        journal.put([row])
        if row["status"] == "done":
            coded.add(row["path"])
        progress.update(row)
    return coded


def _tasks(todo: list[plan.Item], settings: Settings, secrets: Secrets, roots, mode) -> Iterator:
    src, dst = roots
    write, threads = mode
    for it in todo:
        yield work.Task(it, settings, secrets, str(src), str(dst), write, threads)


def archive(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    roi: Any = None,
    roi_max_error: int = 0,
    roi_bpp: float | None = None,
    background: str = "wavelet",
    background_quality: float | int | None = None,
    wavelet: str | None = None,
    preprocess: Sequence[str] = (),
    effort: int | None = None,
    key: Any = None,
    passphrase: str | bytes | None = None,
    by: str = "file",
    workers: int | None = None,
    threads: int | None = None,
    dask: str | None = None,
    outputs: str = "workers",
    reencode: bool = False,
    retry_failed: bool = False,
    progress: str | None = "bar",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> Summary:
    """Compress every image under ``src`` into a mirrored tree of containers under ``dst``.

    Parameters
    ----------
    src, dst : str or os.PathLike
        The source (a folder, or one file; never written) and the archive folder (created;
        it must not overlap ``src``).
    roi, roi_max_error, roi_bpp, background, background_quality, wavelet, preprocess, effort
        As :func:`sdwtfast.encode`, for every input (``effort`` None: encode's default, and
        the journal records no effort).
    key, passphrase
        Seal every container (as :func:`sdwtfast.encode`); never recorded.
    by : {"file", "series"}
        One container per file, or one per folder of DICOM files (a series).
    workers : int, optional
        Processes (default: the CPUs); 1 codes in this process. With ``dask="local"``: the
        LocalCluster's worker processes.
    threads : int, optional
        Threads one input's encode may use (its frames, its two ROI coders): by default all
        the CPUs when one worker codes in this process, 1 when several workers share them.
    dask : str, optional
        ``"local"`` (a :class:`distributed.LocalCluster`) or a scheduler address
        ``tcp://HOST:PORT``. Needs ``pip install 'sdwtfast[dask]'``.
    outputs : {"workers", "client"}
        Who writes the containers: the worker that coded it (the default; DST must be at the
        same path on every worker, a shared file system on a cluster) or this process (the
        containers travel back with the results; the workers need to see SRC only).
    reencode : bool
        Options that differ from the archive's re-code every input (else an error).
    retry_failed : bool
        Code again the inputs that failed (unchanged inputs that failed are otherwise left).
    progress : {"bar", "json", None}
        See :mod:`sdwtfast.batch.progress`.
    out, err : text streams, optional
        Where JSON lines and the bar / table go (default stdout and stderr).

    Returns
    -------
    Summary
        Counts by status, bytes, ratio, failures (:attr:`Summary.ok` is False when any
        input failed).

    Raises
    ------
    InvalidInputError
        Overlapping roots, bad options, options that differ from the archive's (without
        ``reencode``), another source for this archive; :class:`~.journal.ArchiveBusyError`
        when another run holds the archive.
    """
    if outputs not in ("workers", "client"):
        raise InvalidInputError(f"outputs must be 'workers' or 'client', not {outputs!r}")
    n = executors.default_workers() if workers is None else workers
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidInputError(f"workers must be a positive int, not {workers!r}")
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise InvalidInputError(f"threads must be a positive int or None, not {threads!r}")
    secrets = Secrets.of(key, passphrase)
    from ..options import EncodeOptions

    EncodeOptions.check(  # refuse bad options once, not once per input
        roi_max_error=roi_max_error,
        roi_bpp=roi_bpp,
        background=background,
        background_quality=background_quality,
        wavelet=wavelet,
        preprocess=tuple(preprocess),
        effort=effort,
    )
    settings = Settings(
        roi,
        roi_max_error,
        roi_bpp,
        background,
        background_quality,
        wavelet,
        tuple(preprocess),
        by,
        secrets.encryption,
        effort,
    )
    prog = Progress(progress, out, err)
    s, d = plan.check_roots(src, dst)
    work.ensure_dir(d)
    t0 = time.perf_counter()
    with Journal(d, writable=True) as journal:
        fp = settings.fingerprint()
        journal.bind(str(s), fp, reencode=reencode)
        items = plan.unique(list(plan.walk(s, d, by)))
        todo, gone = _prepare(journal, items, fp, d, retry_failed)
        prog.start(len(todo), sum(it.size for it in todo))
        default = None if n == 1 and dask is None else 1
        mode = (outputs == "workers", default if threads is None else threads)
        tasks = _tasks(todo, settings, secrets, (s, d), mode)
        coded = _consume(_results(tasks, n, dask), journal, prog, d)
        summary = _summarize(journal, items, coded, gone, t0)
    prog.close(summary)
    return summary
