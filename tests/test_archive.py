"""sdwtfast archive / verify / restore: a real SQLite journal, real subprocesses killed with
SIGKILL, a real tmpfs (or an injected ENOSPC), a real Dask LocalCluster."""

from __future__ import annotations

import errno
import hashlib
import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import sdwtfast
from sdwtfast.batch import journal as J
from sdwtfast.batch import work
from sdwtfast.cli import main
from sdwtfast.errors import InvalidInputError, KeyRequiredError

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("pydicom")


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_archive", ROOT / "bench" / "bench_archive.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def bench():
    return _bench()


def _rows(dst: Path) -> dict[str, dict]:
    db = sqlite3.connect(f"file:{dst / J.JOURNAL_NAME}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        return {r["path"]: dict(r) for r in db.execute("SELECT * FROM files")}
    finally:
        db.close()


def _tree(dst: Path) -> dict[str, tuple[int, int, int]]:
    return {
        p.relative_to(dst).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino)
        for p in dst.rglob("*")
        if p.is_file() and p.name not in J.RESERVED
    }


def _series(folder: Path, n: int = 4) -> Path:
    """A small CT series: CT_small as ``n`` slices with their own positions and UIDs."""
    import pydicom
    from pydicom.uid import generate_uid

    from sdwtfast import devset

    folder.mkdir(parents=True)
    series = generate_uid()
    for k in range(n):
        ds = pydicom.dcmread(devset.path_of("CT_small"))
        ds.SeriesInstanceUID = series
        ds.SOPInstanceUID = generate_uid()
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [0.0, 0.0, float(5 * k)]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        arr = ds.pixel_array.copy()
        arr[k : k + 8, :] += k * 3
        ds.PixelData = arr.tobytes()
        ds.save_as(folder / f"slice{(7 * k) % n:02d}.dcm")
    return folder


@pytest.fixture
def mixed(tmp_path, ct, bench):
    """SRC with every kind: .npy, PNG, DICOM, multi-frame DICOM, NIfTI, a series folder."""
    src = tmp_path / "src"
    bench.make_batch(src, 10, seed=5)
    _series(src / "study" / "series1")
    np.save(
        src / "study" / "rgb.npy", np.random.default_rng(0).integers(0, 255, (24, 20, 3), np.uint8)
    )
    return src


# ---- archive, second run, verify, restore ----------------------------------------------------


