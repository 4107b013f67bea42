"""Every DICOM test file pydicom and pydicom-data ship, through sdwtfast and back to DICOM.

For each file whose pixels pydicom decodes: frames, samples, bits stored, transfer syntax,
the stored pixel bytes, the container's bytes and their ratio, whether the round trip
(``dicom.encode_dataset`` -> ``decode_to_dataset`` -> ``write`` -> pydicom) gives the same
stored values, and the errors dciodvfy (dicom3tools) reports on the output that it does not
report on the input (when dciodvfy is installed), and whether a real Orthanc server (started
here on 127.0.0.1 with a throw-away configuration, as tests/test_dicom.py does; ``n/a`` when
Orthanc is not installed) stores the written file and gives back the same stored values.
Files the codec refuses (values beyond 16 bits, float data) are listed with the reason.

    python bench/bench_dicom.py
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pydicom
from pydicom.data import get_testdata_files

import sdwtfast
from sdwtfast import dicom
from sdwtfast.errors import SdwtError

_ERR = re.compile(r"^Error\s*-\s*(.*)$", re.M)
_NUM = re.compile(r"0x[0-9a-fA-F]+|\b\d+(\.\d+)?\b")


def _errors(path: str) -> set[str] | None:
    exe = shutil.which("dciodvfy")
    if exe is None:
        return None
    r = subprocess.run([exe, path], capture_output=True, text=True, errors="replace", timeout=60)
    return {_NUM.sub("#", m) for m in _ERR.findall(r.stdout + r.stderr)}


def _files() -> list[str]:
    out = set(get_testdata_files("*.dcm"))
    try:
        from sdwtfast import devset

        store = devset.data_store_dir()
        if store is not None:
            out |= {str(p) for p in Path(store).rglob("*.dcm")}
    except Exception:  # noqa: BLE001 - pydicom-data absent: pydicom's own files only
        pass
    return sorted(out, key=lambda p: Path(p).name)


def _orthanc_verdict(server, out: Path, pixels: np.ndarray, source: str) -> str:
    """Store ``out`` in Orthanc, fetch it back, compare its stored values with ``pixels``
    (when Orthanc refuses it, whether it refuses the source as well)."""
    import urllib.error

    if server is None:
        return "n/a"
    try:
        reply = server.store(out.read_bytes())
        data = server.request("GET", f"/instances/{reply['ID']}/file")
    except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
        try:
            server.store(Path(source).read_bytes())
        except (urllib.error.URLError, OSError, KeyError, ValueError):
            return "no: the source is refused too (no Study / Series UID)"
        return f"REFUSED: {str(exc)[:40]}"
    with tempfile.NamedTemporaryFile(suffix=".dcm") as f:
        f.write(data)
        f.flush()
        back = dicom.read(f.name).pixels
    return "yes" if back.shape == pixels.shape and np.array_equal(back, pixels) else "pixels differ"


def row(path: str, tmp: Path, server=None) -> str:
    name = Path(path).name
    try:
        obj = dicom.read(path)
    except SdwtError as exc:
        why = str(exc).replace(path, "").lstrip(": ")[:90]
        return f"| {name} | refused: {type(exc).__name__}: {why} | | | | | | | | | |"
    ds = obj.datasets[0]
    raw = obj.pixels.size * obj.pixels.dtype.itemsize
    blob = dicom.encode_dataset(obj)
    out = tmp / (name + ".out.dcm")
    dicom.write(out, dicom.decode_to_dataset(blob, max_pixels=1 << 28), force=True)
    back = dicom.read(out).pixels  # stored values (pydicom, no colour conversion)
    same = back.shape == obj.pixels.shape and np.array_equal(back, obj.pixels)
    before, after = _errors(path), _errors(str(out))
    new = "n/a" if before is None or after is None else str(len(after - before))
    orthanc = _orthanc_verdict(server, out, obj.pixels, path)
    ts = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "?"))
    return (
        f"| {name} | {obj.pixels.shape[0]} | {obj.samples} | {getattr(ds, 'BitsStored', '?')} | "
        f"{getattr(ts, 'name', ts)} | {raw} | {len(blob)} | {raw / len(blob):.2f} | "
        f"{'yes' if same else 'NO'} | {new} | {orthanc} |"
    )


def main() -> int:
    print(f"bench_dicom: sdwtfast {sdwtfast.__version__}, pydicom {pydicom.__version__}\n")
    print(
        "| file | frames | samples | bits | source syntax | stored bytes | sdwtfast bytes | "
        "ratio | exact | new dciodvfy errors | Orthanc stores it, same pixels |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|---|---:|---|")
    with _orthanc() as server, tempfile.TemporaryDirectory() as d:
        for path in _files():
            try:
                print(row(path, Path(d), server), flush=True)
            except SdwtError as exc:
                print(
                    f"| {Path(path).name} | error: {type(exc).__name__}: {str(exc)[:90]} "
                    "| | | | | | | | | |",
                    flush=True,
                )
    return 0


@contextlib.contextmanager
def _orthanc():
    """The tests' throw-away Orthanc (tests/dicom_tools.py), or None when not installed."""
    if shutil.which("Orthanc") is None and not Path("/usr/sbin/Orthanc").exists():
        yield None
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.dicom_tools import orthanc_server

    with orthanc_server() as server:
        yield server


if __name__ == "__main__":
    sys.exit(main())
