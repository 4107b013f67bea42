"""The size a container will have, without encrypting (or deriving a key for) anything.

Rate control budgets the whole file (``roi_bpp``): the encoder needs the exact size of the
header, the section records and, when sealed, the encryption's prefix and chunk tags, before
it decides how many bytes the ROI stream may take.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import crypto
from .body import body_pieces, validate_sections
from .constants import KEY_SOURCE_KEY, KEY_SOURCE_PASSPHRASE
from .header import encode_header, encode_image, encode_sealed_header
from .schema import Encryption, Header, Section, SectionType, minor_version

__all__ = ["packed_size", "sealing"]


def sealing(key: object, passphrase: object) -> str | None:
    """The ``encryption`` of :func:`packed_size` for a ``pack(..., key=, passphrase=)``."""
    if key is None and passphrase is None:
        return None
    return "key" if passphrase is None else "passphrase"


def packed_size(
    header: Header, sections: Iterable[Section], *, encryption: str | None = None
) -> int:
    """The length of ``pack(header, sections, ...)``.

    Parameters
    ----------
    header : Header
    sections : iterable of Section
    encryption : {None, "key", "passphrase"}
        How the container is sealed (None: plain). The size does not depend on the key, the
        passphrase or the Argon2id cost.

    Returns
    -------
    int
    """
    secs = validate_sections(sections)
    if encryption is None:
        body = sum(len(p) for p in body_pieces(secs))
        return len(encode_header(header, None, minor_version(secs))) + body
    if encryption == "passphrase":
        enc = Encryption(
            KEY_SOURCE_PASSPHRASE,
            crypto.Argon2Params(),
            bytes(crypto.KDF_SALT_SIZE),
            bytes(crypto.KEY_CHECK_SALT_SIZE),
            bytes(crypto.KEY_CHECK_SIZE),
        )
    elif encryption == "key":
        enc = Encryption(
            KEY_SOURCE_KEY,
            None,
            b"",
            bytes(crypto.KEY_CHECK_SALT_SIZE),
            bytes(crypto.KEY_CHECK_SIZE),
        )
    else:
        raise ValueError(f"encryption must be None, 'key' or 'passphrase', not {encryption!r}")
    sealed = body_pieces([Section(SectionType.HEADER, encode_image(header)), *secs])
    body = sum(len(p) for p in sealed)
    return len(encode_sealed_header(enc)) + crypto.ciphertext_size(body)  # with prefix
