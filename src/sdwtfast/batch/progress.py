"""What a person (a progress bar and a summary table) or a script (JSON lines) sees of a run.

Modes: ``"bar"`` (tqdm on stderr: MB done of total, MB/s and ETA; files done of total,
files/s, ratio so far and failures in the postfix; the summary table on stderr at the end),
``"json"`` (one JSON object per line on stdout: ``{"event": "start", ...}``, one
``{"event": "file", ...}`` per input coded, ``{"event": "summary", ...}``), or ``None``
(quiet: only the failures, on stderr).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

__all__ = ["Summary", "Progress", "MODES"]

MODES = ("bar", "json", None)
_MB = 1e6


@dataclass
class Summary:
    """The outcome of an archive run.

    Attributes
    ----------
    counts : dict
        Inputs of this plan by status: ``done`` (coded in this run), ``unchanged`` (done by an
        earlier run, left alone), ``failed``, ``error``, ``skipped``, ``pending`` (not reached,
        an interrupted run).
    bytes_in, bytes_out : int
        Source and container bytes of the inputs coded in this run.
    archive_in, archive_out : int
        The same over every done input of the archive.
    elapsed_s : float
    failures : list of (path, status, reason)
        Failed and error inputs, and the skipped ones (status ``skipped``).
    gone : int
        Journal rows whose input is no longer under SRC (their containers are kept).
    """

    counts: dict[str, int] = field(default_factory=dict)
    bytes_in: int = 0
    bytes_out: int = 0
    archive_in: int = 0
    archive_out: int = 0
    elapsed_s: float = 0.0
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    gone: int = 0

    @property
    def ok(self) -> bool:
        """Nothing failed, nothing errored, nothing left pending."""
        return not any(self.counts.get(s) for s in ("failed", "error", "pending"))

    @property
    def ratio(self) -> float | None:
        """Source bytes / container bytes over the whole archive."""
        return self.archive_in / self.archive_out if self.archive_out else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, with ``ok``, ``ratio`` and the rates."""
        d = asdict(self)
        coded = self.counts.get("done", 0)
        t = max(self.elapsed_s, 1e-9)
        d.update(
            ok=self.ok, ratio=self.ratio, files_per_s=coded / t, mb_per_s=self.bytes_in / _MB / t
        )
        return d

    def table(self) -> str:
        """The summary table a person reads at the end."""
        lines = [f"{'status':10s} {'inputs':>8s}"]
        for s in ("done", "unchanged", "failed", "error", "skipped", "pending"):
            if self.counts.get(s):
                lines.append(f"{s:10s} {self.counts[s]:8d}")
        t = max(self.elapsed_s, 1e-9)
        coded = self.counts.get("done", 0)
        mb_in, mb_out = self.bytes_in / _MB, self.bytes_out / _MB
        lines.append(
            f"this run: {coded} coded, {mb_in:.1f} MB -> {mb_out:.1f} MB in {self.elapsed_s:.1f} s"
            f" ({coded / t:.2f} files/s, {mb_in / t:.2f} MB/s)"
        )
        if self.ratio:
            lines.append(
                f"archive: {self.archive_in / _MB:.1f} MB -> {self.archive_out / _MB:.1f} MB, "
                f"ratio {self.ratio:.2f}:1"
            )
        if self.gone:
            lines.append(f"{self.gone} journal entries whose input is gone from SRC (kept)")
        for path, status, why in self.failures[:50]:
            lines.append(f"  {status:7s} {path}: {why}")
        if len(self.failures) > 50:
            lines.append(f"  ... and {len(self.failures) - 50} more (see the journal)")
        return "\n".join(lines)


class Progress:
    """Progress of a run in one of :data:`MODES` (see the module docstring)."""

    def __init__(self, mode: str | None, out: TextIO | None = None, err: TextIO | None = None):
        if mode not in MODES:
            from ..errors import InvalidInputError

            raise InvalidInputError(f"progress must be one of {MODES}, not {mode!r}")
        self.mode, self.out, self.err = mode, out or sys.stdout, err or sys.stderr
        self.bar: Any = None
        self.t0 = time.perf_counter()
        self.files = self.total_files = self.bytes = self.total_bytes = 0
        self.coded_in = self.coded_out = self.failed = 0

    def _emit(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj) + "\n")
        self.out.flush()

    def start(self, total_files: int, total_bytes: int) -> None:
        """The work of this run: ``total_files`` inputs of ``total_bytes`` bytes to code."""
        self.total_files, self.total_bytes = total_files, total_bytes
        self.t0 = time.perf_counter()
        if self.mode == "json":
            self._emit({"event": "start", "total_files": total_files, "total_bytes": total_bytes})
        elif self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(
                total=total_bytes,
                unit="B",
                unit_scale=True,
                file=self.err,
                dynamic_ncols=True,
                desc="archive",
                smoothing=0.1,
            )
            self.bar.set_postfix_str(self._postfix(), refresh=False)

    def _rates(self) -> tuple[float, float, float | None, float | None]:
        t = max(time.perf_counter() - self.t0, 1e-9)
        fps, bps = self.files / t, self.bytes / t
        ratio = self.coded_in / self.coded_out if self.coded_out else None
        eta = (self.total_bytes - self.bytes) / bps if bps > 0 else None
        return fps, bps, ratio, eta

    def _postfix(self) -> str:
        fps, _, ratio, _ = self._rates()
        r = f", ratio {ratio:.2f}:1" if ratio else ""
        f = f", {self.failed} failed" if self.failed else ""
        return f"{self.files}/{self.total_files} files, {fps:.1f} files/s{r}{f}"

    def update(self, row: dict[str, Any]) -> None:
        """One input's result (a journal row)."""
        self.files += 1
        size = int(row.get("size") or 0)
        self.bytes += size
        if row["status"] == "done":
            self.coded_in += size
            self.coded_out += int(row.get("output_size") or 0)
        else:
            self.failed += 1
        if self.mode == "json":
            fps, bps, ratio, eta = self._rates()
            keep = ("path", "status", "error", "size", "output", "output_size", "mode", "worker")
            self._emit(
                {
                    "event": "file",
                    **{k: row.get(k) for k in keep},
                    "done_files": self.files,
                    "total_files": self.total_files,
                    "done_bytes": self.bytes,
                    "total_bytes": self.total_bytes,
                    "files_per_s": fps,
                    "mb_per_s": bps / _MB,
                    "ratio": ratio,
                    "eta_s": eta,
                }
            )
        elif self.bar is not None:
            self.bar.set_postfix_str(self._postfix(), refresh=False)
            self.bar.update(size)

    def close(self, summary: Summary) -> None:
        """End of the run: the summary (table, JSON line, or the failures alone)."""
        if self.bar is not None:
            self.bar.close()
        if self.mode == "json":
            self._emit({"event": "summary", **summary.as_dict()})
        elif self.mode == "bar":
            self.err.write(summary.table() + "\n")
        else:
            for path, status, why in summary.failures:
                if status != "skipped":
                    self.err.write(f"sdwtfast archive: {status}: {path}: {why}\n")
        self.err.flush()
