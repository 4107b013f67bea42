#!/usr/bin/env python3
"""Atheris (libFuzzer for Python) target: the container parser, ``sdwtfast.decode`` /
``info`` / ``metadata`` / ``roi_mask`` and the stand-alone EZW stream decoder, held to the
error contract of :mod:`contract` (return, or raise an ``SdwtError`` subclass).

    python tests/fuzz/fuzz_container.py -max_total_time=60 CORPUS_DIR     # libFuzzer flags

``csrc/fuzz/run.sh`` runs it on a copy of ``tests/fuzz/corpus/``; a finding is saved by
libFuzzer (``-artifact_prefix``) and belongs in ``tests/fuzz/crashers/``, which
``tests/test_fuzz_replay.py`` replays.

Every section carries a CRC32C, so byte-level mutations of a container mostly stop at the
first checksum. Half of the mutations are therefore structured (:func:`custom_mutator`): a
plain container is unpacked, one section's payload or one header field is mutated, and the
container is packed again with valid checksums, so that the mutants reach the decoders.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import random
import sys

import atheris

with atheris.instrument_imports(include=["sdwtfast"]):
    import sdwtfast

    # the package imports most modules lazily: load them here so that they are instrumented
    for _m in pkgutil.walk_packages(sdwtfast.__path__, "sdwtfast."):
        if _m.name not in ("sdwtfast.train_background", "sdwtfast.cli", "sdwtfast.devset"):
            try:
                importlib.import_module(_m.name)
            except ImportError:  # an optional dependency (dask, zarr) is missing
                pass

from contract import check  # noqa: E402  (tests/fuzz is the script's folder)

from sdwtfast import container  # noqa: E402
from sdwtfast.errors import SdwtError  # noqa: E402

_HEADER_INTS = ("width", "height", "levels", "bit_depth")


def _nudge(rng: random.Random, v: int) -> int:
    return v + rng.choice((-1, 1, -2, 2, rng.randint(-(1 << 16), 1 << 16), -v, 1 << 31))


def _mutated_header(rng: random.Random, hdr: container.Header) -> container.Header:
    ints = [k for k, v in hdr.params.items() if isinstance(v, int) and not isinstance(v, bool)]
    if ints and rng.random() < 0.7:
        k = rng.choice(ints)
        return dataclasses.replace(hdr, params={**hdr.params, k: _nudge(rng, hdr.params[k])})
    k = rng.choice(_HEADER_INTS)
    return dataclasses.replace(hdr, **{k: max(0, _nudge(rng, getattr(hdr, k)))})


def _structured(data: bytes, max_size: int, seed: int) -> bytes | None:
    """A mutant of the plain container ``data`` with valid checksums, or None."""
    try:
        hdr, secs = container.unpack(data)
    except SdwtError:
        return None
    rng = random.Random(seed)
    try:
        if secs and rng.random() < 0.6:
            k = rng.randrange(len(secs))
            s = secs[k]
            payload = atheris.Mutate(bytes(s.data), max(16, 2 * len(s.data)))
            secs[k] = container.Section(s.type, payload, s.optional)
        else:
            hdr = _mutated_header(rng, hdr)
        out = container.pack(hdr, secs)
    except Exception:  # noqa: BLE001  the writer refusing a mutant is no finding: mutate bytes
        return None
    return out if len(out) <= max_size else None


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    if seed % 2 == 0:
        out = _structured(data, max_size, seed)
        if out is not None:
            return out
    return atheris.Mutate(data, max_size)


def test_one_input(data: bytes) -> None:
    check(data)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
