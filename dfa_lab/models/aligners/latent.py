"""Aligners that act on the latent directly, with no decoder: direct
alignment of the two domains (the references DFA's Gaussian guidance is
measured against) and class-conditional Gaussian guidance (beyond the
paper).

Both measure the latent against a scale it cannot move. An encoder lowers
a term whose reference scale follows the latent (a running variance, a
fixed kernel width) by shrinking the latent, without aligning anything;
here the direct alignments divide both batches by their joint root mean
square and the class-conditional Gaussians read latents normalised per
sample, so that shrinking the latent changes no value.
"""
from typing import Dict, Optional

import torch
from mmengine import dist
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput
from .base import BaseAligner, check_loss_weight


def normalize_by_joint_rms(source: Tensor,
                           target: Tensor,
                           eps: float = 1e-12) -> tuple:
    """``(source / r, target / r)`` flattened to ``(B, D)``, ``r`` the root
    mean square of every element of both batches together (with its
    gradient): a common scale of the two latents is divided out."""
    source, target = source.flatten(1), target.flatten(1)
    rms = torch.cat([source, target]).square().mean().add(eps).sqrt()
    return source / rms, target / rms


def normalize_per_sample(latent: Tensor, eps: float = 1e-12) -> Tensor:
    """Each row of ``latent`` flattened to ``(B, D)`` and divided by its own
    root mean square (with its gradient), so that ``|z|^2 = D``."""
    flat = latent.flatten(1)
    return flat / flat.square().mean(dim=1, keepdim=True).add(eps).sqrt()


