"""Archive throughput (1 worker, N workers, a Dask LocalCluster) and the kill -9 test.

Throughput: one batch built from the development images (:mod:`devimages`: pydicom-data's
CT / MR / CR files and pydicom's small CT and MR, copied as DICOM files, crops as ``.npy`` and
PNG) and the MNI152 volume (``tests/volumes.py``: NIfTI), archived losslessly into a fresh
DST by ``sdwtfast.archive`` with ``workers=1`` (in this process), ``workers=N`` (a process
pool) and ``dask="local"`` (a LocalCluster of N single-threaded worker processes, cluster
start-up included); files/s and MB/s of source bytes, in one run.

Kill test (``--kill-test``): a batch of small files (the same sources, cropped) archived by
``sdwtfast archive --workers 2`` in a subprocess killed with SIGKILL at random moments (after
a random number of results, or at a random time, start-up included), resumed each time, then
finished; checks: SQLite integrity, one ``done`` row per input, DST holds exactly the
containers the journal names (no temporary, duplicated or partial file), ``verify`` clean.

    OPENBLAS_NUM_THREADS=1 python bench/bench_archive.py             # throughput
    OPENBLAS_NUM_THREADS=1 python bench/bench_archive.py --kill-test --files 400 --kills 30
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# ---- batches ---------------------------------------------------------------------------------


def _sources() -> dict:
    """The development images' files and arrays the batches are cut from."""
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    try:
        import devimages

        from tests import volumes
    finally:
        sys.path.remove(str(ROOT / "bench"))
        sys.path.remove(str(ROOT))
    from sdwtfast.sample import load_ct

    return {"devimages": devimages, "volumes": volumes, "ct": load_ct()}


def _write_png(path: Path, img: np.ndarray) -> None:
    import imageio.v3 as iio

    iio.imwrite(path, img, extension=".png")


def make_batch(folder: Path, n: int, *, seed: int = 0, scale: str = "small") -> list[Path]:
    """Write ``n`` input files under ``folder`` (in sub-folders of 20), cycling through the
    kinds: crops of the sample CT as ``.npy`` and PNG, DICOM copies of the development
    images, and NIfTI volumes cut from the MNI template.

    ``scale="small"``: 96 x 96 crops, the small DICOM files and a 25 x 30 x 24 NIfTI
    (milliseconds each: the kill test); ``"bench"``: 256 x 256 crops, the 512 x 512 CT, the
    1024 x 1024 MR among the DICOM files and a 50 x 59 x 48 NIfTI.
    """
    src = _sources()
    rng = np.random.default_rng(seed)
    dev = src["devimages"]
    ct = src["ct"]
    side = 96 if scale == "small" else 256
    dicoms = ["CT_small", "MR_small", "emri_small"]
    if scale == "bench":
        dicoms += ["693_UNCR", "MR2_UNCR", "CT_small"]
    vol, aff = src["volumes"].mni_volume(step=8 if scale == "small" else 4)
    out = []
    for i in range(n):
        sub = folder / f"part{i // 20:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        kind = i % 5
        y, x = (int(v) for v in rng.integers(0, 512 - side, 2))
        crop = ct[y : y + side, x : x + side]
        if kind in (0, 1):
            p = sub / f"crop{i:04d}.npy"
            np.save(p, crop)
        elif kind == 2:
            p = sub / f"crop{i:04d}.png"
            _write_png(p, (crop.astype(np.int32) + 2048).clip(0, 65535).astype(np.uint16))
        elif kind == 3:
            name = dicoms[(i // 5) % len(dicoms)]
            p = sub / f"{name}_{i:04d}.dcm"
            shutil.copyfile(dev.path_of(name), p)
        else:
            k = int(rng.integers(0, 4))
            p = src["volumes"].nifti_file(sub, np.roll(vol, k, axis=0), aff, name=f"vol{i:04d}")
        out.append(p)
    return out


# ---- the kill test ---------------------------------------------------------------------------


def _env() -> dict:
    """The subprocess runs the installed sdwtfast of this interpreter (never the source tree,
    whose package has no compiled extension unless it is an editable install)."""
    return dict(os.environ, **_ENV)


def _reader(stream, q: queue.Queue) -> None:
    for line in stream:
        q.put(line)
    q.put(None)


def _one_run(
    src: Path,
    dst: Path,
    workers: int,
    kill_after: int | None,
    delay: float,
    *,
    deadline_s: float | None = None,
) -> dict:
    """One archive subprocess, killed ``delay`` s after its ``kill_after``-th result (None:
    never for results) or at ``deadline_s`` s, whichever comes first; returns what happened."""
    cmd = [sys.executable, "-m", "sdwtfast.cli", "archive", str(src), str(dst)]
    cmd += ["--workers", str(workers), "--json"]
    err = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=_env())
    q: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(p.stdout, q), daemon=True).start()
    seen, t0, finished = 0, time.monotonic(), False
    deadline = None if deadline_s is None else t0 + deadline_s
    while True:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            line = q.get(timeout=timeout)
        except queue.Empty:
            break  # the time-based kill moment
        if line is None:
            finished = True
            break
        if '"event": "file"' in line:
            seen += 1
            if kill_after is not None and seen >= kill_after:
                time.sleep(delay)
                break
    killed = p.poll() is None
    if killed:
        p.send_signal(signal.SIGKILL)
    rc = p.wait()
    err.seek(0)
    text = "" if killed or rc == 0 else err.read()
    err.close()
    if rc not in (0, 1) and not killed or "Traceback" in text:  # 1: some inputs failed
        raise RuntimeError(f"sdwtfast archive exited {rc}:\n{text[-2000:]}")
    return {"killed": killed, "results": seen, "finished": finished and not killed, "rc": rc}


