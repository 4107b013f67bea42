"""Tests of sdwtfast.crypto: AES-GCM and Cobblestone-256 vectors, chunked sealing, keys."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import pickle
import stat
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from sdwtfast import crypto
from sdwtfast.errors import (
    AuthenticationError,
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    SdwtError,
    UnsupportedFormatError,
)

# --------------------------------------------------------------------------------------------
# Wycheproof vectors (C2SP/wycheproof). They live in the shared test data next to the
# repository; SDWTFAST_WYCHEPROOF_DIR names the folder (CI sets it). When that variable or CI
# is set, missing vectors FAIL the tests; only on a bare local checkout do they skip.
# --------------------------------------------------------------------------------------------

VECTOR_ENV = "SDWTFAST_WYCHEPROOF_DIR"
_HERE = Path(__file__).resolve().parent
DEFAULT_VECTOR_DIRS = [
    _HERE / "data" / "wycheproof",
    _HERE.parent.parent / "shared" / "testdata" / "wycheproof",
    Path.cwd().parent / "shared" / "testdata" / "wycheproof",
]


@dataclass(frozen=True)
class VectorsUnavailable:
    """Stands in for the cases of a vector file that could not be found."""

    reason: str
    required: bool

    def report(self) -> None:
        """Fail when the vectors are required, else skip, naming the folders searched."""
        if self.required:
            pytest.fail(self.reason, pytrace=False)
        pytest.skip(self.reason)


def vectors_required() -> bool:
    """Whether missing vectors are an error: SDWTFAST_WYCHEPROOF_DIR or CI is set."""
    return bool(os.environ.get(VECTOR_ENV) or os.environ.get("CI"))


def load_vectors(name: str) -> list[tuple[dict, dict]] | VectorsUnavailable:
    """Return the (group, test) pairs of vector file ``name``, or why they are unavailable.

    SDWTFAST_WYCHEPROOF_DIR, when set, is the only folder searched; otherwise the default
    folders next to the repository are.
    """
    env = os.environ.get(VECTOR_ENV)
    folders = [Path(env)] if env else list(DEFAULT_VECTOR_DIRS)
    for folder in folders:
        if (folder / name).is_file():
            data = json.loads((folder / name).read_text())
            cases = [(g, t) for g in data["testGroups"] for t in g["tests"]]
            if cases:
                return cases
    where = ", ".join(str(f) for f in folders)
    why = f"Wycheproof vectors {name} not found in {where}"
    if vectors_required():
        why += f" ({VECTOR_ENV} or CI is set, so the vectors are required)"
    else:
        why += f" (set {VECTOR_ENV} to the folder holding them)"
    return VectorsUnavailable(why, vectors_required())


def _cases(loaded):
    """Parametrization of a vector file: its cases, or one case that fails or skips."""
    if isinstance(loaded, VectorsUnavailable):
        return [pytest.param(loaded, None, id="vectors-unavailable")]
    return [pytest.param(g, t, id=f"tc{t['tcId']}") for g, t in loaded]


def _require_vectors(*loaded) -> None:
    for item in loaded:
        if isinstance(item, VectorsUnavailable):
            item.report()


AES_GCM = load_vectors("aes_gcm_test.json")
COBBLESTONE = load_vectors("chunked_encryption_cobblestone256_test.json")


def test_missing_vectors_fail_when_dir_env_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv(VECTOR_ENV, str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    got = load_vectors("aes_gcm_test.json")
    assert isinstance(got, VectorsUnavailable) and got.required
    assert str(tmp_path) in got.reason
    with pytest.raises(pytest.fail.Exception, match=str(tmp_path)):
        got.report()
    monkeypatch.setenv(VECTOR_ENV, str(tmp_path / "missing"))
    got = load_vectors("aes_gcm_test.json")
    assert isinstance(got, VectorsUnavailable) and got.required
    with pytest.raises(pytest.fail.Exception, match="missing"):
        got.report()


def test_missing_vectors_fail_under_ci(tmp_path, monkeypatch):
    monkeypatch.delenv(VECTOR_ENV, raising=False)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(sys.modules[__name__], "DEFAULT_VECTOR_DIRS", [tmp_path])
    got = load_vectors("chunked_encryption_cobblestone256_test.json")
    assert isinstance(got, VectorsUnavailable) and got.required
    with pytest.raises(pytest.fail.Exception, match=str(tmp_path)):
        got.report()


def test_missing_vectors_skip_with_reason_locally(tmp_path, monkeypatch):
    monkeypatch.delenv(VECTOR_ENV, raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys.modules[__name__], "DEFAULT_VECTOR_DIRS", [tmp_path])
    got = load_vectors("aes_gcm_test.json")
    assert isinstance(got, VectorsUnavailable) and not got.required
    with pytest.raises(pytest.skip.Exception, match=VECTOR_ENV):
        got.report()


def test_vector_file_without_cases_counts_as_missing(tmp_path, monkeypatch):
    (tmp_path / "aes_gcm_test.json").write_text('{"testGroups": []}')
    monkeypatch.setenv(VECTOR_ENV, str(tmp_path))
    got = load_vectors("aes_gcm_test.json")
    assert isinstance(got, VectorsUnavailable) and got.required


@pytest.mark.parametrize(("group", "tc"), _cases(AES_GCM))
def test_wycheproof_aes_gcm(group, tc):
    """AESGCM from `cryptography` (the primitive every chunk uses) on every vector."""
    _require_vectors(group)
    key, iv = bytes.fromhex(tc["key"]), bytes.fromhex(tc["iv"])
    aad, msg = bytes.fromhex(tc["aad"]), bytes.fromhex(tc["msg"])
    sealed = bytes.fromhex(tc["ct"]) + bytes.fromhex(tc["tag"])
    assert group["tagSize"] == 128
    if tc["result"] == "valid":
        aead = AESGCM(key)
        try:
            got = aead.decrypt(iv, sealed, aad)
        except ValueError as exc:  # the API refuses this nonce length: not applicable
            assert "nonce" in str(exc).lower() and not 8 <= len(iv) <= 128
            pytest.skip(f"AESGCM does not accept {len(iv)}-byte nonces")
        assert got == msg
        assert aead.encrypt(iv, msg, aad) == sealed
    else:
        with pytest.raises((InvalidTag, ValueError)):
            AESGCM(key).decrypt(iv, sealed, aad)


AES256_96 = (
    AES_GCM
    if isinstance(AES_GCM, VectorsUnavailable)
    else [(g, t) for g, t in AES_GCM if g["keySize"] == 256 and g["ivSize"] == 96]
)


@pytest.mark.parametrize(("group", "tc"), _cases(AES256_96))
def test_wycheproof_aes256gcm_open(group, tc):
    """The container's parameter set (256-bit key, 96-bit nonce) through our wrapper."""
    _require_vectors(group)
    key, iv = bytes.fromhex(tc["key"]), bytes.fromhex(tc["iv"])
    aad, msg = bytes.fromhex(tc["aad"]), bytes.fromhex(tc["msg"])
    sealed = bytes.fromhex(tc["ct"]) + bytes.fromhex(tc["tag"])
    if tc["result"] == "valid":
        assert crypto.aes256gcm_open(key, iv, sealed, aad) == msg
    else:
        with pytest.raises(AuthenticationError):
            crypto.aes256gcm_open(key, iv, sealed, aad)


