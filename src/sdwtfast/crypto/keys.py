"""The :class:`Key` type and :func:`key_bytes`, which turns any accepted key into its bytes."""

from __future__ import annotations

import hmac
import secrets

from ..errors import InvalidInputError
from .constants import KEY_SIZE

__all__ = ["BytesLike", "KeyLike", "Key", "key_bytes"]

BytesLike = bytes | bytearray | memoryview
"""A bytes-like object (anything ``memoryview`` accepts, in practice)."""


class Key:
    """A 256-bit secret key whose bytes never appear in ``repr``, ``str`` or pickles.

    Parameters
    ----------
    secret : bytes-like
        Exactly 32 bytes of uniformly random key material.

    Raises
    ------
    InvalidInputError
        If ``secret`` is not 32 bytes.

    Examples
    --------
    >>> k = Key.generate()
    >>> repr(k)
    '<sdwtfast Key: 256-bit, hidden>'
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: BytesLike) -> None:
        try:
            raw = bytes(memoryview(secret).cast("B"))
        except TypeError:
            raise InvalidInputError("a key must be bytes-like") from None
        if len(raw) != KEY_SIZE:
            raise InvalidInputError(f"a key must be {KEY_SIZE} bytes, got {len(raw)}")
        self._secret = raw

    @classmethod
    def generate(cls) -> Key:
        """Return a fresh key from the operating system's CSPRNG.

        Returns
        -------
        Key
        """
        return cls(secrets.token_bytes(KEY_SIZE))

    def secret_bytes(self) -> bytes:
        """Return the raw key material. Handle with care: never log or print it.

        Returns
        -------
        bytes
            The 32 key bytes.
        """
        return self._secret

    def __repr__(self) -> str:
        return "<sdwtfast Key: 256-bit, hidden>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Key):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):  # noqa: D105 - refuse accidental persistence of key material
        raise TypeError("sdwtfast Key objects cannot be pickled")

    def __copy__(self) -> Key:
        return self

    def __deepcopy__(self, memo: dict) -> Key:
        return self


KeyLike = Key | bytes | bytearray | memoryview
"""What every function taking a key accepts: a :class:`Key` or its 32 bytes."""


def key_bytes(key: KeyLike) -> bytes:
    """Return the 32 raw bytes of a key given as a :class:`Key` or as bytes.

    Parameters
    ----------
    key : Key or bytes-like
        A :class:`Key`, or exactly 32 bytes of key material.

    Returns
    -------
    bytes
        The key material. Handle with care: never log or print it.

    Raises
    ------
    InvalidInputError
        ``key`` is neither a :class:`Key` nor bytes-like, or is not 32 bytes long.
    """
    if isinstance(key, Key):
        return key._secret
    try:
        raw = bytes(memoryview(key).cast("B"))
    except TypeError:
        raise InvalidInputError("key must be a sdwtfast Key or 32 bytes") from None
    if len(raw) != KEY_SIZE:
        raise InvalidInputError(f"a key must be {KEY_SIZE} bytes, got {len(raw)}")
    return raw
