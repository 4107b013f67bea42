"""Encryption benchmark: what encrypting a container costs, and its memory on huge payloads.

Run from outside the repository against the installed package::

    python bench/bench_crypto.py            # about 30 s; --quick for a smoke run

It reports, for a real 512x512 CT (pydicom-data ``693_UNCR``) encoded with the EZW coder:

1. size: plain vs key-encrypted container, overhead in bytes and percent;
2. time: encode (EZW) + pack, plain vs encrypted, overhead in percent of the encode;
3. throughput of Cobblestone-256 sealing/opening, and the Argon2id cost of a passphrase;
4. a 256 MiB payload streamed to a file and back (``container.write`` / ``container.read``),
   in a fresh process: peak RSS beyond the payload, and traced Python allocations.

Times are the best of N ``time.perf_counter`` runs; ratios within one run are what counts.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CHUNK = 16400  # one sealed chunk (16 KiB + tag)


def best(fn, n: int) -> float:
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def ct_case(quick: bool) -> None:
    """Encryption overhead on the real pipeline (sdwtfast.encode): size, and the cost of
    sealing measured as pack(encrypted) - pack(plain) on the same header and sections (the
    whole-encode difference is below the noise of this machine), against the encode time."""
    import devimages

    import sdwtfast
    from sdwtfast import container as C
    from sdwtfast import crypto

    img = devimages.load("693_UNCR").image
    key = crypto.Key.generate()
    n = 3 if quick else 15
    h, w = img.shape
    box = [(h // 4, w // 4, h // 4 + h // 2, w // 4 + w // 2)]
    print(f"image: {devimages.LABELS['693_UNCR']} {img.shape} {img.dtype}\n")
    print(
        "| case | plain B | encrypted B | +bytes | +size | sdwtfast.encode | pack plain |"
        " pack encrypted | +time | decode plain | decode encrypted |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    cases = (
        ("lossless (default)", {}),
        ("9/7 EZW 1.0 bpp", {"roi_bpp": 1.0}),
        ("9/7 EZW 0.25 bpp", {"roi_bpp": 0.25}),
        ("hybrid: box ROI lossless + wavelet", {"roi": box}),
    )
    for label, kw in cases:
        plain = sdwtfast.encode(img, **kw)
        sealed = sdwtfast.encode(img, key=key, **kw)
        assert (sdwtfast.decode(sealed, key=key) == sdwtfast.decode(plain)).all()
        header, sections = C.unpack(plain)
        t_enc = best(lambda kw=kw: sdwtfast.encode(img, **kw), n)
        t_plain = best(lambda h=header, s=sections: C.pack(h, s), 10 * n)
        t_key = best(lambda h=header, s=sections: C.pack(h, s, key=key), 10 * n)
        d_plain = best(lambda b=plain: sdwtfast.decode(b), n)
        d_key = best(lambda b=sealed: sdwtfast.decode(b, key=key), n)
        extra = len(sealed) - len(plain)
        print(
            f"| {label} | {len(plain):,} | {len(sealed):,} | {extra} | "
            f"{100 * extra / len(plain):.2f}% | {t_enc * 1e3:.2f} ms | {t_plain * 1e3:.3f} ms |"
            f" {t_key * 1e3:.3f} ms | {100 * (t_key - t_plain) / t_enc:.2f}% | "
            f"{d_plain * 1e3:.2f} ms | {d_key * 1e3:.2f} ms |"
        )
    print(
        "\n+size = extra bytes / plain container; +time = (pack encrypted - pack plain) / "
        f"sdwtfast.encode; best of {n} (encode, decode) and {10 * n} (pack) runs"
    )


def throughput(quick: bool) -> None:
    from sdwtfast import crypto

    key = crypto.Key.generate()
    data = os.urandom(1 << 20) * (16 if quick else 64)
    ct = crypto.encrypt(key, data)
    te = best(lambda: crypto.encrypt(key, data), 3)
    td = best(lambda: crypto.decrypt(key, ct), 3)
    mib = len(data) / (1 << 20)
    print(
        f"\nCobblestone-256 on {mib:.0f} MiB: seal {mib / te:.0f} MiB/s, open {mib / td:.0f} MiB/s"
    )
    salt = bytes(16)
    for p in (crypto.Argon2Params(), crypto.Argon2Params(memory_kib=19456, iterations=2, lanes=1)):
        t = best(
            lambda p=p: crypto.derive_passphrase_key("a passphrase", salt, p), 1 if quick else 3
        )
        print(f"Argon2id m={p.memory_kib} KiB t={p.iterations} p={p.lanes}: {t * 1e3:.0f} ms")


def roundtrip_child(size_mib: int, traced: bool) -> None:
    """In a fresh process: stream ``size_mib`` MiB through an encrypted container and back."""
    from sdwtfast import container as C
    from sdwtfast import crypto

    key = crypto.Key.generate()
    size = size_mib << 20
    payload = os.urandom(1 << 20) * size_mib
    digest = hashlib.sha256(payload).digest()
    header = C.Header(width=16384, height=16384, dtype="uint8", bit_depth=8)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # payload resident
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "big.sdwt")
        if traced:
            tracemalloc.start()
        t0 = time.perf_counter()
        with open(path, "wb") as f:
            C.write(f, header, [C.Section(C.SectionType.ROI, payload)], key=key)
        t_write = time.perf_counter() - t0
        write_peak = tracemalloc.get_traced_memory()[1] if traced else 0
        file_size = os.path.getsize(path)
        del payload
        if traced:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        with open(path, "rb") as f:
            _, sections = C.read(f, key=key)
        t_read = time.perf_counter() - t0
        read_peak = tracemalloc.get_traced_memory()[1] - base - size if traced else 0
        if traced:
            tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert hashlib.sha256(sections[0].data).digest() == digest
    assert 0 < file_size - size < size // 500 + 4096
    if traced:
        print(
            f"  traced allocations beyond the payload: write {write_peak / 1024:.0f} KiB, "
            f"read {read_peak / 1024:.0f} KiB ({max(write_peak, read_peak) / CHUNK:.1f} "
            f"sealed chunks)"
        )
    else:
        print(
            f"  {size_mib} MiB payload, file {file_size} B (+{file_size - size} B): "
            f"write {size_mib / t_write:.0f} MiB/s, read {size_mib / t_read:.0f} MiB/s"
        )
        print(
            f"  peak RSS {rss1 / 2**20:.1f} MiB with the payload resident at "
            f"{rss0 / 2**20:.1f} MiB: +{(rss1 - rss0) / 2**20:.2f} MiB beyond the payload"
        )


def roundtrip(quick: bool) -> None:
    size = 32 if quick else 256
    print(f"\nStreaming round trip of a {size} MiB payload (encrypted, fresh processes):")
    for traced in (False, True):
        cmd = [sys.executable, __file__, "--child", str(size)] + (["--traced"] if traced else [])
        subprocess.run(cmd, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 32 MiB round trip")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        roundtrip_child(args.child, args.traced)
        return
    import cryptography

    import sdwtfast

    print(
        f"sdwtfast {sdwtfast.__version__} ({os.path.dirname(sdwtfast.__file__)}), "
        f"cryptography {cryptography.__version__}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs\n"
    )
    ct_case(args.quick)
    throughput(args.quick)
    roundtrip(args.quick)


if __name__ == "__main__":
    main()