def test_wycheproof_coverage():
    _require_vectors(AES_GCM, COBBLESTONE)
    assert len(AES_GCM) == 316 and len(AES256_96) == 66
    assert len(COBBLESTONE) == 35


def _cobblestone_case(tc):
    return (
        bytes.fromhex(tc["key"]),
        bytes.fromhex(tc["ctx"]),
        zlib.decompress(bytes.fromhex(tc["ct"])),
    )


def _stream_decrypt(key, ct, ctx, piece):
    """Feed ``ct`` in ``piece``-byte slices; return (plaintext emitted, error or None)."""
    emitted = bytearray()
    try:
        dec = crypto.ChunkDecryptor(key, ct[: crypto.PREFIX_SIZE], ctx)
        if len(ct) < crypto.PREFIX_SIZE:
            raise CorruptStreamError("short")
        for i in range(crypto.PREFIX_SIZE, len(ct), piece):
            emitted += dec.update(ct[i : i + piece])
        emitted += dec.finalize()
    except SdwtError as exc:
        return bytes(emitted), exc, locals().get("dec")
    return bytes(emitted), None, dec


@pytest.mark.parametrize(("group", "tc"), _cases(COBBLESTONE))
def test_wycheproof_cobblestone256(group, tc):
    _require_vectors(group)
    assert group["aead"] == "AEAD_AES_256_GCM" and group["sha"] == "SHA-512"
    key, ctx, ct = _cobblestone_case(tc)
    flags = set(tc["flags"])
    if tc["result"] == "valid":
        pt = crypto.decrypt(key, ct, ctx)
        assert len(pt) == tc["msgLength"]
        assert hashlib.sha512(pt).hexdigest() == tc["msgSha512"]
        # Re-encryption with the vector's salt reproduces the ciphertext exactly.
        assert crypto.encrypt(key, pt, ctx, salt=ct[: crypto.SALT_SIZE]) == ct
        # Raw mode: the derived AEAD key and base nonce are the published ones.
        aead_key, base_nonce, commitment = crypto.cobblestone._derive_message_keys(
            key, ct[: crypto.SALT_SIZE], ctx
        )
        assert aead_key.hex() == tc["aeadKey"] and base_nonce.hex() == tc["baseNonce"]
        assert commitment == ct[crypto.SALT_SIZE : crypto.PREFIX_SIZE]
        for piece in (1000, crypto.SEALED_CHUNK_SIZE, 3 * crypto.SEALED_CHUNK_SIZE + 7):
            out, err, _ = _stream_decrypt(key, ct, ctx, piece)
            assert err is None and out == pt
        return
    with pytest.raises((AuthenticationError, CorruptStreamError, InvalidInputError)):
        crypto.decrypt(key, ct, ctx)
    if "HeaderFailure" in flags:
        # Rejected while processing salt/commitment/key: no chunk is ever opened.
        with pytest.raises((AuthenticationError, CorruptStreamError, InvalidInputError)):
            crypto.ChunkDecryptor(key, ct[: crypto.PREFIX_SIZE], ctx)
        return
    for piece in (1000, crypto.SEALED_CHUNK_SIZE):
        out, err, dec = _stream_decrypt(key, ct, ctx, piece)
        assert isinstance(err, (AuthenticationError, CorruptStreamError))
        # A streaming decryptor may release at most the valid prefix, never more.
        if "PartialPlaintext" in flags:
            assert len(out) <= tc["msgLength"]
            if len(out) == tc["msgLength"]:
                assert hashlib.sha512(out).hexdigest() == tc["msgSha512"]
        # ... and keeps failing afterwards.
        with pytest.raises((AuthenticationError, CorruptStreamError, InvalidInputError)):
            dec.finalize()