@MODELS.register_module()
class LatentDivergenceAligner(BaseAligner):
    """Direct alignment of the target latents with the source latents of
    the same update: ``beta * divergence(G(x_s) / r, G(x_t) / r)``, ``r``
    the joint root mean square of both batches.

    With ``GaussianMMDLoss`` it is DAN's multi-kernel MMD, with
    ``CORALLoss`` Deep CORAL, with ``SinkhornDivergenceLoss`` an
    optimal-transport alignment: the "direct alignment" that the paper's
    Table 8 finds weaker than Gaussian guidance (its ``L_daldir`` and
    ``L_klldir`` rows are two more forms, :class:`DALDir` and
    :class:`KLLDir`). The term needs the source pass of the same update
    (``needs_source_pass``); it has no source term.

    Logs ``align/divergence``, the unweighted term.

    Args:
        backbone: The adapter's backbone (passed by the adapter; unused).
        divergence: Config of the loss between the normalised source and
            target batches, without ``loss_weight`` (that is ``beta``).
        beta: Weight of the term.
        normalize: Divide both batches by their joint root mean square
            first. Without it, a divergence of fixed scale (CORAL, the
            Sinkhorn divergence) can be lowered by shrinking the latent.
        init_cfg: mmengine initialisation config.
    """

    needs_source_pass = True

    def __init__(self,
                 backbone: Optional[nn.Module] = None,
                 divergence: dict = dict(type='GaussianMMDLoss'),
                 beta: float = 1.0,
                 normalize: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, init_cfg=init_cfg)
        if 'loss_weight' in divergence:
            raise ValueError(
                f'{type(self).__name__} weights its divergence with beta; '
                f'remove loss_weight from divergence={divergence!r}.')
        self.divergence = MODELS.build(divergence)
        self.beta = check_loss_weight(type(self).__name__, 'beta', beta)
        self.normalize = normalize

    def target_losses(
            self,
            encoded: EncoderOutput,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        source_latent, target_latent = source.flat, encoded.flat
        if self.normalize:
            source_latent, target_latent = normalize_by_joint_rms(
                source_latent, target_latent)
        divergence = self.divergence(source_latent, target_latent)
        return {
            'loss_align': self.beta * divergence,
            'align/divergence': divergence.detach()
        }


@MODELS.register_module()
class ClassConditionalAligner(BaseAligner):
    """Class-conditional Gaussian guidance: one Gaussian per class in the
    latent, a prior that agrees with classification (beyond the paper,
    whose single ``N(0, I)`` asks all ten classes to form one blob).

    Latents are read normalised per sample (``z / rms(z)``, so ``|z|^2 =
    D``). Class ``k``'s component is ``N(mu_k, sigma^2 I)``: ``mu_k`` a
    running mean of the normalised source latents of class ``k`` (updated
    at every source hook, no gradient), ``sigma = component_std`` fixed.
    The mixture weights ``pi_k`` are the running source class frequencies.

    - Source term: ``alpha * mean_i |z_i - mu_{y_i}|^2 / (2 sigma^2 D)``,
      the negative log-likelihood of each source latent under its class's
      component, per feature, without its constant.
    - Target term: ``beta * mean_i -log sum_k pi_k exp(-|z_i - mu_k|^2 /
      (2 sigma^2)) / D``, the negative log-likelihood of each target latent
      under the mixture, per feature, without its constant: each target
      latent is pulled to the components of the source classes, the
      nearest most. Classes not yet seen are left out of the mixture.

    The source hook needs the source labels, which every host passes.
    Running means and frequencies are buffers: checkpoints hold them, and
    in a distributed run every rank updates them with the sums over all
    ranks.

    Logs ``align/class_nll`` and ``align/mixture_nll`` (the unweighted
    terms) and ``align/centre_distance`` (the mean squared distance per
    feature between the components of two seen classes: near 0 when the
    components have merged).

    Args:
        backbone: The adapter's backbone (passed by the adapter); its
            ``latent_dim`` sizes the running means.
        num_classes: Number of classes (the heads' ``num_classes``).
        alpha: Weight of the source term.
        beta: Weight of the target term.
        component_std: ``sigma``, per feature of the normalised latent.
        momentum: Weight of the old value in the running means and
            frequencies.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 backbone: nn.Module,
                 num_classes: int,
                 alpha: float = 0.1,
                 beta: float = 0.1,
                 component_std: float = 1.0,
                 momentum: float = 0.9,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, init_cfg=init_cfg)
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(
                f'num_classes must be an integer >= 2, got {num_classes!r}.')
        if component_std <= 0 or not 0 <= momentum < 1:
            raise ValueError(
                'ClassConditionalAligner needs component_std > 0 and 0 <= '
                f'momentum < 1, got component_std={component_std}, '
                f'momentum={momentum}.')
        self.alpha = check_loss_weight(type(self).__name__, 'alpha', alpha)
        self.beta = check_loss_weight(type(self).__name__, 'beta', beta)
        self.component_std = component_std
        self.momentum = momentum
        self.register_buffer('class_means',
                             torch.zeros(num_classes, backbone.latent_dim))
        self.register_buffer('class_frequencies', torch.zeros(num_classes))
        self.register_buffer('class_seen',
                             torch.zeros(num_classes, dtype=torch.bool))

    @torch.no_grad()
    def update_components(self, latent: Tensor, labels: Tensor) -> None:
        """Move each class's running mean towards the mean of the batch's
        normalised latents of that class (set it, the first time the class
        is seen), and the frequencies towards the batch's class shares;
        sums are taken over every rank."""
        num_classes = len(self.class_means)
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(
                f'ClassConditionalAligner has {num_classes} classes, got '
                f'source labels from {labels.min().item()} to '
                f'{labels.max().item()}.')
        one_hot = nn.functional.one_hot(labels, num_classes).to(latent.dtype)
        sums = one_hot.T @ latent
        counts = one_hot.sum(dim=0)
        dist.all_reduce(sums, op='sum')
        dist.all_reduce(counts, op='sum')
        present = counts > 0
        batch_means = sums[present] / counts[present, None]
        old = self.class_means[present]
        keep = torch.where(self.class_seen[present], self.momentum, 0.0)
        self.class_means[present] = keep[:, None] * old + (
            1 - keep[:, None]) * batch_means
        shares = counts / counts.sum()
        if self.class_seen.any():
            self.class_frequencies.mul_(self.momentum).add_(
                (1 - self.momentum) * shares)
        else:
            self.class_frequencies.copy_(shares)
        self.class_seen |= present

    def squared_distances(self, latent: Tensor) -> Tensor:
        """``|z_i - mu_k|^2 / D`` for every normalised latent ``z_i`` and
        class ``k``, ``(B, K)``."""
        return torch.cdist(latent, self.class_means).square() / latent.shape[1]

    def source_losses(
            self,
            encoded: EncoderOutput,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        if source_labels is None:
            raise RuntimeError(
                'ClassConditionalAligner pulls each source latent to its '
                "class's component and needs the source labels: call "
                "aligner(source, 'source', source_labels=labels).")
        latent = normalize_per_sample(encoded.latent)
        self.update_components(latent.detach(), source_labels)
        own = self.squared_distances(latent).gather(
            1, source_labels[:, None]).squeeze(1)
        class_nll = own.mean() / (2 * self.component_std**2)
        return {
            'loss_class_nll': self.alpha * class_nll,
            'align/class_nll': class_nll.detach(),
            'align/centre_distance': self.centre_distance(),
        }

    def target_losses(
            self,
            encoded: EncoderOutput,
            source: Optional[EncoderOutput] = None,
            source_labels: Optional[Tensor] = None) -> Dict[str, Tensor]:
        if not self.class_seen.any():
            raise RuntimeError(
                'ClassConditionalAligner has seen no source batch yet: the '
                'host must call the source hook before the target hook.')
        latent = normalize_per_sample(encoded.latent)
        seen = self.class_seen
        features = latent.shape[1]
        log_joint = (
            self.class_frequencies[seen].log() -
            self.squared_distances(latent)[:, seen] * features /
            (2 * self.component_std**2))
        mixture_nll = -log_joint.logsumexp(dim=1).mean() / features
        return {
            'loss_mixture_nll': self.beta * mixture_nll,
            'align/mixture_nll': mixture_nll.detach()
        }

    @torch.no_grad()
    def centre_distance(self) -> Tensor:
        """The mean over pairs of seen classes of ``|mu_j - mu_k|^2 / D``
        (0 with fewer than two seen classes)."""
        means = self.class_means[self.class_seen]
        if len(means) < 2:
            return means.new_zeros(())
        squared = torch.cdist(means, means).square() / means.shape[1]
        pairs = len(means) * (len(means) - 1)
        return squared.sum() / pairs
