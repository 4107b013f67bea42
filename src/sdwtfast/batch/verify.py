"""``sdwtfast verify DST``: every container against what the journal recorded.

For each input recorded ``done``: the container exists, has the recorded size and SHA-256,
decodes (with the key for a sealed archive), and

- lossless: the decoded array's :func:`~sdwtfast.batch.work.pixel_sha256` equals the
  journal's ``pixel_sha256`` (the hash of the array read from the source);
- lossy: it equals the journal's ``decoded_sha256`` (the hash of the decoding checked when it
  was coded), and the ROI error measured then is within the recorded bound ``max_error``.

Inputs recorded ``pending`` or ``error`` are reported as not archived (missing). Files under
DST that no ``done`` row names (a stray copy, a temporary file of a killed writer) are extra.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import validate
from ..errors import AuthenticationError, KeyRequiredError, SdwtError
from . import executors
from .journal import RESERVED, Journal
from .settings import Secrets

__all__ = ["verify", "VerifyReport", "check_one", "need_key"]


@dataclass
class VerifyReport:
    """The outcome of :func:`verify`.

    Attributes
    ----------
    checked : int
        Containers decoded and compared.
    problems : list of (path, what, detail)
        ``what`` one of ``mismatch`` (pixels, size or bytes differ from the journal),
        ``corrupt`` (does not decode), ``bound`` (ROI error above the bound), ``missing`` (no
        container, or an input not archived yet), ``extra`` (a file no row names).
    """

    checked: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """No problem found."""
        return not self.problems

    def table(self) -> str:
        """What a person reads."""
        kinds: dict[str, int] = {}
        for _, what, _ in self.problems:
            kinds[what] = kinds.get(what, 0) + 1
        head = f"verified {self.checked} containers: " + (
            "clean" if self.clean else ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        )
        lines = [head] + [f"  {w:8s} {p}: {d}" for p, w, d in self.problems[:100]]
        if len(self.problems) > 100:
            lines.append(f"  ... and {len(self.problems) - 100} more")
        return "\n".join(lines)


def check_one(job: tuple[str, dict[str, Any], Secrets]) -> dict[str, Any]:
    """Check one ``done`` row's container; returns ``{"path", "what", "detail"}`` (``what``
    None when it is sound). Pure and picklable (runs in pool processes)."""
    from .. import api, limits
    from .work import pixel_sha256

    dst, row, secrets = job
    out = {"path": row["path"], "what": None, "detail": ""}
    target = Path(dst) / row["output"]
    try:
        blob = target.read_bytes()
    except FileNotFoundError:
        return {**out, "what": "missing", "detail": f"no container {row['output']}"}
    except OSError as exc:
        return {**out, "what": "missing", "detail": f"cannot read {row['output']}: {exc}"}
    if len(blob) != row["output_size"] or hashlib.sha256(blob).hexdigest() != row["output_sha256"]:
        out.update(
            what="mismatch", detail=f"{len(blob)} bytes, not the {row['output_size']} recorded"
        )
        if len(blob) == row["output_size"]:
            out["detail"] = "its bytes differ from those recorded (SHA-256)"
    try:
        dec = api.decode(blob, **secrets.kwargs(), max_pixels=limits.MAX_PIXELS)
        digest = pixel_sha256(dec)[0]
    except (KeyRequiredError, AuthenticationError):
        raise
    except SdwtError as exc:
        return {**out, "what": "corrupt", "detail": f"{type(exc).__name__}: {exc}"}
    want = row["pixel_sha256"] if row["lossless"] else row["decoded_sha256"]
    if digest != want:
        which = "the source's pixels" if row["lossless"] else "the decoding checked when coded"
        return {**out, "what": "mismatch", "detail": f"decoded pixels differ from {which}"}
    bound, measured = row["max_error"], row["measured_max_error"]
    if not row["lossless"] and bound and measured is not None and measured > bound:
        return {**out, "what": "bound", "detail": f"ROI error {measured} > bound {bound}"}
    return out


def _extra(dst: Path, expected: set[str]) -> list[tuple[str, str, str]]:
    found = []
    for folder, dirs, files in os.walk(dst):
        dirs.sort()
        for name in sorted(files):
            rel = Path(os.path.relpath(os.path.join(folder, name), dst)).as_posix()
            if rel not in expected and rel not in RESERVED:
                found.append((rel, "extra", "a file no journal row names"))
    return found


def need_key(meta: dict[str, str], secrets: Secrets) -> None:
    """Raise KeyRequiredError when the archive is sealed and no key or passphrase is given."""
    import json

    enc = json.loads(meta.get("options") or "{}").get("encryption", "none")
    if enc != "none" and secrets.encryption == "none":
        raise KeyRequiredError(f"the archive is sealed with a {enc}: give it to verify")


def verify(
    dst: str | os.PathLike,
    *,
    key: Any = None,
    passphrase: str | bytes | None = None,
    workers: int | None = None,
    progress: str | None = "bar",
) -> VerifyReport:
    """Check every container of the archive in ``dst`` (see the module docstring).

    Parameters
    ----------
    dst : str or os.PathLike
        The archive's folder (with its journal).
    key, passphrase
        For a sealed archive.
    workers : int, optional
        Processes decoding (default: the CPUs; 1: in this process).
    progress : {"bar", None}
        A progress bar on stderr, or none.

    Returns
    -------
    VerifyReport

    Raises
    ------
    InvalidInputError
        ``dst`` holds no journal.
    KeyRequiredError, AuthenticationError
        A sealed archive without its key, or with another.
    """
    d = Path(validate.path(dst, "DST")).resolve()
    secrets = Secrets.of(key, passphrase)
    with Journal(d, writable=False) as journal:
        need_key(journal.meta(), secrets)
        rows = journal.rows()
    report = VerifyReport()
    done = [r for r in rows.values() if r["status"] == "done"]
    for r in rows.values():
        if r["status"] in ("pending", "error"):
            report.problems.append((r["path"], "missing", f"not archived yet ({r['status']})"))
    n = executors.default_workers() if workers is None else max(1, int(workers))
    jobs = iter([(str(d), r, secrets) for r in done])
    results = executors.serial(check_one, jobs) if n == 1 else executors.pool(check_one, jobs, n)
    bar = _bar(progress, len(done))
    for job, res in results:
        if isinstance(res, BaseException):
            res = {"path": job[1]["path"], "what": "corrupt", "detail": f"the decoder died: {res}"}
        report.checked += 1
        if res["what"]:
            report.problems.append((res["path"], res["what"], res["detail"]))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    report.problems += _extra(d, {r["output"] for r in done})
    report.problems.sort(key=lambda p: (p[1], p[0]))
    return report


def _bar(progress: str | None, total: int) -> Any:
    if progress != "bar":
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="verify", dynamic_ncols=True)