def test_archive_verify_restore_round_trip(mixed, tmp_path, capsys):
    dst, out = tmp_path / "dst", tmp_path / "out"
    before = {p: p.stat().st_mtime_ns for p in mixed.rglob("*")}
    assert main(["archive", str(mixed), str(dst), "--by", "series", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "done" in err and "ratio" in err  # the summary table
    rows = _rows(dst)
    assert rows["study/series1"]["kind"] == "series"
    assert len(json.loads(rows["study/series1"]["members"])) == 4
    assert all(r["status"] == "done" for r in rows.values())
    assert (dst / "study" / "series1.sdw").is_file()
    assert {p: p.stat().st_mtime_ns for p in mixed.rglob("*")} == before  # SRC untouched
    assert main(["verify", str(dst), "--workers", "1"]) == 0
    assert "clean" in capsys.readouterr().out
    assert main(["restore", str(dst), str(out)]) == 0
    _assert_restored(mixed, out)


def _assert_restored(src: Path, out: Path) -> None:
    import nibabel as nib
    import pydicom

    from sdwtfast.cli import read_image

    files = sorted(p for p in src.rglob("*") if p.is_file())
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == [
        p.relative_to(src) for p in files
    ]
    for p in files:
        q = out / p.relative_to(src)
        if p.suffix == ".dcm":
            a, b = pydicom.dcmread(p), pydicom.dcmread(q)
            assert np.array_equal(a.pixel_array, b.pixel_array), p
            assert a.SOPInstanceUID == b.SOPInstanceUID
        elif p.name.endswith(".nii"):
            assert p.read_bytes() == q.read_bytes()  # byte for byte
        elif p.name.endswith(".nii.gz"):
            assert np.array_equal(nib.load(p).get_fdata(), nib.load(q).get_fdata())
        else:
            a, b = read_image(p)[0], read_image(q)[0]
            assert a.dtype == b.dtype and np.array_equal(a, b), p


def test_second_run_writes_nothing_and_options_are_checked(mixed, tmp_path):
    dst = tmp_path / "dst"
    s = sdwtfast.archive(mixed, dst, workers=2, progress=None)
    assert s.ok and s.counts["done"] == 15
    tree, rows = _tree(dst), _rows(dst)
    db_mtime = (dst / J.JOURNAL_NAME).stat().st_mtime_ns
    s2 = sdwtfast.archive(mixed, dst, workers=2, progress=None)
    assert s2.counts == {"unchanged": 15} and s2.ok
    assert _tree(dst) == tree and _rows(dst) == rows
    assert (dst / J.JOURNAL_NAME).stat().st_mtime_ns == db_mtime
    # other options: a clear error (exit 2), unless re-encoding is asked for
    with pytest.raises(InvalidInputError, match="reencode"):
        sdwtfast.archive(mixed, dst, roi_max_error=2, progress=None)
    assert main(["archive", str(mixed), str(dst), "--roi-max-error", "2", "--quiet"]) == 2
    s3 = sdwtfast.archive(mixed, dst, roi_max_error=2, reencode=True, workers=1, progress=None)
    assert s3.counts == {"done": 15}, s3.table()
    rows = _rows(dst).values()
    assert all(json.loads(r["options"])["roi_max_error"] == 2 for r in rows)
    lossy = [r for r in rows if not r["lossless"]]
    assert len(lossy) >= 10 and all(0 < r["measured_max_error"] <= 2 for r in lossy)
    assert sdwtfast.verify(dst, workers=1, progress=None).clean


def test_roots_must_not_overlap(tmp_path, ct):
    src = tmp_path / "src"
    src.mkdir()
    np.save(src / "a.npy", ct[:32, :32])
    for dst in (src, src / "inside"):
        assert main(["archive", str(src), str(dst), "--quiet"]) == 2
    assert sorted(p.name for p in src.iterdir()) == ["a.npy"]
    with pytest.raises(InvalidInputError, match="inside"):
        sdwtfast.archive(src / "..", src / "x", progress=None)


def test_effort_is_an_archive_option(tmp_path, ct):
    """--effort reaches every input's encode and the journal; a bad value is refused before
    any input is read (not once per input)."""
    src = tmp_path / "src"
    src.mkdir()
    np.save(src / "a.npy", ct[:64, :64])
    with pytest.raises(InvalidInputError, match="effort"):
        sdwtfast.archive(src, tmp_path / "bad", effort=0, progress=None)
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())
    dst = tmp_path / "dst"
    assert main(["archive", str(src), str(dst), "--quiet", "--effort", "1"]) == 0
    (row,) = _rows(dst).values()
    assert json.loads(row["options"])["effort"] == 1
    blob = (dst / row["output"]).read_bytes()
    assert np.array_equal(sdwtfast.decode(blob), ct[:64, :64])
    assert blob == sdwtfast.encode(ct[:64, :64], effort=1)


def test_json_progress_lines(mixed, tmp_path, capsys):
    assert main(["archive", str(mixed), str(tmp_path / "d"), "--json", "--workers", "1"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["event"] == "start" and lines[-1]["event"] == "summary"
    files = [x for x in lines if x["event"] == "file"]
    assert len(files) == lines[0]["total_files"] == 15
    assert files[-1]["done_files"] == 15 and files[-1]["ratio"] > 1
    assert lines[-1]["ok"] is True


def test_sealed_archive_needs_its_key(tmp_path, ct):
    src = tmp_path / "src"
    src.mkdir()
    np.save(src / "a.npy", ct[:64, :64])
    key = tmp_path / "k.key"
    assert main(["keygen", str(key)]) == 0
    dst = tmp_path / "dst"
    assert main(["archive", str(src), str(dst), "--key-file", str(key), "--quiet"]) == 0
    assert main(["verify", str(dst), "--key-file", str(key), "--quiet", "--workers", "1"]) == 0
    with pytest.raises(KeyRequiredError):
        sdwtfast.verify(dst, progress=None)
    assert main(["verify", str(dst), "--quiet"]) == 6
    out = tmp_path / "out"
    assert main(["restore", str(dst), str(out), "--key-file", str(key)]) == 0
    assert np.array_equal(np.load(out / "a.npy"), ct[:64, :64])


# ---- verify finds what is wrong --------------------------------------------------------------


def test_verify_detects_tampered_missing_and_extra(mixed, tmp_path, capsys):
    dst = tmp_path / "dst"
    assert sdwtfast.archive(mixed, dst, workers=1, progress=None).ok
    outs = sorted(_tree(dst))
    tampered, gone = dst / outs[0], dst / outs[1]
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0x40
    tampered.write_bytes(bytes(data))
    gone.unlink()
    (dst / "stray.sdw").write_bytes(b"x")
    rep = sdwtfast.verify(dst, workers=2, progress=None)
    what = {p: w for p, w, _ in rep.problems}
    assert what["stray.sdw"] == "extra"
    assert what[outs[0].removesuffix(".sdw")] in ("corrupt", "mismatch")
    assert what[outs[1].removesuffix(".sdw")] == "missing"
    assert len(rep.problems) == 3 and rep.checked == 15
    assert main(["verify", str(dst), "--quiet", "--workers", "1"]) == 4
    # the next archive run repairs what it owns (the stray file stays: verify reports it)
    assert sdwtfast.archive(mixed, dst, workers=1, progress=None).counts["done"] == 1
    rep = sdwtfast.verify(dst, workers=1, progress=None)
    assert {p for p, _, _ in rep.problems} == {outs[0].removesuffix(".sdw"), "stray.sdw"}


# ---- bad inputs ------------------------------------------------------------------------------


def _rewriter(path: Path, stop: threading.Event) -> None:
    rng = np.random.default_rng(1)
    while not stop.is_set():
        with open(path, "r+b") as fh:  # in place: a reader may see any mixture
            fh.seek(200)
            fh.write(rng.integers(0, 255, 4096, np.uint8).tobytes())
        time.sleep(0.0005)


def test_bad_inputs_are_recorded_never_a_crash(tmp_path, ct, capsys):
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    np.save(src / "good.npy", ct[:64, :64])
    (src / "corrupt.dcm").write_bytes(b"\0" * 128 + b"DICM" + os.urandom(3000))
    (src / "zero.dcm").write_bytes(b"")
    (src / "notes.txt").write_text("not an image")
    os.symlink(src, src / "d" / "loop")  # a directory loop
    os.mkfifo(src / "pipe.dcm")  # reading it would block: not a regular file
    big = src / "changing.npy"
    np.save(big, np.tile(ct, (3, 3)))
    stop = threading.Event()
    t = threading.Thread(target=_rewriter, args=(big, stop), daemon=True)
    t.start()
    try:
        rc = main(["archive", str(src), str(tmp_path / "dst"), "--workers", "1"])
    finally:
        stop.set()
        t.join()
    assert rc == 1
    table = capsys.readouterr().err
    rows = _rows(tmp_path / "dst")
    status = {p: r["status"] for p, r in rows.items()}
    assert status == {
        "good.npy": "done",
        "corrupt.dcm": "failed",
        "zero.dcm": "failed",
        "notes.txt": "skipped",
        "d/loop": "skipped",
        "pipe.dcm": "skipped",
        "changing.npy": "failed",
    }
    assert "loop" in rows["d/loop"]["error"] and "empty" in rows["zero.dcm"]["error"]
    assert not (tmp_path / "dst" / "changing.npy.sdw").exists()
    for name in ("corrupt.dcm", "zero.dcm", "changing.npy"):
        assert name in table
    assert sorted(_tree(tmp_path / "dst")) == ["good.npy.sdw"]


def test_a_file_that_changes_is_recorded_failed(tmp_path, ct, monkeypatch):
    """The check itself, deterministically: a change between reading and the end of coding."""
    src = tmp_path / "src"
    src.mkdir()
    p = src / "a.npy"
    np.save(p, ct)
    item = next(sdwtfast.batch.plan.walk(src, tmp_path / "dst"))
    task = work.Task(
        item, sdwtfast.batch.settings.Settings(), work.Secrets(), str(src), str(tmp_path)
    )
    real = work.pixel_sha256

    def hash_then_touch(pixels):
        out = real(pixels)
        np.save(p, ct + 1)  # the file changes after it was read
        return out

    monkeypatch.setattr(work, "pixel_sha256", hash_then_touch)
    row = work.process(task)
    assert row["status"] == "failed" and "changed while it was read" in row["error"]
    assert not (tmp_path / "a.npy.sdw").exists()


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads a chmod 000 file: permissions do not stop it"
)
def test_unreadable_file_is_recorded(tmp_path, ct):
    src = tmp_path / "src"
    src.mkdir()
    np.save(src / "a.npy", ct[:32, :32])
    (src / "a.npy").chmod(0)
    s = sdwtfast.archive(src, tmp_path / "dst", workers=1, progress=None)
    assert s.counts == {"failed": 1} and "Permission" in s.failures[0][2]


# ---- full disk -------------------------------------------------------------------------------


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return r.returncode == 0


def _assert_no_partial(dst: Path) -> None:
    rows = _rows(dst)
    by_output = {r["output"]: r for r in rows.values() if r["output"]}
    for rel in _tree(dst):
        assert sdwtfast.batch.plan.OUTPUT_SUFFIX in rel and ".sdwtmp-" not in rel, rel
        sdwtfast.info((dst / rel).read_bytes())  # a whole container under every final name
        r = by_output[rel]
        if r["status"] == "done":
            assert (dst / rel).stat().st_size == r["output_size"]


def test_full_disk_leaves_no_partial_file_and_resumes(tmp_path, bench, monkeypatch):
    src = tmp_path / "src"
    bench.make_batch(src, 16, seed=2)
    dst = tmp_path / "dst"
    mounted = _mount_tmpfs(dst, "200k")
    try:
        if mounted:
            try:
                s = sdwtfast.archive(src, dst, workers=1, progress=None)
                assert not s.ok
            except OSError as exc:  # the journal itself hit the full disk: the run stops
                assert "journal" in str(exc)
            _assert_no_partial(dst)
            subprocess.run(["mount", "-o", "remount,size=64m", str(dst)], check=True)
        else:  # no tmpfs here: inject ENOSPC into every third fsync of an output
            calls = {"n": 0}
            real = os.fsync

            def full(fd):
                calls["n"] += 1
                if calls["n"] % 3 == 0:
                    raise OSError(errno.ENOSPC, "No space left on device")
                return real(fd)

            monkeypatch.setattr(os, "fsync", full)
            s = sdwtfast.archive(src, dst, workers=1, progress=None)
            monkeypatch.setattr(os, "fsync", real)
            assert s.counts.get("error") and "No space" in s.failures[0][2]
            _assert_no_partial(dst)
        s = sdwtfast.archive(src, dst, workers=1, progress=None)
        assert s.ok and s.counts.get("unchanged", 0) + s.counts.get("done", 0) == 16
        assert sdwtfast.verify(dst, workers=1, progress=None).clean
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(dst)])


