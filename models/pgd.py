"""PGD-40 under an L-infinity bound, as Gavrikov & Keuper (2024) measured adversarial
robustness (``paulgavrikov/biases_vs_generalization``, ``code/eval_imagenet_adv.py``, which
calls foolbox 3's ``LinfPGD(steps=40, abs_stepsize=2/255)`` at ``eps = 0.5/255``); written
here in torch alone.

Pixels are in [0, 1] and the network normalises them itself (:class:`Normalised`), so
``eps`` is in pixel units. Per batch:

1. random start: ``x = clip(x0 + U(-eps, eps), 0, 1)``;
2. 40 times: ``g = grad_x sum CE(model(x), y)``; ``x = x + 2/255 · sign(g)``; project onto
   the eps-box around ``x0``; clip to [0, 1];
3. an image counts as robust when the model classifies the final ``x`` correctly (as
   foolbox's success criterion: a clean error almost always stays an error): robust
   accuracy.

Their step (2/255) is 4 x eps, so every step lands on a corner of the box. Their script
divided by a count that grows by the batch size even for the last, partial batch (50 048
for the 50 000 validation images, about 0.1 % low); here the denominator is the number of
images.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

EPS_LOW = 0.5 / 255  #: their "PGD-40/low"
STEPS = 40
STEP_SIZE = 2 / 255


class Normalised(nn.Module):
    """``model((x - mean) / std)``: a network that takes pixels in [0, 1]."""

    def __init__(self, model: nn.Module, mean: tuple[float, float, float],
                 std: tuple[float, float, float]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model((x - self.mean) / self.std)


def pgd_linf(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float = EPS_LOW,
             steps: int = STEPS, step_size: float = STEP_SIZE, random_start: bool = True,
             generator: torch.Generator | None = None,
             start: torch.Tensor | None = None) -> torch.Tensor:
    """Adversarial images within ``eps`` (L-inf) of ``x`` (``(N, 3, H, W)`` in [0, 1]).

    ``start``: the random start's uniform [0, 1) draws, shaped like ``x`` (drawn per image
    by the caller, so a resumed run starts each image where an uninterrupted one would);
    else drawn from ``generator``."""
    if eps < 0 or steps < 0 or step_size <= 0:
        raise ValueError("eps and steps must be >= 0 and step_size > 0")
    x0 = x.detach()
    if random_start and eps > 0:
        noise = (start if start is not None
                 else torch.rand(x0.shape, generator=generator, device="cpu")).to(x0)
        adv = (x0 + (noise * 2 - 1) * eps).clamp(0, 1)
    else:
        adv = x0.clone()
    for _ in range(steps):
        adv.requires_grad_(True)
        with torch.enable_grad():
            loss = F.cross_entropy(model(adv), y, reduction="sum")
            (grad,) = torch.autograd.grad(loss, adv)
        adv = adv.detach() + step_size * grad.sign()
        adv = (x0 + (adv - x0).clamp(-eps, eps)).clamp(0, 1)
    return adv.detach()


@dataclass(frozen=True)
class RobustResult:
    correct_clean: torch.Tensor  #: bool per image
    correct_adversarial: torch.Tensor  #: bool per image

    @property
    def robust_accuracy(self) -> float:
        return float(self.correct_adversarial.float().mean())


def robust_accuracy(model: nn.Module, batches, *, eps: float = EPS_LOW, steps: int = STEPS,
                    step_size: float = STEP_SIZE, seed: int = 0,
                    device: torch.device | str = "cpu") -> RobustResult:
    """Clean and adversarial correctness per image over ``batches`` of ``(x, y)``; the
    model is put in eval mode."""
    model = model.to(device).eval()
    generator = torch.Generator().manual_seed(seed)
    clean, adversarial = [], []
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        with torch.no_grad():
            clean.append((model(x).argmax(1) == y).cpu())
        adv = pgd_linf(model, x, y, eps=eps, steps=steps, step_size=step_size,
                       generator=generator)
        with torch.no_grad():
            adversarial.append((model(adv).argmax(1) == y).cpu())
    return RobustResult(torch.cat(clean), torch.cat(adversarial))
