"""Embedded zerotree wavelet coder, pure Python (specification of ``csrc/ezw.c``).

Pyramid and trees
-----------------
The input is an ``h x w`` integer pyramid in Mallat layout with ``levels`` levels (see
:mod:`.lift53`). Bands are scanned coarsest first: LL, then HL, LH, HH of level ``levels``,
..., HL, LH, HH of level 1, each band in raster order. An LL coefficient's children are the
coefficients at the same place in the three coarsest detail bands; a detail coefficient
``(y, x)`` of level ``l > 1`` has the children ``(2y + dy, 2x + dx)`` (those inside the band)
in the band of the same orientation at level ``l - 1``. A detail coefficient whose parent
would fall outside the coarser band is a tree root of its own.

Passes
------
Bit planes run from ``top`` down to ``min_plane``. For plane ``p``:

- dominant pass: each coefficient that is in the coded set, not yet significant and not inside
  a zerotree found earlier in this pass codes POS / NEG (``|c| >= 2^p``), ZTR (it and every
  descendant not already significant are below ``2^p``: its descendants are skipped for the
  rest of this pass) or IZ (isolated zero). Coefficients without children code POS, NEG, IZ.
- refinement pass: each coefficient that was significant before this plane, in the order in
  which they became significant, codes bit ``p`` of its magnitude.

Back-ends
---------
- raw (0): a dominant symbol is 2 bits (ZTR 00, IZ 01, POS 10, NEG 11), a refinement bit is
  1 bit, packed MSB first; a symbol is written only if it fits the budget entirely.
- arith (1): binary decisions through the adaptive range coder of :mod:`.arith`, with
  contexts built from the band orientation, a level class, the parent's significance, the JPEG
  2000 neighbour-significance classes, the number of significant children, the JPEG 2000 sign
  contexts and the refinement kind (first refinement with or without significant neighbours,
  or later refinement).

The traversal is one routine for the encoder and the decoder (as in C), so both take the same
decisions in the same order by construction: the encoder knows the coefficient and hands its
bit to the coder, the decoder hands nothing and reads the bit back.

Masked coefficients (``mask[i] == 0``) are not coded and cost nothing, but their descendants
are still visited. The stream may be cut anywhere: the encoder stops at its byte budget, the
decoder at the first symbol its input does not fully determine, and it reports per
significant coefficient the lowest bit plane known (``lp``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ..errors import InvalidInputError
from .arith import ArithDecoder, ArithEncoder
from .lift53 import check_geometry

__all__ = ["RAW", "ARITH", "MAX_PLANE", "top_plane", "raw_bound", "encode", "decode"]

RAW = 0
ARITH = 1
MAX_PLANE = 30

OR_LL, OR_HL, OR_LH, OR_HH = 0, 1, 2, 3

# ---- contexts (layout identical to the C enum) ---------------------------------------------
N_OC = 3  # orientation class: 0 LL, 1 HL/LH, 2 HH
N_LC = 3  # level class: 0 finest, 1 second finest, 2 coarser or LL
CTX_T_N = N_OC * N_LC * 2 * 3 * 3  # zerotree decision: (oc, lc, parent, neighbours, children)
CTX_S_N = N_OC * N_LC * 2 * 9  # significance: (oc, lc, parent, 9 neighbour classes)
CTX_SIGN_N = N_OC * 5
CTX_REF_N = N_OC * N_LC * 3
CTX_T0 = 0
CTX_SNL0 = CTX_T0 + CTX_T_N  # significance of a node with children (after "not a zerotree")
CTX_SLF0 = CTX_SNL0 + CTX_S_N  # significance of a leaf
CTX_SIGN0 = CTX_SLF0 + CTX_S_N
CTX_REF0 = CTX_SIGN0 + CTX_SIGN_N
CTX_TOTAL = CTX_REF0 + CTX_REF_N


def _sig9_lllh(h: int, v: int, d: int) -> int:
    """JPEG 2000 significance class (0..8) of an LL / LH coefficient from its neighbours."""
    if h == 2:
        return 8
    if h == 1:
        return 7 if v >= 1 else (6 if d >= 1 else 5)
    if v == 2:
        return 4
    if v == 1:
        return 3
    if d >= 2:
        return 2
    return d


def _sig9_hh(h: int, v: int, d: int) -> int:
    """JPEG 2000 significance class (0..8) of an HH coefficient."""
    hv = h + v
    if d >= 3:
        return 8
    if d == 2:
        return 7 if hv >= 1 else 6
    if d == 1:
        return 5 if hv >= 2 else (4 if hv == 1 else 3)
    return 2 if hv >= 2 else hv


def _sig9(orient: int, h: int, v: int, d: int) -> int:
    if orient == OR_HH:
        return _sig9_hh(h, v, d)
    if orient == OR_HL:  # HL: the roles of horizontal and vertical neighbours swap
        return _sig9_lllh(v, h, d)
    return _sig9_lllh(h, v, d)


def _sign_context(hc: int, vc: int) -> tuple[int, int]:
    """JPEG 2000 sign context (0..4) and sign flip from the clipped neighbour sign sums.

    ``hc`` and ``vc`` are the sums of the signs (+1 / -1 / 0) of the horizontal and vertical
    neighbours, each clipped to -1..1.
    """
    flip = 0
    if hc < 0:
        hc, vc, flip = -hc, -vc, 1
    if hc == 0:
        if vc < 0:
            return 1, 1
        return vc, flip
    return 3 + vc, flip


# Lookup tables for the hot loop: the significance class indexed by h * 15 + v * 5 + d per
# orientation, and the sign context indexed by (hc + 2) * 5 + (vc + 2) for unclipped sums.
_SIG9_TABLE = tuple(
    tuple(_sig9(o, h, v, d) for h in range(3) for v in range(3) for d in range(5)) for o in range(4)
)


def _clip1(x: int) -> int:
    return 1 if x > 0 else (-1 if x < 0 else 0)


_SIGN_TABLE = tuple(
    _sign_context(_clip1(hc), _clip1(vc)) for hc in range(-2, 3) for vc in range(-2, 3)
)
_CLASS3 = (0, 1, 1, 2, 2, 2, 2, 2, 2)  # 0 -> 0, 1..2 -> 1, 3+ -> 2 (counts up to 8)


# ---- geometry -------------------------------------------------------------------------------


class Band(NamedTuple):
    """One subband of the pyramid: its rectangle, orientation and tree links."""

    y0: int
    x0: int
    h: int
    w: int
    orient: int
    level: int
    parent: int  # index of the band holding the parents, -1 for LL
    child: int  # index of the band holding the children (LL: first coarsest detail band)


def bands(h: int, w: int, levels: int) -> list[Band]:
    """The ``1 + 3 * levels`` bands in scan order (LL, then coarsest details first)."""
    hs, ws = [h], [w]
    for _ in range(levels):
        hs.append((hs[-1] + 1) // 2)
        ws.append((ws[-1] + 1) // 2)
    out = [Band(0, 0, hs[levels], ws[levels], OR_LL, levels, -1, 1 if levels > 0 else -1)]
    for lv in range(levels, 0, -1):
        lh, hh = hs[lv], hs[lv - 1] - hs[lv]
        lw, hw = ws[lv], ws[lv - 1] - ws[lv]
        for o in (OR_HL, OR_LH, OR_HH):
            idx = 1 + 3 * (levels - lv) + (o - 1)
            out.append(
                Band(
                    y0=0 if o == OR_HL else lh,
                    x0=0 if o == OR_LH else lw,
                    h=lh if o == OR_HL else hh,
                    w=lw if o == OR_LH else hw,
                    orient=o,
                    level=lv,
                    parent=0 if lv == levels else idx - 3,
                    child=idx + 3 if lv > 1 else -1,
                )
            )
    return out


def _oclass(orient: int) -> int:
    return 0 if orient == OR_LL else (2 if orient == OR_HH else 1)


def _lclass(b: Band) -> int:
    if b.orient == OR_LL:
        return 2
    return 2 if b.level >= 3 else b.level - 1


class Tree(NamedTuple):
    """Per-coefficient relations of a pyramid, precomputed once per geometry.

    Flat indices are ``y * w + x``. Index ``n = h * w`` is a sentinel: every missing parent or
    neighbour points at it, and it is never significant.
    """

    n: int
    bands: tuple[Band, ...]
    scan: tuple[tuple[int, ...], ...]  # per band, its flat indices in raster order
    children: tuple[tuple[int, ...], ...]
    parent: tuple[int, ...]
    band_of: bytes
    # neighbours inside the same band (sentinel n outside): left, right, up, down, diagonals
    left: tuple[int, ...]
    right: tuple[int, ...]
    up: tuple[int, ...]
    down: tuple[int, ...]
    diag: tuple[tuple[int, int, int, int], ...]


@lru_cache(maxsize=32)
def tree(h: int, w: int, levels: int) -> Tree:
    """Builds (and caches) the :class:`Tree` of an ``h x w`` pyramid of ``levels`` levels."""
    bl = bands(h, w, levels)
    n = h * w
    children: list[tuple[int, ...]] = [()] * n
    parent = [n] * n
    band_of = bytearray(n)
    left = [n] * n
    right = [n] * n
    up = [n] * n
    down = [n] * n
    diag: list[tuple[int, int, int, int]] = [(n, n, n, n)] * n
    scan = []
    for bi, b in enumerate(bl):
        idx = []
        for ry in range(b.h):
            row = (b.y0 + ry) * w + b.x0
            for rx in range(b.w):
                i = row + rx
                idx.append(i)
                band_of[i] = bi
                has_l, has_r = rx > 0, rx + 1 < b.w
                has_u, has_d = ry > 0, ry + 1 < b.h
                if has_l:
                    left[i] = i - 1
                if has_r:
                    right[i] = i + 1
                if has_u:
                    up[i] = i - w
                if has_d:
                    down[i] = i + w
                diag[i] = (
                    i - w - 1 if has_u and has_l else n,
                    i - w + 1 if has_u and has_r else n,
                    i + w - 1 if has_d and has_l else n,
                    i + w + 1 if has_d and has_r else n,
                )
                kids: list[int] = []
                if b.orient == OR_LL:
                    if b.child >= 0:
                        for k in range(3):
                            cb = bl[b.child + k]
                            if ry < cb.h and rx < cb.w:
                                kids.append((cb.y0 + ry) * w + cb.x0 + rx)
                elif b.child >= 0:
                    cb = bl[b.child]
                    for cy in (2 * ry, 2 * ry + 1):
                        if cy >= cb.h:
                            break
                        for cx in (2 * rx, 2 * rx + 1):
                            if cx >= cb.w:
                                break
                            kids.append((cb.y0 + cy) * w + cb.x0 + cx)
                children[i] = tuple(kids)
                for ch in kids:
                    parent[ch] = i
        scan.append(tuple(idx))
    return Tree(
        n=n,
        bands=tuple(bl),
        scan=tuple(scan),
        children=tuple(children),
        parent=tuple(parent),
        band_of=bytes(band_of),
        left=tuple(left),
        right=tuple(right),
        up=tuple(up),
        down=tuple(down),
        diag=tuple(diag),
    )


# ---- coders: raw bits or arithmetic, encoder or decoder ------------------------------------
# All four share one interface: ``avail(nbits)`` says whether ``nbits`` more raw bits (or one
# more arithmetic decision) can be coded and latches ``stop`` when not; ``bits(v, n)`` /
# ``bit(ctx, b)`` code a value and return it (the decoder ignores ``v`` / ``b`` and returns
# what it reads).


class _RawEncoder:
    __slots__ = ("stop", "any", "bitpos", "budget_bits", "out")

    def __init__(self, max_bytes: int) -> None:
        self.stop = False
        self.any = False
        self.bitpos = 0
        self.budget_bits = max_bytes * 8 if max_bytes else None
        self.out = bytearray()

    def avail(self, nbits: int) -> bool:
        if self.stop:
            return False
        if self.budget_bits is not None and self.bitpos + nbits > self.budget_bits:
            self.stop = True
            return False
        return True

    def bits(self, v: int, n: int) -> int:
        """Appends the ``n`` low bits of ``v``, most significant first."""
        self.any = True
        for k in range(n - 1, -1, -1):
            sh = 7 - (self.bitpos & 7)
            if sh == 7:
                self.out.append(0)
            self.out[-1] |= ((v >> k) & 1) << sh
            self.bitpos += 1
        return v & ((1 << n) - 1)

    def finish(self) -> bytes:
        return bytes(self.out)  # == ceil(bitpos / 8) bytes, last one zero-padded


class _RawDecoder:
    __slots__ = ("stop", "any", "bitpos", "budget_bits", "data")

    def __init__(self, data: bytes) -> None:
        self.stop = False
        self.any = False
        self.bitpos = 0
        self.budget_bits = len(data) * 8
        self.data = data

    def avail(self, nbits: int) -> bool:
        if self.stop:
            return False
        if self.bitpos + nbits > self.budget_bits:
            self.stop = True
            return False
        return True

    def bits(self, v: int, n: int) -> int:
        self.any = True
        r = 0
        data = self.data
        for _ in range(n):
            bp = self.bitpos
            r = (r << 1) | ((data[bp >> 3] >> (7 - (bp & 7))) & 1)
            self.bitpos = bp + 1
        return r


class _ArithEncoderCoder:
    __slots__ = ("stop", "any", "budget", "ae")

    def __init__(self, max_bytes: int) -> None:
        self.stop = False
        self.any = False
        self.budget = max_bytes
        self.ae = ArithEncoder(CTX_TOTAL)

    def avail(self, nbits: int) -> bool:
        if self.stop:
            return False
        if self.budget and self.ae.needed() > self.budget:
            self.stop = True
            return False
        return True

    def bit(self, ctx: int, b: int) -> int:
        self.any = True
        self.ae.encode(ctx, b)
        return b

    def finish(self) -> bytes:
        # A stream with no decision at all is empty; otherwise 4 + shifts bytes.
        return self.ae.finish() if self.any else b""


class _ArithDecoderCoder:
    __slots__ = ("stop", "any", "ad")

    def __init__(self, data: bytes) -> None:
        self.stop = False
        self.any = False
        self.ad = ArithDecoder(data, CTX_TOTAL)

    def avail(self, nbits: int) -> bool:
        if self.stop:
            return False
        if not self.ad.ok():
            self.stop = True
            return False
        return True

    def bit(self, ctx: int, b: int) -> int:
        self.any = True
        return self.ad.decode(ctx)


# ---- the traversal -------------------------------------------------------------------------


class _Ezw:
    """State of one encoding or decoding run (the C ``struct ezw``).

    Encoder: ``amag`` / ``neg`` hold the coefficients' magnitudes and signs, ``desc[i]`` has
    bit ``p`` set when some descendant of ``i`` in the coded set has its top bit at plane
    ``p``. Decoder: ``mag`` accumulates the known magnitude bits, ``lp`` the lowest known
    plane. Both: ``st`` the sign of each significant coefficient (0 while insignificant),
    ``sig`` its significance as 0/1 (both have a never-significant sentinel slot at ``n``),
    ``skip[i] == p + 1`` marks coefficient ``i`` as inside a zerotree found in plane ``p``'s
    dominant pass, ``order`` the coefficients in the order they became significant.
    """

    def __init__(self, t: Tree, mask: bytes | None, backend: int, coder, enc: bool) -> None:
        n = t.n
        self.t = t
        self.mask = mask
        self.raw = backend == RAW
        self.coder = coder
        self.enc = enc
        self.st = [0] * (n + 1)
        self.sig = bytearray(n + 1)
        self.skip = bytearray(n)
        self.order: list[int] = []
        self.amag: list[int] = []
        self.neg: list[int] = []
        self.desc: list[int] = []
        self.mag = [0] * n
        self.lp = bytearray(n)
        # per band context bases (see the CTX_* layout)
        self.band_ctx = []
        for b in t.bands:
            oc, lc = _oclass(b.orient), _lclass(b)
            cls = oc * N_LC + lc
            self.band_ctx.append(
                (
                    CTX_T0 + cls * 18,
                    CTX_SNL0 + cls * 18,
                    CTX_SLF0 + cls * 18,
                    CTX_SIGN0 + oc * 5,
                    _SIG9_TABLE[b.orient],
                )
            )
        self.ref_ctx = [CTX_REF0 + (_oclass(b.orient) * N_LC + _lclass(b)) * 3 for b in t.bands]

    def set_coefficients(self, coef: list[int]) -> None:
        """Encoder: records magnitudes and signs and the descendant plane masks."""
        t, mask = self.t, self.mask
        self.amag = [abs(c) for c in coef]
        self.neg = [1 if c < 0 else 0 for c in coef]
        amag, children = self.amag, t.children
        # bit p of top[i]: coefficient i is in the set and its top bit is plane p
        top = [
            (1 << (m.bit_length() - 1)) if m and (mask is None or mask[i]) else 0
            for i, m in enumerate(amag)
        ]
        desc = [0] * t.n
        # children always lie in later bands, so finest bands first fills desc bottom-up
        for scan in reversed(t.scan):
            for i in scan:
                dm = 0
                for ch in children[i]:
                    dm |= desc[ch] | top[ch]
                desc[i] = dm
        self.desc = desc

    def _mark_children(self, i: int, stamp: int) -> None:
        skip = self.skip
        for ch in self.t.children[i]:
            skip[ch] = stamp

    def dominant_pass(self, p: int) -> bool:
        """Dominant pass at plane ``p``; False when the coder stopped."""
        t, coder, mask, enc, raw = self.t, self.coder, self.mask, self.enc, self.raw
        st, sig, skip, order = self.st, self.sig, self.skip, self.order
        children, parent = t.children, t.parent
        left, right, up, down, diag = t.left, t.right, t.up, t.down, t.diag
        amag, neg_of, desc, mag, lp = self.amag, self.neg, self.desc, self.mag, self.lp
        avail = coder.avail
        stamp = p + 1
        for bi, scan in enumerate(t.scan):
            t_base, snl_base, slf_base, sign_base, sig9 = self.band_ctx[bi]
            for i in scan:
                kids = children[i]
                if skip[i] == stamp:  # inside a zerotree: pass the mark down, code nothing
                    for ch in kids:
                        skip[ch] = stamp
                    continue
                if sig[i] or (mask is not None and not mask[i]):
                    continue
                ps = sig[parent[i]]
                if enc:
                    s = (amag[i] >> p) & 1
                    neg = neg_of[i]
                    ds = (desc[i] >> p) & 1
                else:
                    s = neg = ds = 0
                if raw:
                    if not avail(2):
                        return False
                    if s:
                        sym = 3 if neg else 2  # NEG / POS
                    else:
                        sym = 0 if kids and not ds else 1  # ZTR / IZ
                    sym = coder.bits(sym, 2)
                    if sym == 0 and kids:
                        for ch in kids:
                            skip[ch] = stamp
                        continue
                    if sym < 2:
                        continue
                    neg = 1 if sym == 3 else 0
                else:
                    a, b, c, d = diag[i]
                    nh = sig[left[i]] + sig[right[i]]
                    nv = sig[up[i]] + sig[down[i]]
                    nd = sig[a] + sig[b] + sig[c] + sig[d]
                    s9 = sig9[nh * 15 + nv * 5 + nd]
                    if kids:
                        # zerotree decision: 0 = ZTR, 1 = the coefficient or a descendant is
                        # significant at this plane (then the significance bit follows)
                        nsc = 0
                        for ch in kids:
                            nsc += sig[ch]
                        ctx = t_base + ps * 9 + _CLASS3[nh + nv + nd] * 3 + _CLASS3[nsc]
                        if not avail(1):
                            return False
                        if not coder.bit(ctx, s | ds):
                            for ch in kids:
                                skip[ch] = stamp
                            continue
                        base = snl_base
                    else:
                        base = slf_base
                    if not avail(1):
                        return False
                    s = coder.bit(base + ps * 9 + s9, s)
                    if not s:
                        continue
                    hc = st[left[i]] + st[right[i]]
                    vc = st[up[i]] + st[down[i]]
                    sc, flip = _SIGN_TABLE[(hc + 2) * 5 + vc + 2]
                    if not avail(1):
                        return False
                    neg = coder.bit(sign_base + sc, neg ^ flip) ^ flip
                # newly significant
                st[i] = -1 if neg else 1
                sig[i] = 1
                order.append(i)
                if not enc:
                    mag[i] = 1 << p
                    lp[i] = p
        return True

    def refinement_pass(self, p: int, nold: int) -> bool:
        """Refinement pass at plane ``p`` over the first ``nold`` significant coefficients."""
        t, coder, enc, raw = self.t, self.coder, self.enc, self.raw
        sig, order, mag, lp = self.sig, self.order, self.mag, self.lp
        known_of = self.amag if enc else mag
        left, right, up, down, diag = t.left, t.right, t.up, t.down, t.diag
        band_of, ref_ctx = t.band_of, self.ref_ctx
        avail = coder.avail
        for k in range(nold):
            i = order[k]
            known = known_of[i]
            bit = (known >> p) & 1
            if raw:
                if not avail(1):
                    return False
                bit = coder.bits(bit, 1)
            else:
                if (known >> (p + 1)) == 1:  # first refinement: do the neighbours matter?
                    a, b, c, d = diag[i]
                    any_nbr = (
                        sig[left[i]]
                        + sig[right[i]]
                        + sig[up[i]]
                        + sig[down[i]]
                        + sig[a]
                        + sig[b]
                        + sig[c]
                        + sig[d]
                    )
                    kind = 1 if any_nbr else 0
                else:
                    kind = 2
                if not avail(1):
                    return False
                bit = coder.bit(ref_ctx[band_of[i]] + kind, bit)
            if not enc:
                mag[i] |= bit << p
                lp[i] = p
        return True

    def run(self, top: int, min_plane: int) -> int:
        """Runs the passes from ``top`` down to ``min_plane``; returns the planes completed."""
        done = 0
        for p in range(top, min_plane - 1, -1):
            nold = len(self.order)
            if not self.dominant_pass(p):
                break
            if not self.refinement_pass(p, nold):
                break
            done += 1
        return done


# ---- public functions ---------------------------------------------------------------------


def _flat_mask(mask: np.ndarray | None, n: int) -> bytes | None:
    if mask is None:
        return None
    m = np.ascontiguousarray(mask, dtype=np.uint8).reshape(-1)
    if m.shape[0] != n:
        raise InvalidInputError("ezw: mask and coefficients differ in size")
    return m.tobytes()


def _check_common(h: int, w: int, levels: int, backend: int, top: int, min_plane: int) -> None:
    if backend not in (RAW, ARITH):
        raise InvalidInputError("ezw: unknown back-end")
    if top < -1 or top > MAX_PLANE or min_plane < 0 or min_plane > MAX_PLANE:
        raise InvalidInputError("ezw: top or min_plane out of range")
    check_geometry(h, w, levels)


def top_plane(coef: np.ndarray, mask: np.ndarray | None = None) -> int:
    """Highest bit plane holding a set bit of any ``|coef[i]|`` in the set.

    Parameters
    ----------
    coef : numpy.ndarray
        Coefficients (any shape, converted to int32).
    mask : numpy.ndarray or None
        Coded set (nonzero = in the set), same size; None = every coefficient.

    Returns
    -------
    int
        The plane, or -1 when every coefficient in the set is zero.

    Raises
    ------
    InvalidInputError
        Mask of another size, or a magnitude ``>= 2^31`` (i.e. -2^31).
    """
    c = np.ascontiguousarray(coef, dtype=np.int32).reshape(-1)
    m = _flat_mask(mask, c.shape[0])
    a = np.abs(c.astype(np.int64))
    if m is not None:
        a = a[np.frombuffer(m, dtype=np.uint8) != 0]
    acc = int(np.bitwise_or.reduce(a)) if a.size else 0
    if acc >= 1 << (MAX_PLANE + 1):
        raise InvalidInputError("ezw_top_plane: a value does not fit the representation")
    return acc.bit_length() - 1


def raw_bound(n: int, planes: int) -> int:
    """Upper bound on the raw back-end's output: 3 bits per coefficient and plane, + 16."""
    if planes < 0 or planes > MAX_PLANE + 1:
        raise InvalidInputError("ezw: bad number of planes")
    return n * 3 * planes // 8 + 16


