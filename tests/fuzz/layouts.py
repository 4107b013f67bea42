"""The input layouts of the libFuzzer targets in ``csrc/fuzz/``, in Python.

Each C target reads a fixed prefix of parameter bytes and takes the rest of its input as the
stream (or, in round-trip mode, as the data to code); the layout is described at the top of
each ``csrc/fuzz/fuzz_<target>.c``. This module mirrors those layouts exactly, for two users:

- ``csrc/fuzz/make_corpus.py`` builds seed inputs (:func:`pack`) around streams made by the
  package's own encoders;
- ``tests/test_fuzz_replay.py`` reads every committed input back (:func:`unpack`) and replays
  it through the Python bindings.

Change a layout here and in its C target together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "TARGETS",
    "PREFIX",
    "MAX_SIDE",
    "side",
    "fit_rows",
    "fz_hash",
    "fz_mask",
    "pack",
    "unpack",
    "Case",
    "rans_tables",
    "RANS_MAX_LEN",
]

TARGETS = ("ezw", "pred", "bitmap", "rans", "transform")
"""The libFuzzer targets, ``csrc/fuzz/fuzz_<name>.c``."""
PREFIX = {"ezw": 9, "pred": 8, "bitmap": 3, "rans": 15, "transform": 7}
"""Bytes of parameters before the stream, per target."""
MAX_SIDE = 128
"""``FZ_MAX_SIDE``: the largest image side a target uses."""
RANS_MAX_LEN = 33
"""Most symbols of a fuzzed rANS table (the row stride is one more)."""
_M32 = 0xFFFFFFFF


def side(b: int) -> int:
    """``fz_side``: an image side (1..128) from one byte."""
    return b % MAX_SIDE + 1


def fit_rows(h: int, w: int, avail: int, item: int) -> int:
    """``fz_fit_rows``: the complete rows of ``w`` items of ``item`` bytes in ``avail`` bytes,
    at most ``h``, at least 1."""
    return max(1, min(h, avail // item // w))


def fz_hash(seed: int, i: int) -> int:
    """``fz_hash``: the same 32-bit mix of (seed, i) as the C targets."""
    x = ((i * 0x9E3779B1) & _M32) ^ ((seed * 0x85EBCA77 + 0x165667B1) & _M32)
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & _M32
    x ^= x >> 12
    x = (x * 0x297A2D39) & _M32
    x ^= x >> 15
    return x


def fz_mask(h: int, w: int, seed: int, density: int, block: int) -> np.ndarray:
    """``fz_mask``: blocks of ``2^block`` pixels, each in the set when its hash's low byte is
    below ``density``; a bool array (h, w)."""
    bw = (w >> block) + 1
    cells = (np.arange(h)[:, None] >> block) * bw + (np.arange(w)[None, :] >> block)
    lut = {c: (fz_hash(seed, int(c)) & 0xFF) < density for c in np.unique(cells)}
    return np.vectorize(lut.__getitem__, otypes=[bool])(cells)


@dataclass(frozen=True)
class Case:
    """One input of a target, read back: its parameters (``fields``, by the names of the C
    target's layout comment) and the bytes after the prefix (``rest``)."""

    target: str
    fields: dict
    rest: bytes

    def __getattr__(self, name: str):
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None


def _b(data: bytes, k: int) -> int:
    return data[k] if k < len(data) else 0


def _i8(b: int) -> int:
    return b - 256 if b > 127 else b


def _mask_of(data: bytes, k: int, h: int, w: int, on: bool) -> np.ndarray | None:
    return fz_mask(h, w, _b(data, k), _b(data, k + 1), _b(data, k + 2) % 4) if on else None


def _max_levels(h: int, w: int) -> int:
    return min(max(h, w).bit_length() - 1, 16)


def unpack(target: str, data: bytes) -> Case:
    """The parameters a target derives from ``data`` and the rest of the input."""
    rest = data[PREFIX[target] :]
    f: dict = {"mode": _b(data, 0)}
    if target in ("ezw", "pred", "bitmap", "transform"):
        f["h"], f["w"] = side(_b(data, 1)), side(_b(data, 2))
    if target == "ezw":
        rt = bool(f["mode"] & 4)
        f["levels"] = _b(data, 3) % (_max_levels(f["h"], f["w"]) + 1)
        if rt:
            f["h"] = fit_rows(f["h"], f["w"], len(rest), 2)
            f["levels"] = min(f["levels"], _max_levels(f["h"], f["w"]))
        f.update(
            backend=f["mode"] & 1,
            round_trip=rt,
            image=bool(f["mode"] & 8),
            top=_b(data, 4) % 32 - 1,
            min_plane=_b(data, 5) % 31,
            budget_byte=_b(data, 4),
            shift_byte=_b(data, 5),
            mask=_mask_of(data, 6, f["h"], f["w"], bool(f["mode"] & 2)),
        )
    elif target == "pred":
        rt = bool(f["mode"] & 2)
        if rt:
            f["h"] = fit_rows(f["h"], f["w"], len(rest), 2)
        f["maxval"] = (_b(data, 3) | _b(data, 4) << 8) % 65535 + 1
        f.update(round_trip=rt, mask=_mask_of(data, 5, f["h"], f["w"], bool(f["mode"] & 1)))
    elif target == "bitmap":
        f["round_trip"] = bool(f["mode"] & 1)
    elif target == "transform":
        m = f["mode"] % 4
        f["kind"] = ("inverse", "round_trip", "dequantize", "crc")[m]
        f["levels"] = _b(data, 3) % (_max_levels(f["h"], f["w"]) + 1)
        f["h"] = fit_rows(f["h"], f["w"], len(rest), (4, 2, 5, 5)[m])
        f["levels"] = min(f["levels"], _max_levels(f["h"], f["w"]))
        f.update(b4=_b(data, 4), b5=_b(data, 5), b6=_b(data, 6))
    elif target == "rans":
        return _unpack_rans(data)
    return Case(target, f, rest)


def rans_tables(lengths: list[int], weights: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """``(cdfs (n, 34) int32, lengths int32)`` of the rANS target: symbol k of table t has
    frequency weight ``weights[t][k]`` (1..256), normalised to 2^16 by floor division."""
    cdfs = np.zeros((len(lengths), RANS_MAX_LEN + 1), np.int32)
    for t, (n, wts) in enumerate(zip(lengths, weights, strict=True)):
        acc = np.cumsum(np.asarray(wts[:n], np.int64))
        cdfs[t, 1 : n + 1] = (acc << 16) // int(acc[-1])
    return cdfs, np.asarray(lengths, np.int32)


def _unpack_rans(data: bytes) -> Case:
    mode = _b(data, 0)
    nt = _b(data, 1) % 4 + 1
    lengths = [_b(data, 2 + k) % 32 + 2 for k in range(4)]
    offsets = [_i8(_b(data, 6 + k)) * 3 for k in range(4)]
    n = (_b(data, 10) | _b(data, 11) << 8) % 1025
    seed, entry, delta = _b(data, 12), _b(data, 13), _i8(_b(data, 14))
    pos, weights = 15, []
    for k in range(nt):
        weights.append([_b(data, pos + s) + 1 for s in range(lengths[k])])
        pos += lengths[k]
    cdfs, lens = rans_tables(lengths[:nt], weights)
    if mode & 2:
        cdfs[0, entry % (RANS_MAX_LEN + 1)] += delta
    index = np.array([fz_hash(seed, i) % nt for i in range(n)], np.int32)
    f = {
        "mode": mode,
        "round_trip": bool(mode & 1),
        "cdfs": cdfs,
        "lengths": lens,
        "offsets": np.asarray(offsets[:nt], np.int32),
        "index": index,
    }
    return Case("rans", f, data[min(pos, len(data)) :])


def pack(target: str, rest: bytes = b"", **p) -> bytes:
    """A target's input: the parameter bytes for ``p`` (the names of :func:`unpack`'s fields,
    given as the values to decode, e.g. ``h=64, top=12``), then ``rest``."""
    if target == "rans":
        return _pack_rans(rest, **p)
    pre = bytearray(PREFIX[target])
    pre[0] = p.get("mode", 0)
    pre[1], pre[2] = (p.get("h", 1) - 1) % MAX_SIDE, (p.get("w", 1) - 1) % MAX_SIDE
    mask = p.get("mask")  # (seed, density, block) or None
    if target == "ezw":
        pre[3], pre[4], pre[5] = p.get("levels", 0), p.get("b4", 0), p.get("b5", 0)
        if mask is not None:
            pre[6:9] = bytes(mask)
    elif target == "pred":
        mv = p.get("maxval", 1) - 1
        pre[3], pre[4] = mv & 0xFF, mv >> 8
        if mask is not None:
            pre[5:8] = bytes(mask)
    elif target == "transform":
        pre[3], pre[4], pre[5], pre[6] = (p.get(k, 0) & 0xFF for k in ("levels", "b4", "b5", "b6"))
    return bytes(pre) + bytes(rest)


def _pack_rans(
    rest: bytes,
    *,
    mode: int,
    lengths: list[int],
    offsets: list[int],
    n: int,
    seed: int,
    weights: list[list[int]],
    entry: int = 0,
    delta: int = 0,
) -> bytes:
    nt = len(lengths)
    pre = bytearray(15)
    pre[0], pre[1] = mode, nt - 1
    for k in range(nt):
        pre[2 + k] = lengths[k] - 2
        pre[6 + k] = (offsets[k] // 3) & 0xFF
    pre[10], pre[11], pre[12], pre[13], pre[14] = n & 0xFF, n >> 8, seed, entry, delta & 0xFF
    body = b"".join(bytes(x - 1 for x in wts[: lengths[k]]) for k, wts in enumerate(weights))
    return bytes(pre) + body + bytes(rest)
