#!/usr/bin/env python3
"""Regenerate the committed seed corpora of the fuzz targets from the package's own encoders.

    python csrc/fuzz/make_corpus.py            # rewrites csrc/fuzz/corpus/ and tests/fuzz/corpus/

- ``csrc/fuzz/corpus/<target>/``: inputs of the libFuzzer targets (``csrc/fuzz/fuzz_*.c``):
  the parameter prefix of ``tests/fuzz/layouts.py`` around valid streams: EZW payloads of the
  golden ``.sdwz`` streams and of the containers ``sdwtfast.encode`` writes, native EZW,
  predictive, bitmap and rANS streams of small images with and without masks, and a few
  round-trip inputs;
- ``tests/fuzz/corpus/``: inputs of the atheris target (``tests/fuzz/fuzz_container.py``):
  containers of every mode (lossless, near-lossless, rate, hybrid with each background, frames,
  colour, metadata, sealed with the target's key or a passphrase), the golden containers and
  stand-alone EZW streams.

The images are crops of the packaged CT sample and small synthetic images, so every run writes
the same bytes, except the sealed containers (their salts are random).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sdwtfast  # noqa: E402
from sdwtfast import _entropy, _native, container, ezw  # noqa: E402
from sdwtfast.coders.pred import max_value  # noqa: E402
from sdwtfast.sample import load_ct  # noqa: E402
from tests.fuzz.contract import KEY  # noqa: E402
from tests.fuzz.layouts import fz_hash, fz_mask, pack, rans_tables  # noqa: E402

C_CORPUS = ROOT / "csrc" / "fuzz" / "corpus"
PY_CORPUS = ROOT / "tests" / "fuzz" / "corpus"
GOLDEN = ROOT / "tests" / "data" / "golden"


def _images() -> dict[str, np.ndarray]:
    ct = load_ct()
    ramp = (np.add.outer(np.arange(24), np.arange(40)) // 3).astype(np.uint8)
    text = np.zeros((32, 48), np.uint16)
    text[8:24:2, 4:44] = 4000
    return {
        "ct32": ct[200:232, 200:232],
        "ct48x40": ct[150:198, 300:340],
        "ct16x64": ct[250:266, 100:164],
        "ramp": ramp,
        "text": text,
    }


def _write(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


# ---- libFuzzer targets -----------------------------------------------------------------------


def _ezw_seeds(images: dict[str, np.ndarray]) -> dict[str, bytes]:
    out = {}
    for path in sorted(GOLDEN.glob("ezw_*.sdwz")):
        data = path.read_bytes()
        h = ezw.read_header(data)
        payload = data[h.size : h.size + h.payload_len]
        mode = 1 if h.backend == "arith" else 0
        p = dict(mode=mode, h=h.height, w=h.width, levels=h.levels, b4=h.top + 1, b5=h.min_plane)
        out[f"golden_{path.stem}"] = pack("ezw", payload, **p)
        out[f"golden_{path.stem}_prefix"] = pack("ezw", payload[: len(payload) // 3], **p)
    for name, img in images.items():
        blob = sdwtfast.encode(img, wavelet="5/3")  # always the EZW coder
        hdr, secs = container.unpack(blob)
        roi = next((s for s in secs if s.type == container.SectionType.ROI), None)
        if roi is not None:
            top = int(hdr.params["roi.top"])
            p = dict(mode=1, h=hdr.height, w=hdr.width, levels=hdr.levels, b4=top + 1)
            out[f"container_{name}"] = pack("ezw", bytes(roi.data), **p)
    for k, (name, img) in enumerate(images.items()):
        h, w = img.shape
        lv = min(3, _native.max_levels(h, w))
        coef = _native.lift53_forward(img.astype(np.int32) - int(img.mean()), lv)
        for backend in (0, 1):
            mask = (k, 180, 1 + backend) if k % 2 else None
            m = None if mask is None else fz_mask(h, w, *mask)
            payload, top, _ = _native.ezw_encode(coef, lv, m, backend)
            p = dict(mode=backend | (2 if m is not None else 0), h=h, w=w, levels=lv, b4=top + 1)
            out[f"native_{name}_b{backend}"] = pack("ezw", payload, **p, mask=mask)
            # a lossy-style decode of the same stream: stop at plane 3
            out[f"native_{name}_b{backend}_min3"] = pack(
                "ezw", payload, **{**p, "b5": 3}, mask=mask
            )
    rng = np.random.default_rng(15)
    for backend in (0, 1):
        vals = rng.integers(-300, 300, (8, 12)).astype("<i2").tobytes()
        out[f"roundtrip_b{backend}"] = pack("ezw", vals, mode=4 | backend, h=8, w=12, levels=2)
        out[f"roundtrip_b{backend}_budget"] = pack(
            "ezw", vals, mode=4 | backend, h=8, w=12, levels=2, b4=20, b5=3
        )
    img = images["ct16x64"][:8, :16].astype(np.int32) + 2000
    out["roundtrip_image"] = pack(
        "ezw", img.astype("<u2").tobytes(), mode=12 | 1, h=8, w=16, levels=3, b5=12
    )
    return out


def _pred_seeds(images: dict[str, np.ndarray]) -> dict[str, bytes]:
    out = {}
    for name, img in images.items():
        for kw in ({}, {"roi_max_error": 2}):
            blob = sdwtfast.encode(img, **kw)
            hdr, secs = container.unpack(blob)
            pred = next((s for s in secs if s.type == container.SectionType.PRED), None)
            if pred is None:
                continue
            d = int(hdr.params.get("roi.max_error", 0))
            qmax = max_value(hdr.mode, int(hdr.params["vmin"]), int(hdr.params["vmax"]), d)
            tag = f"container_{name}" + (f"_nl{d}" if d else "")
            out[tag] = pack("pred", bytes(pred.data), h=hdr.height, w=hdr.width, maxval=qmax)
    for k, (name, img) in enumerate(images.items()):
        h, w = img.shape
        x = img.astype(np.int64) - int(img.min())
        qmax = max(1, int(x.max()))
        mask = (k + 7, 150, k % 4)
        m = fz_mask(h, w, *mask)
        payload = _native.pred_encode(x.astype(np.int32), qmax, 64 * h * w + 64, m)
        out[f"native_{name}_mask"] = pack("pred", payload, mode=1, h=h, w=w, maxval=qmax, mask=mask)
    out["native_flat_maxval1"] = pack(
        "pred", _native.pred_encode(np.zeros((5, 7), np.int32), 1, 4096), h=5, w=7, maxval=1
    )
    rng = np.random.default_rng(16)
    vals = rng.integers(0, 4096, (6, 10)).astype("<u2").tobytes()
    out["roundtrip"] = pack("pred", vals, mode=2, h=6, w=10, maxval=4095)
    out["roundtrip_mask"] = pack("pred", vals, mode=3, h=6, w=10, maxval=4095, mask=(3, 128, 1))
    return out


def _bitmap_seeds(images: dict[str, np.ndarray]) -> dict[str, bytes]:
    out = {}
    for name, img in images.items():
        h, w = img.shape
        blob = sdwtfast.encode(img, roi=[(h // 4, w // 4, 3 * h // 4, 3 * w // 4)])
        hdr, secs = container.unpack(blob)
        mask = next((s for s in secs if s.type == container.SectionType.MASK), None)
        if mask is not None:
            bh, bw = -(-hdr.height // 8), -(-hdr.width // 8)
            out[f"container_{name}"] = pack("bitmap", bytes(mask.data), h=bh, w=bw)
    for k, (h, w, block) in enumerate(((16, 16, 2), (40, 33, 0), (128, 128, 3), (1, 90, 1))):
        bits = fz_mask(h, w, k, 100 + 40 * k, block)
        out[f"native_{h}x{w}"] = pack("bitmap", _native.bitmap_encode(bits), h=h, w=w)
    bits = np.packbits(fz_mask(12, 20, 9, 128, 1).reshape(-1), bitorder="little").tobytes()
    out["roundtrip"] = pack("bitmap", bits, mode=1, h=12, w=20)
    return out


def _rans_seeds() -> dict[str, bytes]:
    out = {}
    rng = np.random.default_rng(17)
    cases = [
        ([2], [0], 1, 1),
        ([9, 17], [-12, 30], 300, 2),
        ([33, 5, 12, 20], [3, -3, 0, 60], 1024, 3),
    ]
    for k, (lengths, offsets, n, seed) in enumerate(cases):
        weights = [list(rng.integers(1, 257, ln)) for ln in lengths]
        cdfs, lens = rans_tables(lengths, weights)
        offs = np.asarray(offsets, np.int32)
        index = np.array([fz_hash(seed, i) % len(lengths) for i in range(n)], np.int32)
        spread = np.array([lengths[t] for t in index]) + 4
        values = (offs[index] + rng.integers(-2, spread)).astype(np.int32)
        if n > 10:
            values[::37] += 5000  # escapes
        stream = _entropy.encode(values, index, cdfs, lens, offs)
        p = dict(lengths=lengths, offsets=offsets, n=n, seed=seed, weights=weights)
        out[f"stream_{k}"] = pack("rans", stream, mode=0, **p)
        out[f"stream_{k}_bad_table"] = pack("rans", stream, mode=2, entry=5, delta=-100, **p)
        rt = bytes(
            int(v - offs[t]) & 0xFF if abs(int(v - offs[t])) < 128 else 0x80
            for v, t in zip(values[:64], index[:64], strict=True)
        )
        out[f"roundtrip_{k}"] = pack("rans", rt, mode=1, **{**p, "n": min(n, 64)})
    return out


def _transform_seeds(images: dict[str, np.ndarray]) -> dict[str, bytes]:
    out = {}
    img = images["ct16x64"][:, :32].astype(np.int32)
    coef = _native.lift53_forward(img, 4)
    out["inverse_real"] = pack(
        "transform", coef.astype("<i4").tobytes(), mode=0, h=16, w=32, levels=4
    )
    out["roundtrip_signed"] = pack(
        "transform", img.astype("<i2").tobytes(), mode=1, h=16, w=32, levels=4, b4=11 | 16
    )
    q = _native.quantize(coef.astype(np.float64), 4.0).astype("<i4")
    lp = np.arange(q.size, dtype=np.uint8) % 8
    rec = np.empty(q.size, dtype=[("q", "<i4"), ("lp", "u1")])
    rec["q"], rec["lp"] = q.reshape(-1), lp
    out["dequantize"] = pack("transform", rec.tobytes(), mode=2, h=16, w=32, b4=2, b5=128, b6=128)
    out["crc"] = pack("transform", b"123456789" * 7, mode=3, b4=9)
    # 4096 bytes and more take the slicing-by-8 path of crc32c.c
    long = np.random.default_rng(18).integers(0, 256, 4500, dtype=np.uint8).tobytes()
    out["crc_long"] = pack("transform", long, mode=3, b4=77)
    return out


# ---- the atheris target ----------------------------------------------------------------------


def _container_seeds(images: dict[str, np.ndarray]) -> dict[str, bytes]:
    ct, ramp = images["ct32"], images["ramp"]
    box = [(8, 8, 24, 24)]
    out = {
        "lossless_ct": sdwtfast.encode(ct),
        "lossless_ramp_ezw": sdwtfast.encode(ramp),
        "lossless_53": sdwtfast.encode(ct, wavelet="5/3"),
        "near_lossless": sdwtfast.encode(ct, roi_max_error=3),
        "rate_97": sdwtfast.encode(ct, roi_bpp=1.5),
        "hybrid_wavelet": sdwtfast.encode(ct, roi=box),
        "hybrid_learned": sdwtfast.encode(ct, roi=box, background="learned"),
        "hybrid_lossless_bg": sdwtfast.encode(ct, roi=box, background="lossless"),
        "hybrid_rate": sdwtfast.encode(ct, roi=box, roi_bpp=2.0),
        "frames": sdwtfast.encode(np.stack([ct[:16, :16], ct[16:, 16:]])),
        "rgb": sdwtfast.encode(np.stack([ramp, ramp // 2, 255 - ramp], axis=-1)),
        "metadata": sdwtfast.encode(ramp, metadata=b"\x00DICM header bytes"),
        "sealed_key": sdwtfast.encode(ramp, key=KEY),
        "sealed_key_frames": sdwtfast.encode(np.stack([ramp, ramp]), key=KEY),
        "ezw_lossless": ezw.encode_image(ramp),
        "ezw_rate_raw": ezw.encode_image(ct, bpp=1.0, backend="raw"),
    }
    for path in sorted(GOLDEN.glob("*.sdw*")) + sorted(GOLDEN.glob("container_*.bin")):
        out[f"golden_{path.stem}"] = path.read_bytes()
    return out


def main() -> int:
    images = _images()
    for folder in (C_CORPUS, PY_CORPUS):
        shutil.rmtree(folder, ignore_errors=True)
    seeds = {
        "ezw": _ezw_seeds(images),
        "pred": _pred_seeds(images),
        "bitmap": _bitmap_seeds(images),
        "rans": _rans_seeds(),
        "transform": _transform_seeds(images),
    }
    for target, files in seeds.items():
        for name, data in files.items():
            _write(C_CORPUS / target, name, data)
    for name, data in _container_seeds(images).items():
        _write(PY_CORPUS, name, data)
    total = sum(p.stat().st_size for d in (C_CORPUS, PY_CORPUS) for p in d.rglob("*"))
    counts = {t: len(f) for t, f in seeds.items()}
    print(f"corpus: {counts}, container {len(list(PY_CORPUS.iterdir()))}; {total} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
