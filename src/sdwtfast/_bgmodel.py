"""PyTorch model of the learned background codec (imported lazily: only when it is used).

A factorized-prior autoencoder after Ballé et al. (2018) for 1-channel images:

* analysis ``g_a``: four stride-2 5x5 convolutions with GDN between them (1 -> N -> N -> N -> M);
* synthesis ``g_s``: the mirror image with transposed convolutions and inverse GDN;
* gain units (Cui et al., 2021): one shared transform, a per-quality channel gain applied to the
  latents before rounding and a per-quality inverse gain before synthesis, so a single set of
  weights serves every operating point;
* one factorized (per-channel, non-parametric) density per quality, used during training as
  the rate term and converted **once, at training time**, into integer CDF tables
  (:func:`build_tables`). Decoding a stream only ever uses those integer tables.

Nothing in this module runs on import of :mod:`sdwtfast`; :mod:`sdwtfast.background` imports it
on first use.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["GDN", "FactorizedDensity", "BackgroundModel", "build_tables", "CDF_PRECISION"]

#: Bits of probability precision of the integer CDF tables (the rANS coder's ``scale_bits``).
CDF_PRECISION = 16
#: Probability mass left out of a table on each side; those values go through the escape.
TAIL_MASS = 1e-7
#: Longest table, escape symbol included.
MAX_TABLE = 256


class GDN(nn.Module):
    """Generalized divisive normalization (``inverse=True``: its approximate inverse)."""

    def __init__(self, channels: int, inverse: bool = False) -> None:
        super().__init__()
        self.inverse = inverse
        self.beta = nn.Parameter(torch.ones(channels))
        self.gamma = nn.Parameter(math.sqrt(0.1) * torch.eye(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        beta = self.beta * self.beta + 1e-6
        gamma = (self.gamma * self.gamma).reshape(c, c, 1, 1)
        norm = F.conv2d(x * x, gamma, beta)
        return x * torch.sqrt(norm) if self.inverse else x * torch.rsqrt(norm)


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 5, stride=2, padding=2)


def _deconv(cin: int, cout: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, 5, stride=2, padding=2, output_padding=1)


class FactorizedDensity(nn.Module):
    """Per-channel learned cumulative density (the "entropy bottleneck" of Ballé et al.)."""

    def __init__(
        self, channels: int, filters: tuple[int, ...] = (3, 3, 3), init_scale: float = 10.0
    ) -> None:
        super().__init__()
        f = (1, *filters, 1)
        scale = init_scale ** (1.0 / (len(f) - 1))
        self.n_layers = len(f) - 1
        for i in range(self.n_layers):
            init = math.log(math.expm1(1.0 / scale / f[i + 1]))
            self.register_parameter(
                f"matrix{i}", nn.Parameter(torch.full((channels, f[i + 1], f[i]), init))
            )
            self.register_parameter(
                f"bias{i}", nn.Parameter(torch.rand(channels, f[i + 1], 1) - 0.5)
            )
            if i < self.n_layers - 1:
                self.register_parameter(
                    f"factor{i}", nn.Parameter(torch.zeros(channels, f[i + 1], 1))
                )

    def logits_cumulative(self, x: torch.Tensor) -> torch.Tensor:
        """Logit of the cumulative density at ``x`` (shape ``(C, 1, K)``)."""
        logits = x
        for i in range(self.n_layers):
            matrix = F.softplus(getattr(self, f"matrix{i}").to(x.dtype))
            logits = torch.matmul(matrix, logits) + getattr(self, f"bias{i}").to(x.dtype)
            if i < self.n_layers - 1:
                logits = logits + torch.tanh(getattr(self, f"factor{i}").to(x.dtype)) * torch.tanh(
                    logits
                )
        return logits

    def likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """Probability of the unit-width bin around each value of ``y`` (B, C, H, W)."""
        b, c, h, w = y.shape
        v = y.permute(1, 0, 2, 3).reshape(c, 1, -1)
        lower = self.logits_cumulative(v - 0.5)
        upper = self.logits_cumulative(v + 0.5)
        sign = -torch.sign(lower + upper).detach()
        lik = torch.abs(torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower))
        lik = lik.clamp_min(1e-9)
        return lik.reshape(c, b, h, w).permute(1, 0, 2, 3)


class BackgroundModel(nn.Module):
    """Factorized-prior autoencoder with ``qualities`` gain-unit operating points.

    Parameters
    ----------
    n, m : int
        Channels of the hidden layers and of the latents.
    qualities : int
        Number of operating points (gain vectors and densities).
    layers : int
        Stride-2 convolutions in each transform; one latent position covers
        ``2**layers`` x ``2**layers`` pixels.
    """

    def __init__(self, n: int = 32, m: int = 64, qualities: int = 4, layers: int = 4) -> None:
        super().__init__()
        if layers < 2:
            raise ValueError("layers must be at least 2")
        self.n, self.m, self.qualities, self.layers = n, m, qualities, layers
        self.stride = 1 << layers
        a: list[nn.Module] = [_conv(1, n), GDN(n)]
        s: list[nn.Module] = [_deconv(m, n), GDN(n, True)]
        for _ in range(layers - 2):
            a += [_conv(n, n), GDN(n)]
            s += [_deconv(n, n), GDN(n, True)]
        a.append(_conv(n, m))
        s.append(_deconv(n, 1))
        self.g_a = nn.Sequential(*a)
        self.g_s = nn.Sequential(*s)
        init = torch.linspace(-1.5, 1.5, qualities) * math.log(2.0)
        self.log_gain = nn.Parameter(init[:, None].repeat(1, m).clone())
        self.log_inv_gain = nn.Parameter(-init[:, None].repeat(1, m).clone())
        self.densities = nn.ModuleList(FactorizedDensity(m) for _ in range(qualities))

    def gain(self, q: int) -> torch.Tensor:
        """Latent gain of quality index ``q`` (0-based), shape (1, M, 1, 1)."""
        return torch.exp(self.log_gain[q]).reshape(1, -1, 1, 1)

    def inv_gain(self, q: int) -> torch.Tensor:
        """Inverse gain of quality index ``q`` (0-based), shape (1, M, 1, 1)."""
        return torch.exp(self.log_inv_gain[q]).reshape(1, -1, 1, 1)

    def analysis(self, x: torch.Tensor, q: int) -> torch.Tensor:
        """Scaled latents of ``x`` (B, 1, H, W in [0, 1], H and W multiples of 16)."""
        return self.g_a(x - 0.5) * self.gain(q)

    def synthesis(self, y_hat: torch.Tensor, q: int) -> torch.Tensor:
        """Pixels in [0, 1] (not clipped) from dequantized scaled latents."""
        return self.g_s(y_hat * self.inv_gain(q)) + 0.5

    def forward_train(
        self, x: torch.Tensor, groups: list[tuple[int, slice]]
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Training pass with uniform-noise quantization proxy.

        ``groups`` assigns a slice of the batch to each quality index. Returns the
        reconstruction and, per group, the total bits of its latents.
        """
        y = self.g_a(x - 0.5)
        x_hat = torch.empty_like(x)
        bits = []
        for q, sl in groups:
            yq = y[sl] * self.gain(q)
            yq = yq + torch.empty_like(yq).uniform_(-0.5, 0.5)
            lik = self.densities[q].likelihood(yq)
            bits.append(-torch.log2(lik).sum())
            x_hat[sl] = self.g_s(yq * self.inv_gain(q)) + 0.5
        return x_hat, bits