# --------------------------------------------------------------------------------------------
# Chunked sealing
# --------------------------------------------------------------------------------------------

KEY = crypto.Key(bytes(range(32)))


@pytest.mark.parametrize("n", [0, 1, 16383, 16384, 16385, 32768, 40000])
def test_roundtrip_sizes_and_lengths(n):
    msg = os.urandom(n)
    ct = crypto.encrypt(KEY, msg, b"ctx")
    assert len(ct) == crypto.ciphertext_size(n)
    assert crypto.plaintext_size(len(ct)) == n
    assert crypto.decrypt(KEY, ct, b"ctx") == msg
    # the final chunk is always short: a chunk-aligned message ends with an empty chunk
    assert (len(ct) - crypto.PREFIX_SIZE) % crypto.SEALED_CHUNK_SIZE >= crypto.TAG_SIZE


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(0, 3 * crypto.CHUNK_SIZE + 5),
    cuts=st.lists(st.integers(0, 3 * crypto.CHUNK_SIZE + 5), max_size=6),
)
def test_incremental_matches_one_shot(size, cuts):
    msg = bytes((i * 7) & 0xFF for i in range(size))
    salt = bytes(24)
    enc = crypto.ChunkEncryptor(KEY, b"c", salt=salt)
    out = [enc.prefix]
    bounds = sorted({0, size, *(c for c in cuts if c <= size)})
    for a, b in zip(bounds, bounds[1:], strict=False):
        out.append(enc.update(memoryview(msg)[a:b]))
    out.append(enc.finalize())
    ct = b"".join(out)
    assert ct == crypto.encrypt(KEY, msg, b"c", salt=salt)
    dec = crypto.ChunkDecryptor(KEY, ct[:56], b"c")
    got = bytearray()
    for a, b in zip(bounds, bounds[1:], strict=False):
        got += dec.update(ct[56 + a : 56 + b])
    got += dec.update(ct[56 + size :])
    got += dec.finalize()
    assert got == msg


