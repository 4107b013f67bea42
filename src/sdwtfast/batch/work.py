"""The work on one input: read it, hash it, code it, write its container. Pure and picklable.

:func:`process` is what a pool process or a Dask worker runs: a :class:`Task` in, a result
``dict`` (the journal's columns, see :mod:`~sdwtfast.batch.journal`) out. It never raises for
a bad input: every failure comes back as a result with status ``failed`` (the input) or
``error`` (I/O, memory, anything unexpected). It writes nothing but the container (through
:func:`sdwtfast.safefile.write_atomic`) and, when needed, the container's folders.

What is hashed
--------------
- ``source_sha256``: SHA-256 of the input file's bytes; for a series, SHA-256 of the lines
  ``NAME\\0HEX\\n`` (NAME the member's path under SRC, HEX its SHA-256), in name order.
- ``pixel_sha256`` (:func:`pixel_sha256`): SHA-256 of the array that was coded, in canonical
  form: the ASCII line ``sdwtfast-pixels-1 DTYPE SHAPE\\n`` (DTYPE the type the container
  decodes to: ``uint8``, ``uint16`` or ``int16``; SHAPE the dimensions joined by ``x``), then
  the values in that type, little-endian, C order. ``sdwtfast.decode`` of a lossless container
  gives an array with the same hash; that is what ``verify`` checks.

A file that changes while it is read (its size, modification time, inode or SHA-256 differ
between before reading and after coding) is recorded as ``failed`` and no container is
written.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SdwtError
from .plan import Item
from .settings import Secrets, Settings

__all__ = ["Task", "process", "pixel_sha256", "file_sha256", "write_output", "ensure_dir"]

_CHUNK = 1 << 20
_INPUT_ERRNOS = (errno.EACCES, errno.EPERM, errno.ENOENT, errno.EISDIR, errno.ENOTDIR)


@dataclass(frozen=True)
class Task:
    """One input to code.

    Attributes
    ----------
    item : Item
        The input (:mod:`~sdwtfast.batch.plan`).
    settings : Settings
        The encode options.
    secrets : Secrets
        Key material (or none).
    src, dst : str
        The resolved source and destination roots (as the worker sees them).
    write : bool
        Write the container here (True), or return it in the result's ``blob`` for the
        caller to write.
    threads : int or None
        Threads one encode may use for its frames (None: the CPUs).
    """

    item: Item
    settings: Settings
    secrets: Secrets
    src: str
    dst: str
    write: bool = True
    threads: int | None = None


def pixel_sha256(pixels: np.ndarray) -> tuple[str, list[int], str]:
    """The canonical hash of an image (see the module docstring).

    Returns
    -------
    sha256 : str
        Hex digest.
    shape : list of int
    dtype : str
        ``uint8``, ``uint16`` or ``int16``.

    Raises
    ------
    InvalidInputError
        Not an integer array whose values fit 16 bits (as :func:`sdwtfast.encode`).
    """
    from .. import validate

    dt = validate.stored_dtype(np.asarray(pixels))
    a = np.ascontiguousarray(pixels, dtype=dt.newbyteorder("<"))
    h = hashlib.sha256(f"sdwtfast-pixels-1 {dt.name} {'x'.join(map(str, a.shape))}\n".encode())
    h.update(memoryview(a).cast("B"))
    return h.hexdigest(), list(a.shape), dt.name


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _snapshot(members: tuple[str, ...]) -> list[tuple[int, int, int]]:
    out = []
    for m in members:
        st = os.stat(m)
        out.append((st.st_size, st.st_mtime_ns, st.st_ino))
    return out


def _source_hash(item: Item, src: str) -> str:
    if item.kind != "series":
        return file_sha256(item.members[0])
    h = hashlib.sha256()
    for m in sorted(item.members):
        h.update(f"{_rel(m, src)}\0{file_sha256(m)}\n".encode())
    return h.hexdigest()


def _rel(path: str, src: str) -> str:
    r = os.path.relpath(path, src)
    return Path(src).name if r == "." else Path(r).as_posix()


def _read(item: Item, src: str) -> tuple[np.ndarray, dict[str, Any], list[str]]:
    """(pixels, encode keyword arguments, members in series order) through the package's
    readers: :func:`sdwtfast.dicom.read`, :func:`sdwtfast.nifti.read`,
    :func:`sdwtfast.cli.read_image`."""
    if item.kind in ("dicom", "series"):
        from .. import dicom

        obj = dicom.read(item.path)
        members = [_rel(p, src) for p in obj.paths] if item.kind == "series" else [item.rel]
        return obj.pixels, {"dicom": obj}, members
    if item.kind == "nifti":
        from .. import nifti

        obj = nifti.read(item.path)
        samples = obj.pixels.shape[-1] if obj.pixels.ndim == 4 else 1  # RGB24 / RGBA32
        kw = {"samples": samples, "metadata": nifti.metadata_bytes(obj)}
        return obj.pixels, kw, [item.rel]
    from ..cli import read_image

    arr, meta = read_image(item.path)
    kw = {"samples": meta.get("samples", 1)} if arr.ndim == 3 else {}
    return arr, kw, [item.rel]


def _encode(pixels: np.ndarray, kw: dict[str, Any], task: Task) -> tuple[bytes, Any]:
    from .. import api

    rep = api.EncodeReport()
    opts = {**task.settings.encode_kwargs(), **task.secrets.kwargs(), "report": rep}
    opts["workers"] = task.threads
    if "dicom" in kw:
        from .. import dicom

        return dicom.encode_dataset(kw["dicom"], **opts), rep
    return api.encode(pixels, **kw, **opts), rep


def _roi_masks(task: Task, blob: bytes, pixels: np.ndarray, frames: int) -> np.ndarray | None:
    """Where the ROI bound must hold, in the decoded array's shape (None: not known)."""
    from .. import api

    roi = task.settings.roi
    if roi is None:
        return np.ones(pixels.shape, bool)
    if frames == 1 and pixels.ndim == 2:
        m = api.roi_mask(blob, **task.secrets.kwargs())
        return np.ones(pixels.shape, bool) if m is None else m
    if isinstance(roi, str) or pixels.ndim != 3:
        return None  # "auto" on a stack, or colour: checked by the decoded hash alone
    from .. import roi as roi_mod

    if isinstance(roi, np.ndarray) and roi.ndim == 3:
        return roi.astype(bool) if roi.shape == pixels.shape else None
    masks = [roi_mod.resolve_roi(roi, f) for f in pixels]
    return np.stack([np.ones(pixels.shape[1:], bool) if m is None else m for m in masks])


