"""The manipulations of :mod:`stimuli.manipulations` as batched torch ops on the device.

Each function takes a float batch ``(N, 3, H, W)`` in [0, 1] on any device, one numeric
parameter per image and one random seed per image, and returns the manipulated batch
(clipped to [0, 1]; grey outputs as 3 identical channels). They compute what the numpy
manipulations compute (tests compare them on the same input within 1/255; the random ones
in distribution, since torch and numpy draw different numbers). Every random field is
drawn from a generator seeded with the image's own seed, so an image's distortion does not
depend on its batch or rank.

The eidolons are not here: they run in the CPU loader workers through the numpy code
(:mod:`models.train_data`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import torch
import torch.nn.functional as F

from models.distortion_plan import CLEAN, DistortionPlan
from stimuli.data_files import display_gamma_curve, mean_power_spectrum
from stimuli.manipulations.filters import BACKGROUND_GREY, gaussian_kernel
from stimuli.manipulations.grey import GREY_WEIGHTS
from stimuli.manipulations.opponent import _opponent_matrix

Augmentation = Callable[[torch.Tensor, torch.Tensor, Sequence[int]], torch.Tensor]


def grey(x: torch.Tensor) -> torch.Tensor:
    """Luminance (N, H, W) with scikit-image's weights on the gamma-encoded values."""
    w = torch.tensor(GREY_WEIGHTS, dtype=x.dtype, device=x.device)
    return torch.einsum("nchw,c->nhw", x, w)


def _rgb(g: torch.Tensor) -> torch.Tensor:
    return g.clamp(0.0, 1.0).unsqueeze(1).expand(-1, 3, -1, -1).contiguous()