def test_stream_helpers_roundtrip():
    msg = os.urandom(100_000)
    sealed = io.BytesIO()
    n = crypto.encrypt_stream(KEY, io.BytesIO(msg), sealed, b"x")
    assert n == len(sealed.getvalue()) == crypto.ciphertext_size(len(msg))
    plain = io.BytesIO()
    crypto.decrypt_stream(KEY, io.BytesIO(sealed.getvalue()), plain, b"x")
    assert plain.getvalue() == msg
    # iterables of pieces work too
    sealed2 = io.BytesIO()
    crypto.encrypt_stream(KEY, [msg[:10], msg[10:]], sealed2, b"x")
    assert crypto.decrypt(KEY, sealed2.getvalue(), b"x") == msg


class _Trickle(io.RawIOBase):
    """A raw stream whose every read returns at most ``most`` bytes (a pipe, a socket)."""

    def __init__(self, data: bytes, most: int = 7) -> None:
        self._data, self._pos, self._most = memoryview(data), 0, most

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), self._most, len(self._data) - self._pos)
        buf[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


@pytest.mark.parametrize("n", [0, 1, 16383, 16384, 16385, 3 * 16384 + 5])
def test_decrypt_stream_survives_short_reads(n):
    """Regression: the salt/commitment prefix was read once, so a 7-byte read was 'truncated'."""
    msg = os.urandom(n)
    ct = crypto.encrypt(KEY, msg, b"ctx")
    assert _Trickle(ct).read(100) == ct[:7]  # the stream really returns short reads
    out = io.BytesIO()
    assert crypto.decrypt_stream(KEY, _Trickle(ct), out, b"ctx") == n
    assert out.getvalue() == msg


@pytest.mark.parametrize("cut", [0, 1, 7, crypto.PREFIX_SIZE - 1])
def test_decrypt_stream_short_prefix_is_truncated(cut):
    ct = crypto.encrypt(KEY, b"hello", b"ctx")
    with pytest.raises(CorruptStreamError, match="truncated"):
        crypto.decrypt_stream(KEY, _Trickle(ct[:cut]), io.BytesIO(), b"ctx")


def _chunks(ct):
    body = ct[crypto.PREFIX_SIZE :]
    s = crypto.SEALED_CHUNK_SIZE
    return ct[: crypto.PREFIX_SIZE], [body[i : i + s] for i in range(0, len(body), s)]


BAD = (AuthenticationError, CorruptStreamError)


def test_chunk_reorder_duplicate_drop_and_extension_fail():
    msg = os.urandom(3 * crypto.CHUNK_SIZE + 100)
    ct = crypto.encrypt(KEY, msg)
    pre, ch = _chunks(ct)
    assert len(ch) == 4
    variants = {
        "swap01": [ch[1], ch[0], ch[2], ch[3]],
        "dup0": [ch[0], ch[0], ch[1], ch[2], ch[3]],
        "drop1": [ch[0], ch[2], ch[3]],
        "drop_final": ch[:3],
        "final_twice": ch + [ch[3]],
        "final_moved": [ch[0], ch[3]],
    }
    for name, parts in variants.items():
        with pytest.raises(BAD):
            crypto.decrypt(KEY, pre + b"".join(parts))
            pytest.fail(name)
    for extra in (b"\x00", bytes(15), bytes(16), bytes(17), os.urandom(crypto.SEALED_CHUNK_SIZE)):
        with pytest.raises(BAD):
            crypto.decrypt(KEY, ct + extra)
    # a valid final chunk of another message with the same key is not accepted either
    other = crypto.encrypt(KEY, msg[:100])
    with pytest.raises(BAD):
        crypto.decrypt(KEY, pre + b"".join(ch[:3]) + _chunks(other)[1][0])


def test_wrong_key_and_context_fail_at_commitment():
    ct = crypto.encrypt(KEY, b"hello", b"ctx")
    with pytest.raises(AuthenticationError, match="commitment"):
        crypto.ChunkDecryptor(crypto.Key.generate(), ct[:56], b"ctx")
    with pytest.raises(AuthenticationError, match="commitment"):
        crypto.ChunkDecryptor(KEY, ct[:56], b"ctX")


def test_decryptor_keeps_failing():
    ct = bytearray(crypto.encrypt(KEY, bytes(40000)))
    ct[60] ^= 1
    dec = crypto.ChunkDecryptor(KEY, bytes(ct[:56]))
    with pytest.raises(AuthenticationError):
        dec.update(bytes(ct[56:]))
    with pytest.raises(AuthenticationError):
        dec.update(b"")
    with pytest.raises(AuthenticationError):
        dec.finalize()


def test_no_repeated_salt_or_nonce_in_100k_encryptions():
    salts, nonces = set(), set()
    n = 100_000
    for _ in range(n):
        enc = crypto.ChunkEncryptor(KEY, b"")
        enc.update(b"x")
        enc.finalize()
        salts.add(enc.salt)
        nonces.add(enc._base_nonce)
    assert len(salts) == n and len(nonces) == n


def test_chunk_nonce_counter_is_big_endian_xor():
    base = bytes.fromhex("00112233445566778899aabb")
    assert crypto.cobblestone._chunk_nonce(base, 0) == base
    assert crypto.cobblestone._chunk_nonce(base, 1).hex() == "00112233445566778899aaba"
    assert crypto.cobblestone._chunk_nonce(base, 0x100).hex() == "00112233445566778899abbb"
    with pytest.raises(LimitExceededError):
        crypto.cobblestone._chunk_nonce(base, 1 << 38)


# --------------------------------------------------------------------------------------------
# Keys and key files
# --------------------------------------------------------------------------------------------


def test_key_never_shows_its_bytes():
    raw = bytes(range(100, 132))
    k = crypto.Key(raw)
    for text in (repr(k), str(k), f"{k}", repr([k]), repr({"k": k})):
        assert raw.hex() not in text and str(raw) not in text
    assert repr(k) == "<sdwtfast Key: 256-bit, hidden>"
    with pytest.raises(TypeError):
        pickle.dumps(k)
    assert copy.deepcopy(k) is k
    assert k == crypto.Key(raw) and k != crypto.Key(bytes(32))
    with pytest.raises(TypeError):
        hash(k)
    with pytest.raises(InvalidInputError):
        crypto.Key(raw[:31])
    with pytest.raises(InvalidInputError):
        crypto.Key("not bytes")


def test_key_bytes_accepts_keys_and_bytes():
    raw = bytes(range(32))
    assert crypto.key_bytes(crypto.Key(raw)) == raw
    for form in (raw, bytearray(raw), memoryview(raw)):
        got = crypto.key_bytes(form)
        assert type(got) is bytes and got == raw
    for bad in (raw[:31], raw + b"x", "not bytes", 42):
        with pytest.raises(InvalidInputError):
            crypto.key_bytes(bad)


def test_key_file_roundtrip_permissions_and_format(tmp_path):
    path = tmp_path / "k.key"
    k = crypto.generate_key_file(path)
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text("ascii")
    line = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert len(line) == 1
    tag, hexkey, check = line[0].split(":")
    assert tag == "sdwtfast-key-v1" and len(hexkey) == 64 and len(check) == 8
    assert crypto.load_key_file(path) == k
    assert crypto.load_key_file(str(path)) == k
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.key"]  # no temp file left


def test_key_file_refuses_to_overwrite(tmp_path):
    path = tmp_path / "k.key"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        crypto.generate_key_file(path)
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.key"]


def test_key_files_are_unique(tmp_path):
    keys = [crypto.generate_key_file(tmp_path / f"{i}.key") for i in range(5)]
    assert len({k.secret_bytes() for k in keys}) == 5


def _write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)