def _lossy_check(task: Task, blob: bytes, pixels: np.ndarray, info: dict) -> dict[str, Any]:
    """Decode a lossy container once: its decoded hash and the measured ROI error."""
    from .. import api, limits

    dec = api.decode(blob, **task.secrets.kwargs(), max_pixels=limits.MAX_PIXELS)
    out: dict[str, Any] = {"decoded_sha256": pixel_sha256(dec)[0], "measured_max_error": None}
    if task.settings.roi_bpp is None and dec.shape == pixels.shape:
        mask = _roi_masks(task, blob, np.asarray(pixels), int(info.get("frames", 1)))
        if mask is not None and mask.shape == dec.shape:
            diff = np.abs(dec.astype(np.int64) - np.asarray(pixels).astype(np.int64))
            out["measured_max_error"] = int(diff[mask].max()) if mask.any() else 0
    return out


def ensure_dir(folder: Path) -> None:
    """Create ``folder`` and its missing parents, fsyncing each new entry's parent."""
    missing = []
    p = folder
    while not p.is_dir():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d)
        except FileExistsError:
            pass
        fsync_dir(d.parent)


def fsync_dir(folder: Path) -> None:
    """fsync a folder (its entries made durable)."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_output(dst: str, rel: str, blob: bytes) -> float:
    """Write a container to ``dst/rel`` atomically (replacing what a killed run left there);
    returns the milliseconds it took."""
    from ..safefile import write_atomic

    t = time.perf_counter()
    target = Path(dst) / rel
    ensure_dir(target.parent)
    write_atomic(target, blob, force=True)
    return (time.perf_counter() - t) * 1e3


def _fail(status: str, exc: BaseException) -> dict[str, Any]:
    name = type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        msg = f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    else:
        msg = str(exc) or name
    return {"status": status, "error": f"{name}: {msg}"}


def _code(task: Task, row: dict[str, Any]) -> bytes:
    """Read, hash, code and check one input; fills ``row``; returns the container."""
    item = task.item
    t0 = time.perf_counter()
    before = _snapshot(item.members)
    row["size"] = sum(s for s, _, _ in before)
    row["mtime_ns"] = max(m for _, m, _ in before)
    row["source_sha256"] = _source_hash(item, task.src)
    pixels, kw, row["members"] = _read(item, task.src)
    row["pixel_sha256"], row["shape"], row["dtype"] = pixel_sha256(pixels)
    t1 = time.perf_counter()
    blob, rep = _encode(pixels, kw, task)
    from .. import api

    info = api.info(blob, **task.secrets.kwargs())
    row.update(mode=info["mode"], lossless=bool(info["lossless"]), output_size=len(blob))
    row["output_sha256"] = hashlib.sha256(blob).hexdigest()
    if not info["lossless"]:
        row.update(_lossy_check(task, blob, pixels, info))
    t2 = time.perf_counter()
    if _snapshot(item.members) != before or _source_hash(item, task.src) != row["source_sha256"]:
        raise _Changed("the file changed while it was read (size, time or content differ)")
    row["read_ms"], row["encode_ms"] = (t1 - t0) * 1e3, (t2 - t1) * 1e3
    return blob


class _Changed(SdwtError):
    pass


def process(task: Task) -> dict[str, Any]:
    """Code one input (see the module docstring).

    Returns
    -------
    dict
        The journal row (:data:`~sdwtfast.batch.journal.COLUMNS`), plus ``blob`` (the
        container, when ``task.write`` is False and it was coded).
    """
    from ..cli import CliError

    item = task.item
    row: dict[str, Any] = {
        "path": item.rel,
        "kind": item.kind,
        "members": [item.rel],
        "size": item.size,
        "mtime_ns": item.mtime_ns,
        "output": item.output,
        "status": "done",
        "error": None,
        "max_error": task.settings.roi_max_error,
        "options": task.settings.fingerprint(),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    try:
        blob = _code(task, row)
    except (SdwtError, CliError) as exc:
        return {**row, **_fail("failed", exc)}
    except OSError as exc:
        return {**row, **_fail("failed" if exc.errno in _INPUT_ERRNOS else "error", exc)}
    except Exception as exc:  # noqa: BLE001 - a reader's surprise is recorded, never a crash
        return {**row, **_fail("error", exc)}
    if not task.write:
        return {**row, "blob": blob}
    try:
        row["write_ms"] = write_output(task.dst, item.output, blob)
    except Exception as exc:  # noqa: BLE001 - ENOSPC, EIO...: retried on the next run
        return {**row, **_fail("error", exc)}
    return row
