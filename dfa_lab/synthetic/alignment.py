"""Training ``G`` and ``D`` on a 2-D target domain with the distribution
alignment loss alone, and measuring how far the decoded target lies from
the source."""
from dataclasses import dataclass, field
from typing import Dict

import torch
from torch import Tensor

from dfa_lab.models.losses import distribution_alignment_loss
from .networks import MLPEncoder, TiedMLPDecoder

#: What the decoded target ``D(G(x_t))`` is compared with by the L1.
#: ``'prior'``: ``D(z_n)``, ``z_n ~ N(0, I)`` drawn in the latent's shape at
#: every iteration: ``L_dal`` of eq. 18. ``'source'``: the source points
#: themselves, in a fixed order: the L1 of the authors' released synthetic
#: scripts, which puts ``x_s`` where eq. 18 has ``D(z_n)``.
REFERENCES = ('prior', 'source')


def energy_distance(x: Tensor, y: Tensor) -> float:
    """Squared energy distance between two point sets (Székely & Rizzo):
    ``2 E|X - Y| - E|X - X'| - E|Y - Y'|`` with Euclidean norms, as the
    V-statistic (means over all pairs, self-pairs included), in float64.

    It is zero for identical samples and grows with any difference in
    location or shape; it needs no kernel or bandwidth.
    """
    x, y = x.double(), y.double()
    return (2 * torch.cdist(x, y).mean() - torch.cdist(x, x).mean() -
            torch.cdist(y, y).mean()).item()


@dataclass
class AlignmentResult:
    """Points and distances of one training, before and after.

    Args:
        source: Source points ``x_s``.
        target: Target points ``x_t``.
        decoded: ``{'before': D(G(x_t)), 'after': D(G(x_t))}``, decoded in
            eval mode by the untrained and by the trained networks.
        decoded_prior: The same for ``D(z)``, one fixed prior batch.
        distances: ``energy_distance`` by name: ``'source-target'`` (the
            raw domains), ``'source-decoded/<when>'`` and
            ``'prior-decoded/<when>'`` (``D(z)`` against ``D(G(x_t))``)
            for ``<when>`` in before and after.
        losses: Training loss at every iteration.
    """
    source: Tensor
    target: Tensor
    decoded: Dict[str, Tensor] = field(default_factory=dict)
    decoded_prior: Dict[str, Tensor] = field(default_factory=dict)
    distances: Dict[str, float] = field(default_factory=dict)
    losses: list = field(default_factory=list)


def train_alignment(source: Tensor,
                    target: Tensor,
                    iters: int = 2000,
                    lr: float = 1e-3,
                    reference: str = 'prior',
                    seed: int = 0) -> AlignmentResult:
    """Train a fresh ``G`` and tied ``D`` on the target with the DAL alone.

    Every iteration is one full batch: ``L = mean |D(G(x_t)) - r|`` with
    ``r`` given by ``reference`` (:data:`REFERENCES`), Adam on ``G``'s and
    ``D``'s parameters. The source enters training only with
    ``reference='source'``.

    Args:
        source: Source points ``(N, 2)``.
        target: Target points ``(M, 2)``; with ``reference='source'``,
            ``M == N``.
        iters: Training iterations.
        lr: Adam's learning rate.
        reference: ``'prior'`` or ``'source'``.
        seed: Seed of the initialisation and the prior samples.
    """
    if reference not in REFERENCES:
        raise ValueError(
            f'reference must be one of {REFERENCES}, got {reference!r}.')
    if reference == 'source' and source.shape != target.shape:
        raise ValueError(
            "reference='source' compares the domains point by point and "
            f'needs equal sizes, got {tuple(source.shape)} and '
            f'{tuple(target.shape)}.')
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    encoder = MLPEncoder()
    decoder = TiedMLPDecoder(encoder)
    optimizer = torch.optim.Adam(
        [*encoder.parameters(), *decoder.parameters()], lr=lr)
    latent_shape = (target.shape[0], MLPEncoder.widths[-1])
    eval_prior = torch.randn(latent_shape, generator=generator)
    result = AlignmentResult(source, target)
    result.distances['source-target'] = energy_distance(source, target)

    def evaluate(when: str) -> None:
        encoder.eval()
        decoder.eval()
        with torch.no_grad():
            result.decoded[when] = decoder(encoder(target))
            result.decoded_prior[when] = decoder(eval_prior)
        result.distances[f'source-decoded/{when}'] = energy_distance(
            source, result.decoded[when])
        result.distances[f'prior-decoded/{when}'] = energy_distance(
            result.decoded_prior[when], result.decoded[when])
        encoder.train()
        decoder.train()

    evaluate('before')
    for _ in range(iters):
        decoded = decoder(encoder(target))
        if reference == 'prior':
            # Decoded in a call of its own, as DFA does: the decoder's
            # BatchNorm normalises the prior batch with its own statistics.
            reference_points = decoder(
                torch.randn(latent_shape, generator=generator))
        else:
            reference_points = source
        loss = distribution_alignment_loss(decoded, reference_points)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        result.losses.append(loss.item())
    evaluate('after')
    return result
