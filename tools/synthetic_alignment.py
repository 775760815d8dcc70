"""The synthetic 2-D alignment study of the paper's Fig. 4.

For each case (two Gaussians with one covariance, two with one mean, the two
moons of ``make_moons`` with noise 0.1, blobs centred at (11, 11) and
(9, 9); 500 points a domain), a fresh ``MLPEncoder`` and the DFA aligner on
its weight-tied ``MLPDecoder`` are trained on the target with the
distribution alignment term alone, and one PNG per case shows the source,
the target and the decoded target ``D(G(x_t))`` before and after training.
A markdown table of energy distances goes to the terminal.

``--aligner`` changes the DFA aligner as a config would, e.g. the decoder's
BatchNorms or the form of ``L_dal``::

    python tools/synthetic_alignment.py --out-dir docs/results/synthetic
    python tools/synthetic_alignment.py --out-dir docs/results/synthetic \\
        --aligner decoder.bn_affine=False decoder.shared_bn_statistics=True \\
        loss_dal.type=EnergyDistanceLoss --name energy
"""
import argparse
import os
import os.path as osp
import shlex
import sys
from dataclasses import dataclass, field
from typing import Dict, Tuple

import numpy as np
import torch
from matplotlib.figure import Figure
from mmengine.config import Config, DictAction
from sklearn.datasets import make_blobs, make_moons
from torch import Tensor

from dfa_lab.models.losses import distribution_alignment_loss, energy_distance
from dfa_lab.registry import MODELS
from dfa_lab.utils import register_all_modules

#: The four cases of Fig. 4.
CASES = ('same-covariance', 'same-mean', 'moons', 'blobs')
#: What the decoded target ``D(G(x_t))`` is compared with. ``'prior'``: the
#: DFA aligner's target term, ``L_dal`` between ``D(G(x_t))`` and ``D(z_n)``
#: (eq. 18). ``'source'``: an L1 to the source points themselves, in a fixed
#: order, as the authors' released synthetic scripts train.
REFERENCES = ('prior', 'source')
COLUMNS = ('case', 'source vs target', 'source vs D(G(x_t)) before',
           'source vs D(G(x_t)) after', 'D(z) vs D(G(x_t)) before',
           'D(z) vs D(G(x_t)) after')

# The decoder ends in a ReLU, so it only reaches the positive quadrant: every
# source domain lies there, for decoded target points to be able to cover it.
_SHARED_COVARIANCE = [[1.0, 0.5], [0.5, 1.0]]
_SHARED_MEAN = [4.0, 4.0]
# Moons lie in [-1, 2] x [-0.5, 1]; this shift moves them into the positive
# quadrant.
_MOONS_SHIFT = np.array([1.0, 1.0])


def make_domains(case: str,
                 num_samples: int = 500,
                 seed: int = 0) -> Tuple[Tensor, Tensor]:
    """Source and target points of one case, float32 ``(num_samples, 2)``
    each."""
    rng = np.random.default_rng(seed)
    if case == 'same-covariance':
        source = rng.multivariate_normal([5.0, 5.0], _SHARED_COVARIANCE,
                                         num_samples)
        target = rng.multivariate_normal([2.0, 2.0], _SHARED_COVARIANCE,
                                         num_samples)
    elif case == 'same-mean':
        # A narrow source, a wide target of another orientation.
        source = rng.multivariate_normal(_SHARED_MEAN,
                                         [[0.25, 0.15], [0.15, 0.25]],
                                         num_samples)
        target = rng.multivariate_normal(_SHARED_MEAN,
                                         [[2.0, -1.0], [-1.0, 2.0]],
                                         num_samples)
    elif case == 'moons':
        # The upper half-moon is the source, the lower one the target.
        points, labels = make_moons(
            n_samples=2 * num_samples, noise=0.1, random_state=seed)
        points = points + _MOONS_SHIFT
        source, target = points[labels == 0], points[labels == 1]
    elif case == 'blobs':
        points, labels = make_blobs(
            n_samples=[num_samples, num_samples],
            centers=[(11.0, 11.0), (9.0, 9.0)],
            cluster_std=1.0,
            random_state=seed)
        source, target = points[labels == 0], points[labels == 1]
    else:
        raise ValueError(f'case must be one of {CASES}, got {case!r}.')
    return (torch.as_tensor(source, dtype=torch.float32),
            torch.as_tensor(target, dtype=torch.float32))


