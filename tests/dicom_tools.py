"""Helpers for the DICOM tests: dciodvfy (dicom3tools) and a throw-away Orthanc server.

Both are external Debian packages (``apt-get install dicom3tools orthanc``). Where one is
absent the tests that need it skip with a visible reason, unless ``CI`` or
``SDWTFAST_REQUIRE_TOOLS`` is set: then they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

__all__ = ["require_tool", "dciodvfy", "dciodvfy_errors", "Orthanc", "orthanc_server"]


def _required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("SDWTFAST_REQUIRE_TOOLS"))


def require_tool(name: str, package: str) -> str:
    """Path of executable ``name``; skip (fail under CI / SDWTFAST_REQUIRE_TOOLS) if absent."""
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None
    )
    if path is None:
        msg = f"{name} not found: apt-get install {package}"
        if _required():
            pytest.fail(msg + " (required: CI or SDWTFAST_REQUIRE_TOOLS is set)")
        pytest.skip(msg)
    return path


def dciodvfy(path: str) -> str:
    """dciodvfy's report on ``path`` (stdout and stderr together)."""
    exe = require_tool("dciodvfy", "dicom3tools")
    r = subprocess.run([exe, path], capture_output=True, text=True, errors="replace", timeout=60)
    return r.stdout + r.stderr


_ERR = re.compile(r"^Error\s*-\s*(.*)$", re.M)
_HEX = re.compile(r"0x[0-9a-fA-F]+|\b\d+(\.\d+)?\b")


def dciodvfy_errors(path: str) -> set[str]:
    """The set of dciodvfy's error lines for ``path``, numbers normalised away.

    Values, lengths and offsets are replaced by ``#`` so that an error the source already has
    (an invalid value in some element) compares equal in the output even where a count or an
    offset moved.
    """
    return {_HEX.sub("#", m.group(1)).strip() for m in _ERR.finditer(dciodvfy(path))}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Orthanc:
    """A running throw-away Orthanc, reached on ``self.url`` (127.0.0.1 only)."""

    def __init__(self, url: str, proc: subprocess.Popen[bytes], log: str):
        self.url, self.proc, self.log = url, proc, log

    def request(self, method: str, path: str, data: bytes | None = None) -> bytes:
        """One REST call; returns the body (raises urllib.error.HTTPError on 4xx/5xx)."""
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/dicom")
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.read()

    def json(self, method: str, path: str, data: bytes | None = None) -> object:
        return json.loads(self.request(method, path, data))

    def store(self, dicom_bytes: bytes) -> dict:
        """POST /instances; the reply (``ID``, ``Status``, ...)."""
        return self.json("POST", "/instances", dicom_bytes)  # type: ignore[return-value]


@contextlib.contextmanager
def orthanc_server(timeout: float = 30.0) -> Iterator[Orthanc]:
    """Start Orthanc with a temporary config and storage; stop it (and clean up) on exit."""
    exe = require_tool("Orthanc", "orthanc")
    tmp = tempfile.mkdtemp(prefix="sdw-orthanc-")
    http, dicom = _free_port(), _free_port()
    config = {
        "Name": "sdwtfast-test",
        "StorageDirectory": os.path.join(tmp, "storage"),
        "IndexDirectory": os.path.join(tmp, "index"),
        "HttpPort": http,
        "DicomPort": dicom,
        "DicomServerEnabled": False,  # REST only: nothing listens beyond 127.0.0.1
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "HttpBindAddress": "127.0.0.1",
        "StorageCompression": False,
        "OverwriteInstances": True,
        "Plugins": [],
    }
    cfg = os.path.join(tmp, "orthanc.json")
    with open(cfg, "w") as f:
        json.dump(config, f)
    log = os.path.join(tmp, "orthanc.log")
    with open(log, "wb") as logf:
        proc = subprocess.Popen([exe, cfg], stdout=logf, stderr=subprocess.STDOUT, cwd=tmp)
    server = Orthanc(f"http://127.0.0.1:{http}", proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                with open(log, errors="replace") as f:
                    pytest.fail(f"Orthanc exited ({proc.returncode}):\n{f.read()[-3000:]}")
            try:
                server.json("GET", "/system")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"Orthanc did not answer /system within {timeout} s")
                time.sleep(0.2)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
