"""Train the learned background codec: ``python -m sdwtfast.train_background``.

Trains :class:`sdwtfast._bgmodel.BackgroundModel` rate-distortion (loss per quality:
``lambda * 255**2 * MSE + bits per pixel``, uniform noise standing in for rounding) on random
patches of the development images only, seeded, then converts the learned densities into the
integer CDF tables and writes the weights file that ships in ``sdwtfast/models/``.

Every operating point shares the transforms; each has its own gain vectors and density
(gain units), so one run trains all qualities. A checkpoint is written every
``--checkpoint-every`` steps (``--resume`` continues from it) and the exported weights file is
refreshed with it, so an interrupted run still leaves a usable model.

Retraining on your own data: pass ``--data DIR`` (every ``*.dcm`` under it is used; multi-frame
files contribute their frames) and ``--out DIR``; point ``SDWTFAST_BG_WEIGHTS`` at the written
file to use it. Streams made with other weights are refused by the decoder (the weights' SHA-256
is recorded in every stream).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from .devset import ALL as DEV_FILES  # the only images the shipped model was trained on

DEFAULT_LAMBDAS = (0.0018, 0.006, 0.018, 0.05)
#: Model identifier by number of stride-2 layers (sdwtfast.background.KNOWN_MODELS inverted).
MODEL_IDS = {4: "sdwbg-fp-gain-v1", 3: "sdwbg-fp-gain-v2"}
WEIGHTS_NAMES = {4: "background_v1.pt", 3: "background_v2.pt"}


def development_images(data_dir: str | None = None, max_frames: int = 4) -> list[np.ndarray]:
    """Return the 2-D development images (frames of multi-frame files) in their own dtype."""
    import pydicom

    if data_dir is not None:
        paths = sorted(Path(data_dir).rglob("*.dcm"))
    else:
        from .devset import path_of

        paths = [Path(path_of(n)) for n in DEV_FILES]
    out = []
    for p in paths:
        a = pydicom.dcmread(str(p)).pixel_array
        frames = [a] if a.ndim == 2 else list(a[:max_frames])
        out.extend(np.ascontiguousarray(f) for f in frames if f.ndim == 2)
    return out


def normalise(img: np.ndarray) -> np.ndarray:
    """Map an integer image to [0, 1] by its own range (the codec does the same)."""
    lo, hi = float(img.min()), float(img.max())
    return ((img.astype(np.float32) - lo) / max(hi - lo, 1.0)).astype(np.float32)


class PatchSampler:
    """Random square patches, mostly from structured areas (air is kept with low odds)."""

    def __init__(self, images: list[np.ndarray], size: int, seed: int) -> None:
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.images = []
        for img in images:
            x = normalise(img)
            ph, pw = max(0, size - x.shape[0]), max(0, size - x.shape[1])
            if ph or pw:
                x = np.pad(x, ((0, ph), (0, pw)), mode="reflect" if min(x.shape) > 1 else "edge")
            self.images.append(x)
        # weight images by sqrt(area): large images give more, small ones are not drowned
        w = np.array([math.sqrt(x.size) for x in self.images])
        self.weights = w / w.sum()

    def patch(self, structured: bool = True) -> np.ndarray:
        """One patch; ``structured`` favours edges, otherwise only flat air is thinned out."""
        s = self.size
        threshold, keep = (0.01, 0.15) if structured else (0.002, 0.3)
        for _ in range(20):
            x = self.images[self.rng.choice(len(self.images), p=self.weights)]
            i = self.rng.integers(0, x.shape[0] - s + 1)
            j = self.rng.integers(0, x.shape[1] - s + 1)
            p = x[i : i + s, j : j + s]
            if p.std() > threshold or self.rng.random() < keep:
                break
        k = self.rng.integers(0, 8)
        p = np.rot90(p, k % 4)
        if k >= 4:
            p = p[:, ::-1]
        return np.ascontiguousarray(p)

    def batch(self, n: int, structured: bool = True) -> np.ndarray:
        return np.stack([self.patch(structured) for _ in range(n)])[:, None]


def export(model, path: Path, config: dict) -> str:
    """Write weights + integer tables to ``path`` (loadable with weights_only=True); SHA-256."""
    import hashlib

    import torch

    from sdwtfast._bgmodel import build_tables

    tables = build_tables(model)
    state = {k: v.detach().clone().float() for k, v in model.state_dict().items()}
    blob = {"config": config, "state_dict": state, "tables": tables}
    tmp = path.with_suffix(".tmp")
    torch.save(blob, tmp)
    os.replace(tmp, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(args: argparse.Namespace) -> Path:
    import torch

    from sdwtfast._bgmodel import BackgroundModel

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    lambdas = tuple(args.lambdas)
    q_n = len(lambdas)
    model = BackgroundModel(args.n, args.m, q_n, args.layers).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.pt"
    step = 0
    sampler = PatchSampler(development_images(args.data), args.patch, args.seed)
    if args.resume and ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        sampler.rng = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step}", flush=True)
    config = {
        "model_id": MODEL_IDS[args.layers],
        "n": args.n,
        "m": args.m,
        "layers": args.layers,
        "lambdas": list(lambdas),
        "seed": args.seed,
        "steps": args.steps,
        "batch": args.batch,
        "patch": args.patch,
        "lr": args.lr,
        "curriculum_step": args.curriculum_step,
        "decay_steps": args.decay_steps,
    }
    per_q = max(1, args.batch // q_n)
    groups = [(q, slice(q * per_q, (q + 1) * per_q)) for q in range(q_n)]
    n_batch = per_q * q_n
    t0, step0 = time.time(), step
    log = {q: [0.0, 0.0, 0] for q in range(q_n)}
    model.train()
    while step < args.steps:
        decay = args.decay_steps if args.decay_steps else max(1, args.steps // 5)
        left = args.steps - step
        lr = args.lr if left > decay else args.lr * (0.05 + 0.95 * left / decay)
        for g in opt.param_groups:
            g["lr"] = lr
        structured = step < args.curriculum_step
        x = torch.from_numpy(sampler.batch(n_batch, structured)).to(device)
        x_hat, bits = model.forward_train(x, groups)
        loss = 0.0
        for (q, sl), b in zip(groups, bits, strict=True):
            mse = F_mse(x_hat[sl], x[sl])
            bpp = b / (x[sl].numel())
            loss = loss + lambdas[q] * 65025.0 * mse + bpp
            log[q][0] += float(bpp.detach())
            log[q][1] += float(mse.detach())
            log[q][2] += 1
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % args.log_every == 0:
            parts = []
            for q in range(q_n):
                bsum, msum, n = log[q]
                psnr = 10 * math.log10(1.0 / max(msum / max(n, 1), 1e-12))
                parts.append(f"q{q + 1} {bsum / max(n, 1):.3f}bpp {psnr:.2f}dB")
                log[q] = [0.0, 0.0, 0]
            rate = (time.time() - t0) / max(step - step0, 1)
            print(
                f"step {step} lr {lr:.2e} {rate * 1e3:.0f}ms/step | " + " | ".join(parts),
                flush=True,
            )
        if step % args.checkpoint_every == 0 or step == args.steps:
            torch.save(
                {
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "step": step,
                    "rng": sampler.rng,
                    "torch_rng": torch.get_rng_state(),
                },
                ckpt,
            )
            config["steps_done"] = step
            sha = export(model.cpu(), out / WEIGHTS_NAMES[args.layers], config)
            model.to(device)
            print(f"checkpoint step {step} sha256 {sha}", flush=True)
    return out / WEIGHTS_NAMES[args.layers]


def F_mse(a, b):  # noqa: N802 - small helper kept next to its single use
    return ((a - b) ** 2).mean()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(
        prog="python -m sdwtfast.train_background",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--steps", type=int, default=70000)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--patch", type=int, default=64)
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--m", type=int, default=64)
    p.add_argument(
        "--layers",
        type=int,
        default=4,
        choices=sorted(MODEL_IDS),
        help="stride-2 layers per transform (4: v1, 16 px per latent; 3: v2, 8 px)",
    )
    p.add_argument("--lambdas", type=float, nargs="+", default=list(DEFAULT_LAMBDAS))
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument(
        "--curriculum-step",
        type=int,
        default=8000,
        help="steps on edge-rich patches before sampling smooth areas too",
    )
    p.add_argument(
        "--decay-steps",
        type=int,
        default=0,
        help="length of the final linear learning-rate decay (default: steps / 5)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (1 is fastest on a shared 2-core machine)",
    )
    p.add_argument("--cpu", action="store_true", help="do not use a GPU even if present")
    p.add_argument("--data", default=None, help="directory of DICOM files (default: dev set)")
    p.add_argument("--out", default="train_out", help="output directory")
    p.add_argument("--checkpoint-every", type=int, default=2000)
    p.add_argument("--log-every", type=int, default=200)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--no-eval", action="store_true", help="skip the evaluation at the end")
    args = p.parse_args(argv)
    path = train(args)
    print(json.dumps({"weights": str(path)}), flush=True)
    if not args.no_eval:
        try:
            os.environ["SDWTFAST_BG_WEIGHTS"] = str(path)
            sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
            import bench_background

            bench_background.main(["--no-baselines"])
        except ImportError as exc:
            print(f"evaluation skipped ({exc}); run bench/bench_background.py", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