def _done_rows(dst: Path) -> int:
    """Inputs the journal records as done (0 before the first run has made it)."""
    path = dst / ".sdwtfast-journal.sqlite"
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(db.execute("SELECT count(*) FROM files WHERE status = 'done'").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def check_archive(src: Path, dst: Path, n_inputs: int) -> dict:
    """The invariants after a finished archive: integrity, rows, files, verify."""
    import sdwtfast

    db = sqlite3.connect(f"file:{dst / '.sdwtfast-journal.sqlite'}?mode=ro", uri=True)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    rows = db.execute("SELECT path, status, output, output_size, attempts FROM files").fetchall()
    db.close()
    done = [r for r in rows if r[1] == "done"]
    expected = {r[2] for r in done}
    reserved = {".sdwtfast-journal.sqlite", ".sdwtfast-archive.lock"}
    reserved |= {".sdwtfast-journal.sqlite-wal", ".sdwtfast-journal.sqlite-shm"}
    present = {p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()} - reserved
    sizes_ok = all((dst / r[2]).stat().st_size == r[3] for r in done if (dst / r[2]).exists())
    rep = sdwtfast.verify(dst, workers=2, progress=None)
    return {
        "integrity": integrity,
        "rows": len(rows),
        "done": len(done),
        "not_done": len(rows) - len(done),
        "missing": len(expected - present),
        "extra": sorted(present - expected),
        "sizes_ok": sizes_ok,
        "duplicated_rows": len(rows) - len({r[0] for r in rows}),
        "verify_problems": rep.problems,
        "verify_checked": rep.checked,
        "inputs": n_inputs,
        "max_attempts": max((r[4] for r in rows), default=0),
    }


def kill_test(root: Path, n_files: int, n_kills: int, *, seed: int = 0, workers: int = 2) -> dict:
    """Archive ``n_files`` with ``n_kills`` SIGKILLs at random moments, then finish and check
    (:func:`check_archive`); returns the numbers."""
    src, dst = root / "src", root / "dst"
    make_batch(src, n_files, seed=seed)
    rng = random.Random(seed)
    kills = during = runs = coded = 0
    t0 = time.perf_counter()
    while kills < n_kills and runs < 4 * n_kills:
        # leave work for later kills: a run codes up to ``workers`` more than it reports
        share = max(1, (n_files - coded - 1) // max(1, n_kills - kills) - workers)
        if rng.random() < 0.25 or n_files - coded < 3:  # a moment in start-up or any later,
            # bounded by results too: on a fast machine a time alone can code everything
            r = _one_run(src, dst, workers, share, 0.0, deadline_s=rng.uniform(0.05, 0.9))
        else:
            r = _one_run(src, dst, workers, rng.randint(1, share), rng.uniform(0, 0.03))
        runs += 1
        kills += r["killed"]
        during += r["killed"] and r["results"] > 0
        coded = _done_rows(dst)  # the journal's count: a killed run may have coded more
        if r["finished"]:  # than the lines it printed before it died
            break
    final = _one_run(src, dst, workers, None, 0.0, deadline_s=600.0)
    out = check_archive(src, dst, n_files)
    out.update(
        kills=kills,
        kills_after_first_result=during,
        runs=runs + 1,
        final_rc=final["rc"],
        seconds=round(time.perf_counter() - t0, 1),
    )
    return out


# ---- throughput ------------------------------------------------------------------------------


def _cpu() -> float:
    import resource

    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(src: Path, dst: Path, **kw) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds (this process and its reaped children: meaningful for the
    in-process run only; pool and Dask workers are grandchildren) and the summary."""
    import sdwtfast

    t, c = time.perf_counter(), _cpu()
    s = sdwtfast.archive(src, dst, progress=None, **kw)
    return time.perf_counter() - t, _cpu() - c, s


def throughput(root: Path, n_files: int, workers: int) -> list[dict]:
    """Files/s and MB/s of one batch for 1 worker, ``workers`` workers and a LocalCluster."""
    src = root / "src"
    files = make_batch(src, n_files, seed=1, scale="bench")
    mb = sum(p.stat().st_size for p in files) / 1e6
    rows = []
    configs = [("1 worker, 1 thread (in process)", {"workers": 1, "threads": 1})]
    configs.append(("1 worker, threads on every CPU (in process)", {"workers": 1}))
    configs.append((f"{workers} workers (process pool)", {"workers": workers}))
    configs.append(
        (f"Dask LocalCluster, {workers} processes", {"workers": workers, "dask": "local"})
    )
    for label, kw in configs:
        dst = root / f"dst-{len(rows)}"
        sec, cpu, s = _timed(src, dst, **kw)
        assert s.ok, s.table()
        rows.append(
            {
                "config": label,
                "cpu_s": cpu if kw.get("workers") == 1 else None,  # children not all reaped
                "files": len(files),
                "mb": mb,
                "seconds": sec,
                "files_per_s": len(files) / sec,
                "mb_per_s": mb / sec,
                "ratio": s.ratio,
            }
        )
    for r in rows:
        r["speedup"] = rows[0]["seconds"] / r["seconds"]
    return rows


def _table(rows: list[dict]) -> str:
    lines = ["| configuration | files | MB | s | CPU s | files/s | MB/s | speed-up | ratio |"]
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        rates = f"{r['files_per_s']:.2f} | {r['mb_per_s']:.2f} | {r['speedup']:.2f}x"
        lines.append(
            f"| {r['config']} | {r['files']} | {r['mb']:.1f} | {r['seconds']:.1f} | "
            f"{'-' if r['cpu_s'] is None else format(r['cpu_s'], '.1f')} | {rates} | "
            f"{r['ratio']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, help="inputs (default 120; kill test 400)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--kill-test", action="store_true", help="the kill -9 / resume test")
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args(argv)
    for k, v in _ENV.items():
        os.environ.setdefault(k, v)
    with tempfile.TemporaryDirectory(prefix="sdw-bench-archive-") as tmp:
        if args.kill_test:
            res = kill_test(Path(tmp), args.files or 400, args.kills, seed=args.seed)
            print(json.dumps(res, indent=1))
            ok = res["verify_problems"] == [] and res["missing"] == 0 and not res["extra"]
            return 0 if ok and res["done"] == res["inputs"] else 1
        rows = throughput(Path(tmp), args.files or 120, args.workers)
        print(json.dumps(rows, indent=1) if args.json else _table(rows))
        print(f"load average after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