def _quantize_pmf(pmf: np.ndarray, precision: int) -> np.ndarray:
    """Integer frequencies (each >= 1) summing to ``1 << precision`` from a float pmf."""
    total = 1 << precision
    freq = np.maximum(1, np.floor(pmf / pmf.sum() * total)).astype(np.int64)
    diff = total - int(freq.sum())
    order = np.argsort(-freq, kind="stable")
    i = 0
    while diff != 0:
        j = order[i % len(order)]
        if diff > 0:
            freq[j] += diff
            diff = 0
        elif freq[j] > 1:
            take = min(-diff, int(freq[j]) - 1)
            freq[j] -= take
            diff += take
        i += 1
    return freq


@torch.no_grad()
def build_tables(model: BackgroundModel) -> dict[str, torch.Tensor]:
    """Convert the learned densities into the integer tables the decoder uses.

    Returns a dict of tensors:

    ``medians``  float32 (Q, M)   values subtracted before rounding (added back at synthesis);
    ``cdfs``     int32 (Q*M, MAX_TABLE + 1)  cumulative frequencies, ``cdf[0] = 0``,
                 ``cdf[L] = 1 << CDF_PRECISION``, the last symbol of each table is the escape;
    ``lengths``  int32 (Q*M,)     symbols per table (escape included);
    ``offsets``  int32 (Q*M,)     value of the table's first symbol.
    """
    q_n, m = model.qualities, model.m
    medians = np.zeros((q_n, m), dtype=np.float32)
    cdfs = np.zeros((q_n * m, MAX_TABLE + 1), dtype=np.int32)
    lengths = np.zeros(q_n * m, dtype=np.int32)
    offsets = np.zeros(q_n * m, dtype=np.int32)
    half = (MAX_TABLE - 2) // 2
    for q in range(q_n):
        dens = model.densities[q].double()
        # median: bisection of logits_cumulative(x) = 0, per channel, in float64
        lo = torch.full((m, 1, 1), -1e3, dtype=torch.float64)
        hi = torch.full((m, 1, 1), 1e3, dtype=torch.float64)
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            pos = dens.logits_cumulative(mid) > 0
            hi = torch.where(pos, mid, hi)
            lo = torch.where(pos, lo, mid)
        med = (0.5 * (lo + hi)).reshape(m)
        medians[q] = med.float().numpy()
        med32 = torch.from_numpy(medians[q]).double()
        ks = torch.arange(-half, half + 1, dtype=torch.float64)
        pts = med32[:, None] + ks[None, :]
        up = torch.sigmoid(dens.logits_cumulative((pts + 0.5)[:, None, :])).reshape(m, -1)
        dn = torch.sigmoid(dens.logits_cumulative((pts - 0.5)[:, None, :])).reshape(m, -1)
        pmf_all = (up - dn).clamp_min(0).numpy()
        cdf_lo = dn[:, 0].numpy()
        cdf_hi = up[:, -1].numpy()
        model.densities[q].float()
        for c in range(m):
            p = pmf_all[c]
            cum = np.cumsum(p) + cdf_lo[c]
            rcum = (1.0 - cdf_hi[c]) + np.cumsum(p[::-1])[::-1]
            first = int(np.argmax(cum > TAIL_MASS))
            last = len(p) - 1 - int(np.argmax(rcum[::-1] > TAIL_MASS))
            first = min(first, half)
            last = max(last, half)
            kept = p[first : last + 1]
            tail = max(1.0 - float(kept.sum()), 1e-9)
            pmf = np.concatenate([kept, [tail]])
            freq = _quantize_pmf(pmf, CDF_PRECISION)
            t = q * m + c
            lengths[t] = len(freq)
            offsets[t] = first - half
            cdfs[t, 1 : len(freq) + 1] = np.cumsum(freq)
            cdfs[t, len(freq) + 1 :] = 1 << CDF_PRECISION
    return {
        "medians": torch.from_numpy(medians),
        "cdfs": torch.from_numpy(cdfs),
        "lengths": torch.from_numpy(lengths),
        "offsets": torch.from_numpy(offsets),
    }