def test_key_file_checksum_detects_typos(tmp_path):
    path = tmp_path / "k.key"
    crypto.generate_key_file(path)
    text = path.read_text()
    i = text.index("sdwtfast-key-v1:") + len("sdwtfast-key-v1:") + 5
    typo = text[:i] + ("0" if text[i] != "0" else "1") + text[i + 1 :]
    _write(path, typo)
    with pytest.raises(InvalidInputError, match="checksum") as info:
        crypto.load_key_file(path)
    hexkey = typo.split(":")[1]
    assert hexkey not in str(info.value)


@pytest.mark.parametrize(
    ("text", "exc"),
    [
        ("", InvalidInputError),
        ("hello\n", InvalidInputError),
        ("sdwtfast-key-v1:00\n", InvalidInputError),
        ("sdwtfast-key-v1:" + "zz" * 32 + ":00000000\n", InvalidInputError),
        ("sdwtfast-key-v9:" + "00" * 32 + ":00000000\n", UnsupportedFormatError),
        ("x" * 5000, InvalidInputError),
    ],
)
def test_key_file_rejects_garbage(tmp_path, text, exc):
    path = tmp_path / "bad.key"
    _write(path, text)
    with pytest.raises(exc):
        crypto.load_key_file(path)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_key_file_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "k.key"
    k = crypto.generate_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(InvalidInputError, match="chmod 600"):
        crypto.load_key_file(path)
    assert crypto.load_key_file(path, check_permissions=False) == k


