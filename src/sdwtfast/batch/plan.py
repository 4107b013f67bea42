"""Walk a source tree and decide what each entry becomes: the archive's plan.

Every regular file under SRC is classified by its name and, for a name that says nothing, its
first bytes:

- ``.nii`` / ``.nii.gz``: a NIfTI volume (kind ``nifti``);
- ``.npy``, ``.png``, ``.tif``, ``.tiff``: an array (kind ``array``);
- ``.dcm``, ``.dicom``, ``.ima``, or any name whose bytes 128..131 are ``DICM``: DICOM (kind
  ``dicom``; with ``by="series"`` the DICOM files of one folder form one item of kind
  ``series``, read by :func:`sdwtfast.dicom.read` as a series folder; a folder whose DICOM
  files name several SeriesInstanceUIDs is archived file by file);
- ``.sdw`` / ``.sdwt`` (already compressed), ``DICOMDIR``, and files of no kind above:
  recorded as ``skipped`` with the reason;
- an empty file, or one whose first bytes cannot be read: recorded as ``failed``.

Names starting with ``.`` are left out. Symbolic links are followed; a link to a folder already
walked (a loop, or a second way to the same folder) and anything that resolves into DST is
recorded as ``skipped``. Outputs mirror the layout: ``SRC/a/b.dcm`` -> ``DST/a/b.dcm.sdw``, a
series folder ``SRC/a/s`` -> ``DST/a/s.sdw`` (SRC itself as a series: ``DST/<name of SRC>.sdw``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .. import validate
from ..errors import InvalidInputError

__all__ = ["Item", "walk", "unique", "check_roots", "OUTPUT_SUFFIX", "KINDS"]

OUTPUT_SUFFIX = ".sdw"
KINDS = ("dicom", "series", "nifti", "array")
"""Kinds of items that are coded (the others are recorded as skipped or failed)."""
_DICOM = (".dcm", ".dicom", ".ima")
_ARRAY = (".npy", ".png", ".tif", ".tiff")
_CONTAINER = (".sdw", ".sdwt")


@dataclass(frozen=True)
class Item:
    """One input of the archive: a file, or a series folder.

    Attributes
    ----------
    rel : str
        Its path under SRC (POSIX separators; ``.`` for SRC itself as a series).
    kind : str
        One of :data:`KINDS`, or ``""`` for an entry recorded without coding.
    path : str
        The file or folder to read.
    members : tuple of str
        The files read (one for a file; a series' DICOM files, sorted by name).
    output : str
        The container's path under DST (``""`` when nothing is coded).
    size, mtime_ns : int
        Bytes of the members together, and their latest modification time.
    status : str
        ``"todo"`` (to code), ``"skipped"`` or ``"failed"`` (decided by the walk).
    reason : str
        Why an entry is skipped or failed.
    """

    rel: str
    kind: str
    path: str
    members: tuple[str, ...]
    output: str
    size: int
    mtime_ns: int
    status: str = "todo"
    reason: str = ""


def _inside(a: Path, b: Path) -> bool:
    """Whether ``a`` is ``b`` or lies under it (both resolved)."""
    return a == b or b in a.parents


def check_roots(src: str | os.PathLike, dst: str | os.PathLike) -> tuple[Path, Path]:
    """Resolve SRC and DST and refuse a DST that is SRC, lies in it or holds it.

    Raises
    ------
    InvalidInputError
        SRC does not exist or is not a folder or file; DST and SRC overlap.
    """
    s = Path(validate.path(src, "SRC")).resolve()
    d = Path(validate.path(dst, "DST")).resolve()
    if not s.exists():
        raise InvalidInputError(f"{src}: no such file or folder")
    if d.exists() and not d.is_dir():
        raise InvalidInputError(f"{dst}: exists and is not a folder")
    if _inside(d, s):
        raise InvalidInputError(
            f"the destination {dst} is inside the source {src} (or is it): the archive never "
            "writes inside its source"
        )
    if _inside(s, d):
        raise InvalidInputError(f"the source {src} lies inside the destination {dst}")
    return s, d


def _kind(path: str, name: str, size: int) -> tuple[str, str, str]:
    """(kind, status, reason) of a regular file."""
    low = name.lower()
    if low.endswith(_CONTAINER):
        return "", "skipped", "already an sdwtfast container"
    if low == "dicomdir":
        return "", "skipped", "DICOMDIR (a directory of the media, not an image)"
    if size == 0:
        return "", "failed", "empty file (0 bytes)"
    if low.endswith((".nii", ".nii.gz")):
        return "nifti", "todo", ""
    if low.endswith(_ARRAY):
        return "array", "todo", ""
    if low.endswith(_DICOM):
        return "dicom", "todo", ""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError as exc:
        return "", "failed", f"cannot read: {exc.strerror or exc}"
    if head[128:132] == b"DICM":
        return "dicom", "todo", ""
    return "", "skipped", "not an image the archive reads (no DICOM preamble, unknown suffix)"


def _file_item(path: str, rel: str, st: os.stat_result) -> Item:
    kind, status, reason = _kind(path, os.path.basename(path), st.st_size)
    out = rel + OUTPUT_SUFFIX if status == "todo" else ""
    return Item(rel, kind, path, (path,), out, st.st_size, st.st_mtime_ns, status, reason)


def _series(folder: str, rel: str, name: str, files: list[Item]) -> Item:
    out = (rel if rel != "." else name) + OUTPUT_SUFFIX
    members = tuple(f.path for f in files)
    size = sum(f.size for f in files)
    mtime = max(f.mtime_ns for f in files)
    return Item(rel, "series", folder, members, out, size, mtime)


def _one_series(files: list[Item]) -> bool:
    """Whether the DICOM files of a folder all name the same SeriesInstanceUID (a file whose
    header cannot be read counts as its own: the series then fails with the reason)."""
    import warnings

    import pydicom

    uids = set()
    for f in files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(
                    f.path, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"]
                )
            uids.add(str(ds.get("SeriesInstanceUID", "")))
        except Exception:  # noqa: BLE001 - unreadable header: the series read reports it
            continue
        if len(uids) > 1:
            return False
    return True


def _join(rel: str, name: str) -> str:
    return name if rel == "." else f"{rel}/{name}"


def _scan(folder: str) -> tuple[list[os.DirEntry], str]:
    try:
        with os.scandir(folder) as it:
            return sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name), ""
    except OSError as exc:
        return [], f"cannot list the folder: {exc.strerror or exc}"


def _entries(folder: str, rel: str, dst: Path, seen: dict, by: str) -> Iterator[Item | tuple]:
    """The items of one folder's files, then ``(path, rel)`` for each sub-folder to walk."""
    entries, err = _scan(folder)
    if err:
        yield Item(rel, "", folder, (), "", 0, 0, "failed", err)
    dicoms, subdirs = [], []
    for e in entries:
        path, erel = e.path, _join(rel, e.name)
        try:
            st = os.stat(path)  # follows links
        except OSError as exc:
            yield Item(erel, "", path, (), "", 0, 0, "failed", f"cannot stat: {exc.strerror}")
            continue
        if stat.S_ISDIR(st.st_mode):
            subdirs.append((path, erel, st))
        elif not stat.S_ISREG(st.st_mode):
            yield Item(erel, "", path, (), "", 0, 0, "skipped", "not a regular file")
        else:
            item = _file_item(path, erel, st)
            if by == "series" and item.kind == "dicom":
                dicoms.append(item)
            else:
                yield item
    if dicoms and _one_series(dicoms):
        yield _series(folder, rel, Path(folder).name, dicoms)
    else:  # several series in one folder: sdwtfast.dicom reads one series per folder
        yield from dicoms
    for path, erel, st in subdirs:
        yield from _folder_ref(path, erel, st, dst, seen)


def _folder_ref(path: str, rel: str, st: os.stat_result, dst: Path, seen: dict) -> Iterator:
    ident = (st.st_dev, st.st_ino)
    real = Path(os.path.realpath(path))
    if _inside(real, dst):
        yield Item(rel, "", path, (), "", 0, 0, "skipped", "leads into the destination")
    elif ident in seen:
        here = Path(os.path.realpath(os.path.dirname(path)))
        why = "a directory loop" if _inside(here, real) else "a second way"
        yield Item(
            rel, "", path, (), "", 0, 0, "skipped", f"{why} to {seen[ident]} (already walked)"
        )
    else:
        seen[ident] = str(real)
        yield (path, rel)


def walk(src: Path, dst: Path, by: str = "file") -> Iterator[Item]:
    """Every entry under ``src`` as an :class:`Item`, depth first, in name order.

    Parameters
    ----------
    src, dst : Path
        Resolved roots (:func:`check_roots`); ``src`` may be a single file.
    by : {"file", "series"}
        One item per file, or one per folder of DICOM files.

    Yields
    ------
    Item
    """
    st = os.stat(src)
    if not stat.S_ISDIR(st.st_mode):
        yield _file_item(str(src), src.name, st)
        return
    seen = {(st.st_dev, st.st_ino): str(src)}
    stack = [(str(src), ".")]
    while stack:
        folder, rel = stack.pop()
        subs = []
        for x in _entries(folder, rel, dst, seen, by):
            if isinstance(x, Item):
                yield x
            else:
                subs.append(x)
        stack.extend(reversed(subs))


def unique(items: list[Item]) -> list[Item]:
    """``items`` with a second item of an output already planned recorded as failed."""
    taken: dict[str, str] = {}
    out = []
    for it in items:
        if it.output and it.output in taken:
            it = replace(
                it, status="failed", output="", reason=f"same output as {taken[it.output]}"
            )
        elif it.output:
            taken[it.output] = it.rel
        out.append(it)
    return out