def encode(
    coef: np.ndarray,
    levels: int,
    mask: np.ndarray | None = None,
    backend: int = ARITH,
    top: int | None = None,
    min_plane: int = 0,
    max_bytes: int = 0,
) -> tuple[bytes, int, int]:
    """EZW-encodes a 2-D integer pyramid.

    Parameters
    ----------
    coef : numpy.ndarray
        ``h x w`` pyramid in Mallat layout (converted to int32).
    levels : int
        Decomposition levels of the pyramid.
    mask : numpy.ndarray or None
        Coded set (nonzero = coded), ``h * w`` values; None = every coefficient.
    backend : int
        :data:`RAW` (0) or :data:`ARITH` (1).
    top : int or None
        First bit plane; None = :func:`top_plane` of the coded set.
    min_plane : int
        Last bit plane coded (0 = every bit).
    max_bytes : int
        Byte budget, 0 = none.

    Returns
    -------
    tuple of (bytes, int, int)
        The stream, the top plane used and the number of planes fully coded.

    Raises
    ------
    InvalidInputError
        Bad geometry, back-end or planes, or a ``top`` below the data's top plane.
    """
    if not isinstance(coef, np.ndarray):
        raise TypeError(f"expected numpy.ndarray, got {type(coef).__name__}")
    if coef.ndim != 2:
        raise InvalidInputError(f"ezw: expected a 2-D array, got {coef.ndim} dimensions")
    if max_bytes < 0:
        raise OverflowError("can't convert negative value to size_t")
    c = np.ascontiguousarray(coef, dtype=np.int32)
    h, w = c.shape
    m = _flat_mask(mask, h * w)
    t_used = top_plane(c, mask) if top is None else int(top)
    raw_bound(h * w, max(0, t_used - min_plane + 1))  # the C membrane sizes its buffer first
    _check_common(h, w, levels, backend, t_used, min_plane)
    if top_plane(c, mask) > t_used:
        raise InvalidInputError("ezw: the top plane would lose bits")
    if t_used < min_plane:
        return b"", t_used, 0
    if backend == ARITH:
        coder: _ArithEncoderCoder | _RawEncoder = _ArithEncoderCoder(max_bytes)
    else:
        coder = _RawEncoder(max_bytes)
    e = _Ezw(tree(h, w, levels), m, backend, coder, enc=True)
    e.set_coefficients(c.reshape(-1).tolist())
    done = e.run(t_used, min_plane)
    out = coder.finish()
    if max_bytes and len(out) > max_bytes:
        out = out[:max_bytes]  # the decoder needs no byte beyond the budget (see arith.py)
    return out, t_used, done


