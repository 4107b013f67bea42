"""The architecture's rules, as tests: one set of limits, a membrane without policy, one status
mapping, exact input conversion, short functions, no reaching into other modules' privates."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import sdwtfast
from sdwtfast import _native, coders, limits, pyramid, validate
from sdwtfast.errors import (
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    NativeError,
    OutOfMemoryError,
    SdwtError,
)

PACKAGE = Path(sdwtfast.__file__).parent


# ---- one set of limits, checked against the C core -----------------------------------------


def test_limits_match_the_c_core():
    assert limits.MAX_SIDE == _native.MAX_SIDE
    assert limits.MAX_PIXELS <= _native.MAX_PIXELS
    assert limits.MAX_LEVELS == _native.MAX_LEVELS
    assert limits.MAX_CODED_LEVELS <= limits.MAX_LEVELS
    assert limits.MAX_PLANE == _native.EZW_MAX_PLANE
    assert limits.PRED_MAX_VALUE == _native.PRED_MAX_VALUE
    from sdwtfast.reference import pred as ref_pred

    assert ref_pred.PRED_MAX_PIXELS_PER_BYTE == _native.PRED_MAX_PIXELS_PER_BYTE
    assert pyramid.BACKENDS == {"raw": _native.EZW_RAW, "arith": _native.EZW_ARITH}
    for h, w in ((1, 1), (3, 700), (4096, 5), (1 << 20, 1)):
        assert validate.max_levels(h, w) == _native.max_levels(h, w)


def test_status_codes_come_from_the_header():
    names = [
        "OK",
        "EINVAL",
        "ENOMEM",
        "EOVERFLOW",
        "ELIMIT",
        "EBUFSIZE",
        "ECORRUPT",
        "ERANGE",
        "ETRUNCATED",
    ]
    assert [getattr(_native, n) for n in names] == list(range(9))
    assert "memory" in _native.strerror(_native.ENOMEM).lower()


# ---- one status mapping, every error an SdwtError ------------------------------------------


def test_status_mapping_is_total_and_typed():
    cases = {
        _native.ENOMEM: OutOfMemoryError,
        _native.EOVERFLOW: LimitExceededError,
        _native.ELIMIT: LimitExceededError,
        _native.ECORRUPT: CorruptStreamError,
        _native.ETRUNCATED: CorruptStreamError,
        _native.EINVAL: NativeError,
        _native.ERANGE: NativeError,
    }
    for status, cls in cases.items():
        exc = _native.status_exception(status, "where")
        assert type(exc) is cls and isinstance(exc, SdwtError), status
        assert str(exc).startswith("where: ")
    oom = _native.status_exception(_native.ENOMEM, "x")
    assert isinstance(oom, MemoryError) and isinstance(oom, LimitExceededError)
    # decoding data: a value out of range means corrupt data; EINVAL stays an argument error
    assert type(_native.status_exception(_native.ERANGE, "x", True)) is CorruptStreamError
    assert type(_native.status_exception(_native.EINVAL, "x", True)) is NativeError
    assert _native.status_exception(_native.EINVAL, "x").status == _native.EINVAL


def test_inverse_transform_of_impossible_coefficients_is_corrupt():
    with pytest.raises(CorruptStreamError):
        _native.lift53_inverse(np.full((4, 4), (1 << 30) - 1, np.int32), 2)


# ---- the membrane converts exactly or refuses ----------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        np.array([[1.7, 2.0]]),
        np.array([[True, False]]),
        np.array([[1 << 40, 0]], np.int64),
        np.array([[0, 1 << 31]], np.uint32),
    ],
)
def test_membrane_never_casts_silently(bad):
    for fn in (
        lambda: _native.lift53_forward(bad, 1),
        lambda: _native.lift53_inverse(bad, 1),
        lambda: _native.pred_encode(bad, 8, 1024),
        lambda: _native.ezw_encode(bad, 0),
    ):
        with pytest.raises(InvalidInputError):
            fn()


def test_membrane_takes_exact_wider_integers():
    x = np.array([[3, -7], [100, 0]], np.int64)
    assert np.array_equal(
        _native.lift53_forward(x, 1), _native.lift53_forward(x.astype(np.int32), 1)
    )


def test_ezw_output_buffer_is_caller_sized():
    c = np.random.default_rng(1).integers(-999, 999, (32, 32)).astype(np.int32)
    full = _native.ezw_encode(c, 3)
    assert _native.ezw_encode(c, 3, cap=len(full[0]) - 1) is None  # never grows on its own
    assert _native.ezw_encode(c, 3, cap=len(full[0])) == full
    assert pyramid.ezw_encode(_native, c, 3, None) == (full[0], full[1])


def test_ezw_pyramid_refuses_values_that_would_wrap():
    with pytest.raises(InvalidInputError):
        sdwtfast.ezw.encode_pyramid(np.array([[(1 << 32) + 5, 0]], np.int64), 0)


# ---- images: exact or refused (defect 1 of the architecture issue) -------------------------


def test_int32_spanning_int16_and_uint16_is_refused_not_wrapped():
    x = np.array([[-1, 40000], [5, 7]], np.int32)
    with pytest.raises(InvalidInputError, match="fit neither"):
        sdwtfast.encode(x)
    with pytest.raises(InvalidInputError):
        sdwtfast.ezw.encode_image(x)


@pytest.mark.parametrize(
    "dtype,values,stored",
    [
        (">u2", [0, 65535], np.uint16),
        (">i2", [-32768, 32767], np.int16),
        ("<i8", [-5, 30000], np.int16),
        ("<u4", [0, 65535], np.uint16),
        ("<i4", [0, 255], np.uint16),
        ("<i1", [-128, 127], np.int16),
        ("u1", [0, 255], np.uint8),
    ],
)
def test_any_integer_dtype_that_fits_is_coded_exactly(dtype, values, stored):
    rng = np.random.default_rng(0)
    x = rng.integers(values[0], values[1], (19, 23), endpoint=True).astype(dtype)
    x[0, 0], x[0, 1] = values
    for kw in ({}, {"roi": [(2, 2, 10, 12)], "roi_max_error": 1}):
        out = sdwtfast.decode(sdwtfast.encode(x, **kw))
        assert out.dtype == stored
        if not kw:
            assert np.array_equal(out.astype(np.int64), x.astype(np.int64))


# ---- the registry --------------------------------------------------------------------------


def test_every_background_name_has_its_coder():
    assert set(coders.BACKGROUNDS) == set(coders.BACKGROUND_CODERS)
    with pytest.raises(InvalidInputError, match="wavelet"):
        sdwtfast.encode(np.zeros((16, 16), np.uint8), roi=[(0, 0, 8, 8)], background="jpeg")
    for c in coders.ROI_CODERS:
        assert coders.roi_decoder(c.section, sorted(c.modes)[0]) is not None
    with pytest.raises(CorruptStreamError):
        coders.background_coder("jpeg", decoding=True)


# ---- code shape ----------------------------------------------------------------------------


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "reference" in path.parts or path.name == "train_background.py":
            continue  # the reference twin and training are exempt (issue 10)
        yield path, ast.parse(path.read_text())


def _code_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function from its signature to its end, its docstring left out."""
    body = fn.body
    doc = (
        body[0]
        if body
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
        and isinstance(body[0].value.value, str)
        else None
    )
    n = fn.end_lineno - fn.lineno + 1
    return n - (doc.end_lineno - doc.lineno + 1 if doc is not None else 0)