def _per_image(params: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return params.to(device=like.device, dtype=like.dtype).view(-1, *([1] * (like.ndim - 1)))


def _random(seeds: Sequence[int], shape: tuple[int, ...], device: torch.device,
            normal: bool = False) -> torch.Tensor:
    """One field per image from a generator seeded with the image's seed: (N, *shape)."""
    out = torch.empty((len(seeds), *shape), device=device)
    gen = torch.Generator(device=device)
    for i, seed in enumerate(seeds):
        gen.manual_seed(int(seed))
        if normal:
            out[i].normal_(generator=gen)
        else:
            out[i].uniform_(generator=gen)
    return out


def _contrast(g: torch.Tensor, c: float | torch.Tensor) -> torch.Tensor:
    return g * c + (1.0 - c) / 2.0


def colour(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """1: greyscale (``bw``); 0: unchanged (``cr``)."""
    keep = _per_image(params, x) < 0.5
    return torch.where(keep, x, _rgb(grey(x)))


def contrast(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Grey, then ``c x + (1 - c) / 2`` (c = 1 for ``c100`` ... 0.01 for ``c01``)."""
    g = grey(x)
    return _rgb(_contrast(g, _per_image(params, g)))


def uniform_noise(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Grey, contrast 0.3, plus uniform(-w, w) per pixel."""
    g = _contrast(grey(x), 0.3)
    w = _per_image(params, g)
    u = _random(seeds, g.shape[1:], x.device)
    return _rgb(g + (2.0 * u - 1.0) * w)


def salt_and_pepper(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Grey, contrast 0.3, then each pixel 1 with prob p/2 and 0 with prob p/2."""
    g = _contrast(grey(x), 0.3)
    p = _per_image(params, g)
    u = _random(seeds, g.shape[1:], x.device)
    g = torch.where(u < p / 2, torch.ones_like(g), g)
    return _rgb(torch.where((u >= p / 2) & (u < p), torch.zeros_like(g), g))


def gaussian_noise(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Rusak et al. 2020: ``x + sigma N(0, 1)`` per pixel and channel, in colour."""
    n = _random(seeds, x.shape[1:], x.device, normal=True)
    return (x + _per_image(params, x) * n).clamp(0.0, 1.0)


def speckle_noise(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Multiplicative noise ``x + x sigma N(0, 1)`` (imagecorruptions' speckle), in colour."""
    n = _random(seeds, x.shape[1:], x.device, normal=True)
    return (x + x * _per_image(params, x) * n).clamp(0.0, 1.0)


def blur(g: torch.Tensor, sigma: float) -> torch.Tensor:
    """scipy's ``gaussian_filter(g, sigma, mode="constant", cval=0.4423)`` over H, W of a
    grey batch (N, H, W), as two 1-D convolutions with scipy's kernel."""
    k = torch.tensor(gaussian_kernel(sigma), dtype=g.dtype, device=g.device)
    r = k.numel() // 2
    y = (g - BACKGROUND_GREY).unsqueeze(1)
    y = F.conv2d(F.pad(y, (r, r, 0, 0)), k.view(1, 1, 1, -1))
    y = F.conv2d(F.pad(y, (0, 0, r, r)), k.view(1, 1, -1, 1))
    return y.squeeze(1) + BACKGROUND_GREY


def _by_value(g: torch.Tensor, params: torch.Tensor,
              f: Callable[[torch.Tensor, float], torch.Tensor]) -> torch.Tensor:
    """Apply ``f(images, value)`` to each group of images that share a parameter value."""
    out = g.clone()
    values = params.detach().cpu().numpy()
    for value in np.unique(values):
        idx = torch.from_numpy(np.flatnonzero(values == value)).to(g.device)
        out[idx] = f(g[idx], float(value))
    return out


def low_pass(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Grey, Gaussian filter with sigma px (border 0.4423); sigma 0 = grey."""
    return _rgb(_by_value(grey(x), params, lambda g, s: blur(g, s) if s > 0 else g))


def _high_pass_one(g: torch.Tensor, sigma: float) -> torch.Tensor:
    if math.isinf(sigma):
        return g
    detail = g - blur(g, sigma)
    return detail + (BACKGROUND_GREY - detail.mean(dim=(1, 2), keepdim=True))


def high_pass(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Grey ``x - G_sigma(x)`` shifted to mean 0.4423; sigma inf = grey."""
    return _rgb(_by_value(grey(x), params, _high_pass_one))


@cache
def _mirror(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    my, mx = (-np.arange(h)) % h, (-np.arange(w)) % w
    flat = np.arange(h * w).reshape(h, w)
    mirror_flat = flat[my[:, None], mx[None, :]]
    return mirror_flat.reshape(-1), flat < mirror_flat, flat == mirror_flat


def phase_noise(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Grey, FFT, odd-symmetric uniform phase shifts in [-w, w] degrees (the spectrum stays
    Hermitian, the amplitude is kept), inverse FFT."""
    g = grey(x).float()
    n, h, w = g.shape
    mirror, lower, selfconj = (torch.from_numpy(a).to(x.device) for a in _mirror(h, w))
    u = (2.0 * _random(seeds, (h, w), x.device) - 1.0) * _per_image(params, g)
    mirrored = u.reshape(n, -1)[:, mirror].reshape(n, h, w)
    shift = torch.where(lower, u, -mirrored).masked_fill(selfconj, 0.0)
    shift = torch.deg2rad(shift)[:, :, : w // 2 + 1]
    spectrum = torch.fft.rfft2(g) * torch.polar(torch.ones_like(shift), shift)
    return _rgb(torch.fft.irfft2(spectrum, s=(h, w)).to(x.dtype))


def power_equalisation(x: torch.Tensor, params: torch.Tensor,
                       seeds: Sequence[int]) -> torch.Tensor:
    """Grey; parameter 1 (``pow``): keep the phase, amplitude = the mean spectrum (224 px)."""
    g = grey(x).float()
    h, w = g.shape[1:]
    target = np.fft.ifftshift(mean_power_spectrum())[:, : w // 2 + 1]
    amplitude = torch.as_tensor(np.ascontiguousarray(target), dtype=g.dtype, device=g.device)
    spectrum = torch.fft.rfft2(g)
    magnitude = spectrum.abs()
    unit = torch.where(magnitude > 0, spectrum / magnitude.clamp_min(1e-30),
                       torch.ones_like(spectrum))
    equalised = torch.fft.irfft2(amplitude * unit, s=(h, w))
    on = _per_image(params, g) > 0.5
    return _rgb(torch.where(on, equalised, g).to(x.dtype))


def rotation(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Grey, rotated counter-clockwise by 0, 90, 180 or 270 degrees (square images)."""
    return _rgb(_by_value(grey(x), params,
                          lambda g, deg: torch.rot90(g, k=int(round(deg / 90)) % 4, dims=(1, 2))))


def opponent_colour(x: torch.Tensor, params: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """Parameter 1 (``false``): negate the two DKL chromatic axes through the 2018 lab's
    display curve; 0 (``true``): unchanged."""
    curve = torch.tensor(np.array(display_gamma_curve()), dtype=torch.float64,
                            device=x.device)
    a, b = (torch.as_tensor(m, dtype=torch.float64, device=x.device)
            for m in _opponent_matrix())
    levels = torch.floor(x.double() * 255.0 + 0.5).clamp(0, 255).long()
    linear = curve[levels].permute(0, 2, 3, 1)
    flipped = (linear @ a.T + b).clamp(0.0, 1.0).contiguous()
    idx = torch.searchsorted(curve, flipped).clamp(1, curve.numel() - 1)
    lower, upper = curve[idx - 1], curve[idx]
    out = torch.where(flipped - lower <= upper - flipped, idx - 1, idx)
    out = (out.to(x.dtype) / 255.0).permute(0, 3, 1, 2)
    return torch.where(_per_image(params, x) > 0.5, out, x)


AUGMENTATIONS: dict[str, Augmentation] = {
    "colour": colour, "greyscale": colour, "contrast": contrast, "uniform-noise": uniform_noise,
    "salt-and-pepper": salt_and_pepper, "low-pass": low_pass, "high-pass": high_pass,
    "phase-noise": phase_noise, "power-equalisation": power_equalisation,
    "rotation": rotation, "opponent-colour": opponent_colour,
    "gaussian-noise": gaussian_noise, "speckle-noise": speckle_noise,
}


def apply_plan(x: torch.Tensor, plan: DistortionPlan, which: torch.Tensor,
               params: torch.Tensor, seeds: torch.Tensor) -> torch.Tensor:
    """Each image of ``x`` (N, 3, H, W, [0, 1]) with its drawn manipulation (``which`` =
    index into ``plan.names``, ``CLEAN`` for none; worker manipulations were applied
    already)."""
    ids = which.cpu().numpy()
    out = x
    for m in np.unique(ids):
        if m == CLEAN or int(m) in plan.worker_ids:
            continue
        pick = np.flatnonzero(ids == m)
        idx = torch.from_numpy(pick).to(x.device)
        f = AUGMENTATIONS[plan.names[int(m)]]
        if out is x:
            out = x.clone()
        out[idx] = f(x[idx], params[pick], seeds[pick].tolist()).to(x.dtype)
    return out