def distance(x: Tensor, y: Tensor) -> float:
    """The energy distance between two point sets (Euclidean, per
    coordinate; see :func:`dfa_lab.models.losses.energy_distance`), in
    float64: zero for identical sets, no kernel or bandwidth."""
    return energy_distance(x.double(), y.double()).item()


@dataclass
class AlignmentResult:
    """Points and distances of one training, before and after.

    Args:
        source: Source points ``x_s``.
        target: Target points ``x_t``.
        decoded: ``{'before': D(G(x_t)), 'after': D(G(x_t))}``, decoded in
            eval mode by the untrained and by the trained networks.
        decoded_prior: The same for ``D(z)``, one fixed prior batch.
        distances: :func:`distance` by name: ``'source-target'`` (the raw
            domains), ``'source-decoded/<when>'`` and
            ``'prior-decoded/<when>'`` (``D(z)`` against ``D(G(x_t))``) for
            ``<when>`` in before and after.
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
                    seed: int = 0,
                    aligner: dict = None) -> AlignmentResult:
    """Train a fresh ``G`` and DFA aligner on the target alone.

    Every iteration is one full batch and one Adam step on ``G``'s and the
    aligner's parameters, on the aligner's target term ``beta * L_dal`` with
    ``beta = 1`` (``reference='prior'``) or on ``mean |D(G(x_t)) - x_s|``
    (``reference='source'``, the only case where the source enters
    training).

    Args:
        source: Source points ``(N, 2)``.
        target: Target points ``(M, 2)``; with ``reference='source'``,
            ``M == N``.
        iters: Training iterations.
        lr: Adam's learning rate.
        reference: One of :data:`REFERENCES`.
        seed: Seed of the initialisation and the prior samples.
        aligner: Options merged into the aligner config
            ``dict(type='DFA', alpha=0, beta=1)``.
    """
    if reference not in REFERENCES:
        raise ValueError(
            f'reference must be one of {REFERENCES}, got {reference!r}.')
    if reference == 'source' and source.shape != target.shape:
        raise ValueError(
            "reference='source' compares the domains point by point and "
            f'needs equal sizes, got {tuple(source.shape)} and '
            f'{tuple(target.shape)}.')
    register_all_modules()
    torch.manual_seed(seed)
    encoder = MODELS.build(dict(type='MLPEncoder'))
    aligner_cfg = Config(dict(aligner=dict(type='DFA', alpha=0.0, beta=1.0)))
    aligner_cfg.merge_from_dict({
        f'aligner.{key}': value
        for key, value in (aligner or {}).items()
    })
    dfa = MODELS.build(
        aligner_cfg.aligner, default_args=dict(backbone=encoder))
    optimizer = torch.optim.Adam([*encoder.parameters(), *dfa.parameters()],
                                 lr=lr)
    eval_prior = torch.randn((target.shape[0], encoder.latent_dim),
                             generator=torch.Generator().manual_seed(seed))
    result = AlignmentResult(source, target)
    result.distances['source-target'] = distance(source, target)

    def evaluate(when: str) -> None:
        encoder.eval()
        dfa.eval()
        with torch.no_grad():
            encoded = encoder(target)
            result.decoded[when] = dfa.decoder(encoded.latent, encoded)
            result.decoded_prior[when] = dfa.decoder(eval_prior, encoded)
        result.distances[f'source-decoded/{when}'] = distance(
            source, result.decoded[when])
        result.distances[f'prior-decoded/{when}'] = distance(
            result.decoded_prior[when], result.decoded[when])
        encoder.train()
        dfa.train()

    evaluate('before')
    for _ in range(iters):
        encoded = encoder(target)
        if reference == 'prior':
            loss = dfa(encoded, 'target')['loss_dal']
        else:
            loss = distribution_alignment_loss(
                dfa.decoder(encoded.latent, encoded), source)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        result.losses.append(loss.item())
    evaluate('after')
    return result


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Synthetic 2-D alignment with the DAL alone (Fig. 4)')
    parser.add_argument('--out-dir', required=True, help='folder for the PNGs')
    parser.add_argument(
        '--cases',
        nargs='+',
        choices=CASES,
        default=list(CASES),
        help='cases to run (default: all)')
    parser.add_argument(
        '--iters', type=int, default=2000, help='training iterations')
    parser.add_argument(
        '--lr', type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the data, the networks and the prior')
    parser.add_argument(
        '--num-samples', type=int, default=500, help='points a domain')
    parser.add_argument(
        '--reference',
        choices=REFERENCES,
        default='prior',
        help="what D(G(x_t)) is compared with: 'prior' is L_dal against "
        "D(z), z ~ N(0, I); 'source' puts the source points in D(z)'s "
        'place (default: prior)')
    parser.add_argument(
        '--aligner',
        nargs='+',
        action=DictAction,
        default={},
        metavar='KEY=VALUE',
        help='options of the DFA aligner, e.g. decoder.bn_affine=False '
        'loss_dal.type=EnergyDistanceLoss')
    parser.add_argument(
        '--name',
        help='suffix of the PNG names, <case>_<name>.png (default: the '
        'reference)')
    args = parser.parse_args(argv)
    if args.iters < 0:
        parser.error('--iters must be >= 0')
    return args


def plot_case(case: str, result: AlignmentResult, title: str,
              path: str) -> None:
    """Two panels, before and after training: source, target, decoded
    target and decoded prior points."""
    figure = Figure(figsize=(10, 4.6))
    axes = figure.subplots(1, 2, sharex=True, sharey=True)
    for axis, when in zip(axes, ('before', 'after')):
        axis.scatter(*result.source.T, s=6, alpha=0.6, label='source $x_s$')
        axis.scatter(*result.target.T, s=6, alpha=0.6, label='target $x_t$')
        axis.scatter(
            *result.decoded[when].T,
            s=6,
            alpha=0.6,
            label='decoded target $D(G(x_t))$')
        axis.scatter(
            *result.decoded_prior[when].T,
            s=4,
            alpha=0.3,
            color='grey',
            label='decoded prior $D(z)$')
        value = result.distances[f'source-decoded/{when}']
        axis.set_title(
            f'{when} training: energy distance source vs '
            f'decoded target {value:.3f}',
            fontsize=9)
        axis.set_aspect('equal', adjustable='box')
    axes[0].legend(fontsize=7, loc='best')
    figure.suptitle(f'{case}: {title}')
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def render_table(results: Dict[str, AlignmentResult]) -> str:
    """One markdown row of energy distances per case."""
    lines = ['| ' + ' | '.join(COLUMNS) + ' |', '|' + '---|' * len(COLUMNS)]
    keys = ('source-target', 'source-decoded/before', 'source-decoded/after',
            'prior-decoded/before', 'prior-decoded/after')
    for case, result in results.items():
        cells = [f'{result.distances[key]:.4f}' for key in keys]
        lines.append('| ' + ' | '.join([case, *cells]) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    name = args.name or args.reference
    options = ', '.join(f'{k}={v}' for k, v in args.aligner.items())
    title = f'trained on the target alone (reference: {args.reference}' + (
        f'; {options})' if options else ')')
    results = {}
    for case in args.cases:
        source, target = make_domains(case, args.num_samples, args.seed)
        results[case] = train_alignment(
            source,
            target,
            iters=args.iters,
            lr=args.lr,
            reference=args.reference,
            seed=args.seed,
            aligner=args.aligner)
        plot_case(case, results[case], title,
                  osp.join(args.out_dir, f'{case}_{name}.png'))
    print(f'Energy distances ({title}, {args.iters} iterations, seed '
          f'{args.seed}):\n')
    print(render_table(results))
    print('\nCommand: `' +
          shlex.join(['python', 'tools/synthetic_alignment.py', *argv]) + '`')
    return 0


if __name__ == '__main__':
    sys.exit(main())