def test_no_function_longer_than_80_lines():
    long = [
        f"{p.relative_to(PACKAGE)}:{n.name} ({_code_lines(n)})"
        for p, tree in _sources()
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(n) > 80
    ]
    assert not long, long


def test_encode_and_decode_are_short():
    tree = ast.parse((PACKAGE / "api.py").read_text())
    sizes = {n.name: _code_lines(n) for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert sizes["encode"] <= 60 and sizes["decode"] <= 60, sizes


def test_no_module_reaches_into_another_modules_privates():
    """``mod._name`` where ``mod`` is another module of the package (the membranes, whose
    names start with an underscore, are modules in their own right and allowed)."""
    allowed_modules = {"_native", "_entropy"}
    found = []
    for path, tree in _sources():
        imported = {
            a.asname or a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.level > 0
            for a in n.names
        }
        for n in ast.walk(tree):
            if (
                isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and n.value.id in imported
                and n.value.id not in allowed_modules
                and n.attr.startswith("_")
                and not n.attr.startswith("__")
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{n.lineno} {n.value.id}.{n.attr}")
            if isinstance(n, ast.ImportFrom) and n.level > 0:
                found += [
                    f"{path.relative_to(PACKAGE)}:{n.lineno} import {a.name}"
                    for a in n.names
                    if a.name.startswith("_")
                    and a.name not in allowed_modules
                    and not a.name.startswith("__")
                ]
    assert not found, found


@pytest.mark.parametrize("module", ["_native", "_entropy"])
def test_stubs_match_the_extension(module):
    """The ``.pyi`` stub of each extension module names exactly its public functions and
    constants (``py.typed`` ships beside them)."""
    import importlib

    mod = importlib.import_module(f"sdwtfast.{module}")
    stub = ast.parse((PACKAGE / f"{module}.pyi").read_text())
    declared = {n.name for n in stub.body if isinstance(n, ast.FunctionDef)}
    declared |= {n.target.id for n in stub.body if isinstance(n, ast.AnnAssign)}

    def own(name: str) -> bool:
        v = getattr(mod, name)
        return isinstance(v, int) or getattr(v, "__module__", None) == mod.__name__

    runtime = {n for n in dir(mod) if not n.startswith("_") and own(n)}
    assert declared == runtime
    assert (PACKAGE / "py.typed").exists()


def test_wrong_types_and_values_raise_sdwt_errors():
    """A table of wrong arguments to the public functions: each raises an SdwtError subclass
    (never TypeError, OverflowError, struct.error or a bare MemoryError)."""
    from sdwtfast import background, container, crypto, dicom, ezw, nifti, zarrcodec

    img = np.zeros((8, 8), np.uint8)
    blob = sdwtfast.encode(img)
    calls = {
        "encode(None)": lambda: sdwtfast.encode(None),
        "encode('abc')": lambda: sdwtfast.encode("abc"),
        "encode(roi_bpp=1e20)": lambda: sdwtfast.encode(img, roi_bpp=1e20),
        "encode(metadata=str)": lambda: sdwtfast.encode(img, metadata="x"),
        "encode(samples=0)": lambda: sdwtfast.encode(img[None], samples=0),
        "decode(None)": lambda: sdwtfast.decode(None),
        "decode(str)": lambda: sdwtfast.decode("abc"),
        "decode(frame=2)": lambda: sdwtfast.decode(blob, frame=2),
        "info(None)": lambda: sdwtfast.info(None),
        "info(str)": lambda: sdwtfast.info("abc"),
        "info(int)": lambda: sdwtfast.info(12),
        "metadata(None)": lambda: sdwtfast.metadata(None),
        "ezw.encode_image(bpp=1e300)": lambda: ezw.encode_image(img, bpp=1e300),
        "ezw.truncate(None)": lambda: ezw.truncate(None, 1),
        "ezw.truncate(n='1')": lambda: ezw.truncate(ezw.encode_image(img), "1"),
        "ezw.decode_pyramid(shape<0)": lambda: ezw.decode_pyramid(b"", (-1, 5), 0, 0),
        "ezw.encode_pyramid(2^32+5)": lambda: ezw.encode_pyramid(
            np.array([[(1 << 32) + 5]], np.int64), 0
        ),
        "background.decode(None)": lambda: background.decode(None),
        "background.decode(max_pixels=True)": lambda: background.decode(b"x", max_pixels=True),
        "ezw.decode_image(max_pixels='1')": lambda: ezw.decode_image(
            ezw.encode_image(img), max_pixels="1"
        ),
        "decode(key=str)": lambda: sdwtfast.decode(blob, key="not a key"),
        "decode(key=short)": lambda: sdwtfast.decode(
            sdwtfast.encode(img, key=crypto.Key.generate()), key=b"short"
        ),
        "info(key=int)": lambda: sdwtfast.info(
            sdwtfast.encode(img, key=crypto.Key.generate()), key=5
        ),
        "info(passphrase=int)": lambda: sdwtfast.info(
            sdwtfast.encode(img, key=crypto.Key.generate()), passphrase=5
        ),
        "container.unpack(None)": lambda: container.unpack(None),
        "container.read_header(b'')": lambda: container.read_header(b""),
        "crypto.load_key_file(None)": lambda: crypto.load_key_file(None),
        "dicom.read(None)": lambda: dicom.read(None),
        "dicom.read(missing)": lambda: dicom.read("/nonexistent/x.dcm"),
        "dicom.encode_dataset(12)": lambda: dicom.encode_dataset(12),
        "dicom.decode_to_dataset(None)": lambda: dicom.decode_to_dataset(None),
        "dicom.decode_to_dataset(not DICOM)": lambda: dicom.decode_to_dataset(blob),
        "nifti.read(None)": lambda: nifti.read(None),
        "nifti.decode_to_nifti(b'x')": lambda: nifti.decode_to_nifti(b"x"),
        "archive(None, None)": lambda: sdwtfast.archive(None, None, progress=None),
        "archive(missing)": lambda: sdwtfast.archive("/nonexistent", "/tmp/x", progress=None),
        "verify(None)": lambda: sdwtfast.verify(None, progress=None),
        "verify(not an archive)": lambda: sdwtfast.verify("/nonexistent", progress=None),
        "restore(None, None)": lambda: sdwtfast.restore(None, None),
        "Sdwtfast().decode(None)": lambda: zarrcodec.Sdwtfast().decode(None),
        "Sdwtfast().encode(float)": lambda: zarrcodec.Sdwtfast().encode(np.zeros((4, 4))),
        "Sdwtfast(roi_max_error='a')": lambda: zarrcodec.Sdwtfast(roi_max_error="a"),
    }
    wrong = {}
    for name, call in calls.items():
        try:
            call()
            wrong[name] = "no exception"
        except SdwtError:
            pass
        except Exception as exc:  # noqa: BLE001 - the finding this test is for
            wrong[name] = f"{type(exc).__name__}: {exc}"
    assert wrong == {}


def test_declared_size_is_capped_before_decoding(ct):
    """A container declaring more samples than ``max_pixels`` is refused at once, before its
    body is read; legitimate images below the default decode; the cap can be raised."""
    import time

    from sdwtfast import container as C

    hdr = C.Header(
        width=16384,
        height=16384,
        dtype="uint16",
        bit_depth=12,
        signed=False,
        mode="lossless",
        wavelet="5/3",
        levels=5,
        params={"vmin": 0, "vmax": 7, "dc": 3, "roi.top": 2},
    )
    bomb = C.pack(hdr, [C.Section(C.SectionType.ROI, b"\x00" * 40)])
    assert len(bomb) < 200
    t = time.process_time()
    with pytest.raises(LimitExceededError, match="max_pixels"):
        sdwtfast.decode(bomb)
    assert time.process_time() - t < 5  # generous: refused from the header alone
    img = np.zeros((8, 8), np.uint8)
    with pytest.raises(LimitExceededError):
        sdwtfast.decode(sdwtfast.encode(img), max_pixels=63)
    assert sdwtfast.decode(sdwtfast.encode(img), max_pixels=64).shape == (8, 8)
    stack = np.zeros((4, 8, 8), np.uint8)
    with pytest.raises(LimitExceededError):
        sdwtfast.decode(sdwtfast.encode(stack), max_pixels=255)
    for bad in (0, -1, 1 << 40, 2.5, True):
        with pytest.raises(InvalidInputError):
            sdwtfast.decode(sdwtfast.encode(img), max_pixels=bad)