# ---- kill -9 at random moments ---------------------------------------------------------------


def _orphaned_fork_servers() -> set[int]:
    """Fork servers (and their workers) of sdwtfast archive runs whose run is gone."""
    out = set()
    for pid in os.listdir("/proc"):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"multiprocessing.forkserver" in cmd and b"sdwtfast.batch.work" in cmd and ppid == 1:
            out.add(int(pid))
    return out


def _kill_test(bench, tmp_path, files, kills):
    before = _orphaned_fork_servers() if os.path.isdir("/proc") else set()
    res = bench.kill_test(tmp_path, files, kills, seed=11)
    if os.path.isdir("/proc"):  # every killed run's pool and fork server end with it
        deadline = time.monotonic() + 15
        while _orphaned_fork_servers() - before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _orphaned_fork_servers() - before == set()
    assert res["kills"] >= kills, res
    assert res["integrity"] == "ok"
    assert res["rows"] == res["done"] == files and res["duplicated_rows"] == 0
    assert res["missing"] == 0 and res["extra"] == [] and res["sizes_ok"]
    assert res["verify_problems"] == [] and res["verify_checked"] == files
    assert res["final_rc"] == 0
    return res


def test_kill9_at_random_moments_then_resume(bench, tmp_path):
    _kill_test(bench, tmp_path, 60, 10)