# --------------------------------------------------------------------------------------------
# Passphrases
# --------------------------------------------------------------------------------------------

FAST = crypto.Argon2Params(memory_kib=64, iterations=1, lanes=1)


def test_passphrase_kdf_is_deterministic_and_normalized():
    salt = bytes(16)
    a = crypto.derive_passphrase_key("caf\u00e9", salt, FAST)
    b = crypto.derive_passphrase_key("cafe\u0301", salt, FAST)  # same text, NFD
    assert a == b
    assert a != crypto.derive_passphrase_key("cafe", salt, FAST)
    assert a != crypto.derive_passphrase_key("caf\u00e9", bytes(15) + b"\x01", FAST)
    with pytest.raises(InvalidInputError):
        crypto.derive_passphrase_key("", salt, FAST)
    with pytest.raises(InvalidInputError):
        crypto.derive_passphrase_key("x", bytes(8), FAST)


@pytest.mark.parametrize(
    "params",
    [
        crypto.Argon2Params(memory_kib=(1 << 20) + 1, iterations=1, lanes=1),
        crypto.Argon2Params(memory_kib=1 << 30, iterations=3, lanes=4),
        crypto.Argon2Params(memory_kib=65536, iterations=10**6, lanes=4),
        crypto.Argon2Params(memory_kib=65536, iterations=3, lanes=0),
        crypto.Argon2Params(memory_kib=65536, iterations=0, lanes=1),
        crypto.Argon2Params(memory_kib=7, iterations=1, lanes=1),
        crypto.Argon2Params(memory_kib=1 << 20, iterations=16, lanes=1),  # work cap
    ],
)
def test_absurd_argon2_parameters_are_refused_before_running(params, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("KDF must not run")

    monkeypatch.setattr(crypto.kdf, "Argon2id", boom)
    with pytest.raises(LimitExceededError):
        params.check()
    with pytest.raises(LimitExceededError):
        crypto.derive_passphrase_key("pw", bytes(16), params)


def test_default_argon2_parameters_are_within_bounds():
    crypto.Argon2Params().check()
    assert crypto.Argon2Params().memory_kib >= 65536


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and O_NOFOLLOW are POSIX")
def test_key_file_fifo_and_symlink_are_refused_without_blocking(tmp_path):
    import threading

    fifo = tmp_path / "k.fifo"
    os.mkfifo(fifo, 0o600)
    done = []

    def load():
        try:
            crypto.load_key_file(fifo)
        except InvalidInputError:
            done.append("refused")

    t = threading.Thread(target=load, daemon=True)
    t.start()
    t.join(10)
    assert done == ["refused"], "load_key_file blocked on a FIFO"
    real = tmp_path / "real.key"
    crypto.generate_key_file(real)
    link = tmp_path / "link.key"
    link.symlink_to(real)
    with pytest.raises(InvalidInputError, match="symbolic link"):
        crypto.load_key_file(link)
    assert crypto.load_key_file(real) is not None
