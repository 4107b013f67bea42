"""Adaptive binary range coder, pure Python (specification of ``csrc/arith.c``).

The coder is LZMA's carry-less range coder: a 32-bit ``range``, a 64-bit ``low`` whose bit 32
is a pending carry, and a cached byte plus a count of pending ``0xFF`` bytes so that a carry can
still ripple into bytes that were not written yet. Bytes come out most significant first. The
LZMA construction always starts with a zero byte; it carries no information and is dropped, so
a decoder starts by reading 4 bytes instead of 5.

Probabilities are 16-bit estimates of P(bit == 0). Each context keeps two of them, a fast one
(adaptation shift 4) and a slow one (shift 7); the coder uses their average, clamped to
[64, 65472] so that neither symbol ever becomes impossible. Everything is integer arithmetic,
so every machine produces and reads the same bytes.

Embedding rule. The decoder reads 4 bytes at start and one byte per renormalisation shift, and
the encoder shifts at exactly the same points, so before the k-th decision both sides know
``n_k = 4 + shifts``: the number of stream bytes the decoder has consumed when it takes that
decision. A decision is decodable from any prefix of at least ``n_k`` bytes. An encoder with a
byte budget therefore stops before the first decision with ``n_k > budget`` and keeps the first
``budget`` bytes of its flushed output; a decoder given ``L`` bytes stops before the first
decision with ``n_k > L``.

Python integers are unbounded, so every place where the C code relies on a fixed width
(``uint32_t`` code register, ``uint8_t`` bytes) masks explicitly.
"""

from __future__ import annotations

__all__ = ["ArithEncoder", "ArithDecoder", "P_HALF"]

TOP = 1 << 24  # renormalise while range < 2^24
PMIN = 64
PMAX = 65536 - 64
P_HALF = 32768  # initial estimate: P(0) = 1/2
MASK32 = 0xFFFFFFFF


class _Contexts:
    """A table of adaptive contexts, each holding a fast and a slow P(0) estimate."""

    __slots__ = ("fast", "slow")

    def __init__(self, n: int) -> None:
        self.fast = [P_HALF] * n
        self.slow = [P_HALF] * n

    def p0(self, k: int) -> int:
        """Clamped average of the two estimates of context ``k``, P(0) * 65536."""
        p = (self.fast[k] + self.slow[k]) >> 1
        return PMIN if p < PMIN else (PMAX if p > PMAX else p)

    def update(self, k: int, bit: int) -> None:
        """Moves both estimates of context ``k`` towards the bit just coded."""
        f = self.fast[k]
        s = self.slow[k]
        if bit:
            self.fast[k] = f - (f >> 4)
            self.slow[k] = s - (s >> 7)
        else:
            self.fast[k] = f + ((65535 - f) >> 4)
            self.slow[k] = s + ((65535 - s) >> 7)


class ArithEncoder:
    """Adaptive binary range encoder over a table of ``n_contexts`` contexts.

    Parameters
    ----------
    n_contexts : int
        Number of adaptive contexts; each starts at P(0) = 1/2.

    Examples
    --------
    >>> enc = ArithEncoder(1)
    >>> for b in (0, 1, 1, 0):
    ...     enc.encode(0, b)
    >>> data = enc.finish()
    >>> dec = ArithDecoder(data, 1)
    >>> [dec.decode(0) for _ in range(4)]
    [0, 1, 1, 0]
    """

    __slots__ = ("ctx", "low", "range", "cache", "started", "cache_size", "shifts", "out")

    def __init__(self, n_contexts: int) -> None:
        self.ctx = _Contexts(n_contexts)
        self.low = 0  # up to 33 bits: bit 32 is a carry not yet propagated
        self.range = MASK32
        self.cache = 0  # the last byte not yet written (a carry may still change it)
        self.started = False  # False until the dropped leading zero byte has gone by
        self.cache_size = 1  # the cache byte plus the pending 0xFF bytes behind it
        self.shifts = 0  # renormalisation shifts so far
        self.out = bytearray()

    def needed(self) -> int:
        """Bytes a decoder must have read before the next decision: ``4 + shifts``."""
        return 4 + self.shifts

    def _put_byte(self, b: int) -> None:
        if not self.started:  # the first cache byte is always 0 and is not emitted
            self.started = True
            return
        self.out.append(b)

    def _shift_low(self) -> None:
        low = self.low
        if (low & MASK32) < 0xFF000000 or (low >> 32) != 0:
            # The top byte is settled (no later carry can reach it): write the cached byte,
            # plus the carry, then the pending 0xFF bytes (which the carry turns into 0x00).
            carry = (low >> 32) & 0xFF
            temp = self.cache
            while True:
                self._put_byte((temp + carry) & 0xFF)
                temp = 0xFF
                self.cache_size -= 1
                if self.cache_size == 0:
                    break
            self.cache = (low >> 24) & 0xFF
        # else: the top byte is 0xFF and a carry could still ripple through it: defer it
        self.cache_size += 1
        self.low = (low & 0x00FFFFFF) << 8

    def encode(self, k: int, bit: int) -> None:
        """Codes ``bit`` (0 or 1) with context ``k`` and adapts the context."""
        ctx = self.ctx
        bound = (self.range >> 16) * ctx.p0(k)
        if not bit:
            self.range = bound
        else:
            self.low += bound
            self.range -= bound
        ctx.update(k, bit)
        while self.range < TOP:
            self.range <<= 8
            self.shifts += 1
            self._shift_low()

    def finish(self) -> bytes:
        """Flushes the coder; returns the ``4 + shifts`` bytes of the stream."""
        for _ in range(5):
            self._shift_low()
        return bytes(self.out)


class ArithDecoder:
    """Adaptive binary range decoder, the mirror of :class:`ArithEncoder`.

    Reading past the end of ``data`` yields zero bytes; :meth:`ok` says whether the next
    decision is still fully determined by the bytes present.

    Parameters
    ----------
    data : bytes
        The stream (any prefix of an encoder's output).
    n_contexts : int
        Number of adaptive contexts, as for the encoder.
    """

    __slots__ = ("ctx", "range", "code", "data", "len", "pos")

    def __init__(self, data: bytes, n_contexts: int) -> None:
        self.ctx = _Contexts(n_contexts)
        self.data = data
        self.len = len(data)
        self.pos = 0  # bytes read so far, may exceed len (the missing bytes read as zero)
        self.range = MASK32
        self.code = 0
        for _ in range(4):
            self.code = (self.code << 8) | self._next_byte()

    def _next_byte(self) -> int:
        b = self.data[self.pos] if self.pos < self.len else 0
        self.pos += 1
        return b

    def ok(self) -> bool:
        """True while the next decision is fully determined by the bytes present."""
        return self.pos <= self.len

    def decode(self, k: int) -> int:
        """Decodes one bit with context ``k`` and adapts the context."""
        ctx = self.ctx
        bound = (self.range >> 16) * ctx.p0(k)
        if self.code < bound:
            self.range = bound
            bit = 0
        else:
            self.code -= bound
            self.range -= bound
            bit = 1
        ctx.update(k, bit)
        while self.range < TOP:
            self.range <<= 8
            # the code register is 32 bits wide: on garbage input it can exceed range, and
            # the C shift then drops its top byte
            self.code = ((self.code << 8) | self._next_byte()) & MASK32
        return bit