@pytest.mark.slow
def test_kill9_400_files_30_kills(bench, tmp_path):
    _kill_test(bench, tmp_path, 400, 30)


def _grandchildren() -> list[int]:
    """Processes whose parent is a child of this one (the forkserver's pool workers)."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            parent[int(d)] = int(stat.rsplit(")", 1)[1].split()[1])
    children = {p for p, pp in parent.items() if pp == os.getpid()}
    return [p for p, pp in parent.items() if pp in children]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_pool_worker_killed_mid_run_loses_nothing(tmp_path, bench):
    src = tmp_path / "src"
    bench.make_batch(src, 30, seed=6)
    dst = tmp_path / "dst"
    killed = []

    def killer():
        deadline = time.monotonic() + 60
        while len(list(dst.rglob("*.sdw"))) < 5 and time.monotonic() < deadline:
            time.sleep(0.005)
        for pid in _grandchildren()[:1]:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    s = sdwtfast.archive(src, dst, workers=2, progress=None)
    t.join()
    assert killed, "no pool worker was found to kill"
    assert s.ok and s.counts == {"done": 30}, s.table()
    rep = sdwtfast.verify(dst, workers=1, progress=None)
    assert rep.clean and rep.checked == 30


# ---- Dask ------------------------------------------------------------------------------------


def test_dask_missing_is_a_clear_error(tmp_path, ct, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    np.save(src / "a.npy", ct[:32, :32])
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(InvalidInputError, match=r"pip install 'sdwtfast\[dask\]'"):
        sdwtfast.archive(src, tmp_path / "dst", dask="local", progress=None)


def test_dask_cluster_worker_killed_mid_run_loses_nothing(tmp_path, bench):
    distributed = pytest.importorskip("distributed")
    src = tmp_path / "src"
    bench.make_batch(src, 30, seed=4)
    dst = tmp_path / "dst"
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
    ):
        with distributed.Client(cluster) as client:  # closed: the archive has its own client
            pids = list(client.run(os.getpid).values())
        killed = threading.Event()

        def killer():
            while len(list(dst.rglob("*.sdw"))) < 6:
                time.sleep(0.01)
            os.kill(pids[0], signal.SIGKILL)
            killed.set()

        threading.Thread(target=killer, daemon=True).start()
        s = sdwtfast.archive(src, dst, dask=cluster.scheduler_address, workers=2, progress=None)
        assert killed.is_set()
    assert s.ok and s.counts == {"done": 30}, s.table()
    assert all(r["attempts"] == 1 for r in _rows(dst).values())  # one result each
    rep = sdwtfast.verify(dst, workers=1, progress=None)
    assert rep.clean and rep.checked == 30


def test_client_writes_outputs(tmp_path, ct):
    src = tmp_path / "src"
    src.mkdir()
    for k in range(3):
        np.save(src / f"a{k}.npy", ct[k * 32 : k * 32 + 32, :32])
    s = sdwtfast.archive(src, tmp_path / "dst", workers=2, outputs="client", progress=None)
    assert s.ok and s.counts == {"done": 3}
    rows = _rows(tmp_path / "dst")
    for r in rows.values():
        blob = (tmp_path / "dst" / r["output"]).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == r["output_sha256"]