def decode(
    data: bytes,
    h: int,
    w: int,
    levels: int,
    mask: np.ndarray | None = None,
    backend: int = ARITH,
    top: int = 0,
    min_plane: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Decodes an EZW stream (any prefix of one decodes).

    Parameters
    ----------
    data : bytes-like
        The stream.
    h, w, levels : int
        Pyramid geometry, as given to the encoder.
    mask : numpy.ndarray or None
        The encoder's coded set.
    backend, top, min_plane : int
        As given to (``top``: returned by) the encoder.

    Returns
    -------
    coef : numpy.ndarray
        int32 ``(h, w)``: sign and known magnitude bits of each coefficient.
    lp : numpy.ndarray
        uint8 ``(h, w)``: for significant coefficients the lowest bit plane known (0 = exact),
        0 elsewhere.

    Raises
    ------
    InvalidInputError
        Bad geometry, back-end or planes, or a mask of another size.
    """
    buf = bytes(memoryview(data).cast("B"))
    if h < 0 or w < 0:
        raise OverflowError("can't convert negative value to size_t")
    m = _flat_mask(mask, h * w)
    _check_common(h, w, levels, backend, top, min_plane)
    if top < min_plane:
        return np.zeros((h, w), np.int32), np.zeros((h, w), np.uint8)
    if backend == ARITH:
        coder: _ArithDecoderCoder | _RawDecoder = _ArithDecoderCoder(buf)
    else:
        coder = _RawDecoder(buf)
    e = _Ezw(tree(h, w, levels), m, backend, coder, enc=False)
    e.run(top, min_plane)
    coef = np.array(e.mag, dtype=np.int64)
    coef[np.array(e.st[:-1], dtype=np.int64) < 0] *= -1
    lp = np.frombuffer(bytes(e.lp), dtype=np.uint8)
    return coef.astype(np.int32).reshape(h, w), lp.copy().reshape(h, w)
