"""Figures of the paper's analyses, written as PNG files.

Figures are drawn on :class:`matplotlib.figure.Figure` objects, which
render with the Agg backend whatever pyplot's backend is, so nothing needs
a display.
"""
import math
import os
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.manifold import TSNE
from torch import Tensor

from .features import DOMAINS
from .scalars import (ACCURACY_KEY, load_training_series,
                      load_validation_records)

DOMAIN_COLOURS = dict(source='tab:blue', target='tab:red')
DOMAIN_MARKERS = dict(source='o', target='^')
# Class legends beyond this many entries cover the plot.
MAX_LEGEND_CLASSES = 20


def save_figure(figure: Figure, out: str) -> None:
    """Write ``figure`` to ``out`` (PNG), creating its folder."""
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    figure.savefig(out, dpi=150, bbox_inches='tight')


def class_name(features: dict, label: int) -> str:
    """The name of class ``label`` in a features file, or its index."""
    classes = features.get('classes')
    return str(label) if classes is None else classes[label]


def plot_tsne(features: dict,
              out: str,
              max_per_domain: int = 1000,
              perplexity: float = 30.0,
              seed: int = 0) -> np.ndarray:
    """t-SNE of the source and target features (the paper's Fig. 5).

    Both domains are embedded together, so that their positions compare.
    Two panels show the same embedding: coloured by domain, and coloured by
    class (source dots, target triangles).

    Args:
        features: A features file's contents
            (:func:`~dfa_lab.analysis.load_features`).
        out: PNG file to write.
        max_per_domain: Embed at most this many samples of each domain,
            drawn at random with ``seed``.
        perplexity: t-SNE perplexity; lowered to ``N - 1`` for ``N``
            samples, the most t-SNE accepts.
        seed: Seed of the subsampling and of t-SNE.

    Returns:
        np.ndarray: The 2-D embedding, source samples first.
    """
    generator = torch.Generator().manual_seed(seed)
    points, labels, domains = [], [], []
    for domain in DOMAINS:
        flat = features[domain]['features']
        keep = torch.randperm(len(flat), generator=generator)[:max_per_domain]
        keep = keep.sort().values
        points.append(flat[keep])
        labels.append(features[domain]['labels'][keep])
        domains += [domain] * len(keep)
    points = torch.cat(points).double().numpy()
    labels = torch.cat(labels).numpy()
    domains = np.array(domains)
    embedding = TSNE(
        n_components=2,
        perplexity=min(perplexity,
                       len(points) - 1),
        init='pca',
        random_state=seed).fit_transform(points)

    figure = Figure(figsize=(12, 5.5))
    by_domain, by_class = figure.subplots(1, 2)
    for domain in DOMAINS:
        at = domains == domain
        by_domain.scatter(
            *embedding[at].T,
            s=8,
            alpha=0.6,
            c=DOMAIN_COLOURS[domain],
            marker=DOMAIN_MARKERS[domain],
            label=f'{domain} ({at.sum()})')
    by_domain.legend()
    by_domain.set_title('by domain')
    classes = np.unique(labels)
    colours = class_colours(len(classes))
    for colour, label in zip(colours, classes):
        for domain in DOMAINS:
            at = (labels == label) & (domains == domain)
            by_class.scatter(
                *embedding[at].T,
                s=8,
                alpha=0.6,
                color=colour,
                marker=DOMAIN_MARKERS[domain],
                label=class_name(features, int(label))
                if domain == 'source' else None)
    if len(classes) <= MAX_LEGEND_CLASSES:
        by_class.legend(
            loc='center left', bbox_to_anchor=(1, 0.5), markerscale=2)
    by_class.set_title('by class (source o, target ^)')
    for axes in (by_domain, by_class):
        axes.set_xticks([])
        axes.set_yticks([])
    figure.suptitle('t-SNE of the latent features')
    save_figure(figure, out)
    return embedding


def class_colours(count: int) -> List[tuple]:
    """``count`` distinct colours: matplotlib's qualitative maps where they
    have enough entries, evenly spaced hues beyond."""
    for name, size in (('tab10', 10), ('tab20', 20)):
        if count <= size:
            return [colormaps[name](i) for i in range(count)]
    return [colormaps['hsv'](i / count) for i in range(count)]


def latent_vectors(features: dict,
                   label: int,
                   sample: int = 0) -> Dict[str, Tensor]:
    """The flattened latent of the ``sample``-th image of class ``label``
    in each domain of a features file."""
    vectors = {}
    for domain in DOMAINS:
        of_class = features[domain]['labels'] == label
        count = int(of_class.sum())
        if sample >= count:
            raise ValueError(
                f'The {domain} features hold {count} samples of class '
                f'{label}; sample {sample} does not exist.')
        vectors[domain] = features[domain]['features'][of_class][sample]
    return vectors


def plot_latent_histogram(features: dict,
                          out: str,
                          label: Optional[int] = None,
                          sample: int = 0,
                          bins: int = 50) -> Tuple[int, Dict[str, Tensor]]:
    """Histograms of one source and one target latent vector of the same
    class against the density of the prior ``N(0, 1)`` (the paper's Figs.
    7-9).

    Each panel is the distribution of the values of one image's flattened
    latent ``G(x)``: with DFA, ``L_kld`` and ``L_dal`` pull both towards the
    prior.

    Args:
        features: A features file's contents.
        out: PNG file to write.
        label: The class; the lowest class present in both domains if None.
        sample: Which image of the class, counted in file order, in each
            domain.
        bins: Histogram bins.

    Returns:
        tuple: The class and ``{domain: latent vector}`` that were drawn.
    """
    if label is None:
        shared = set(features['source']['labels'].tolist()) & set(
            features['target']['labels'].tolist())
        if not shared:
            raise ValueError('No class has samples in both domains.')
        label = min(shared)
    vectors = latent_vectors(features, label, sample)
    figure = Figure(figsize=(11, 4.5))
    panels = figure.subplots(1, 2, sharey=True)
    for axes, (domain, vector) in zip(panels, vectors.items()):
        values = vector.double().numpy()
        axes.hist(
            values,
            bins=bins,
            density=True,
            color=DOMAIN_COLOURS[domain],
            alpha=0.6,
            label=f'{domain} latent')
        low = min(-4.0, values.min())
        high = max(4.0, values.max())
        grid = np.linspace(low, high, 400)
        axes.plot(
            grid,
            np.exp(-grid**2 / 2) / math.sqrt(2 * math.pi),
            color='black',
            label='prior N(0, 1)')
        axes.set_title(f'{domain}: mean {values.mean():.2f}, '
                       f'std {values.std():.2f}, {values.size} values')
        axes.set_xlabel('latent value')
        axes.legend()
    panels[0].set_ylabel('density')
    figure.suptitle(
        f'Latent values of one image of class {class_name(features, label)}'
        ' per domain')
    save_figure(figure, out)
    return label, vectors


def plot_accuracy_curves(
        run_dirs: Sequence[str],
        out: str,
        labels: Optional[Sequence[str]] = None,
        metric: str = ACCURACY_KEY) -> Dict[str, List[Tuple[int, float]]]:
    """Validation accuracy against training iteration for several runs (the
    paper's Fig. 11, which compares DFA-MCD with MCD).

    Args:
        run_dirs: Work dirs of the runs, each holding mmengine's
            ``<timestamp>/vis_data/scalars.json`` (see
            :func:`~dfa_lab.analysis.scalars.load_validation_records`; resumed
            runs are merged).
        out: PNG file to write.
        labels: Legend entry of each run; the run dirs if None.
        metric: The logged metric to draw.

    Returns:
        dict: ``{label: [(iteration, value), ...]}`` as drawn.
    """
    labels = list(run_dirs) if labels is None else list(labels)
    if len(labels) != len(run_dirs):
        raise ValueError(f'{len(run_dirs)} runs but {len(labels)} labels.')
    curves = {}
    for label, run_dir in zip(labels, run_dirs):
        points = [(step, metrics[metric])
                  for step, metrics in load_validation_records(run_dir)
                  if metric in metrics]
        if not points:
            scalars = osp.join(run_dir, '<timestamp>', 'vis_data',
                               'scalars.json')
            raise ValueError(f'{run_dir} logged no {metric}: expected '
                             f'validation lines in {scalars}.')
        curves[label] = points
    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    for label, points in curves.items():
        axes.plot(*zip(*points), marker='o', markersize=3, label=label)
    axes.set_xlabel('iteration')
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(metric + (' (%)' if 'accuracy' in metric else ''))
    axes.grid(alpha=0.3)
    axes.legend()
    save_figure(figure, out)
    return curves


def plot_training_curves(
        groups: Mapping[str, Sequence[str]], keys: Sequence[str],
        out: str) -> Dict[str, Dict[str, List[Tuple[int, float]]]]:
    """Logged training scalars against iteration, one panel per scalar and
    one line per group of runs (the mean over the group's runs, e.g. its
    seeds, at the iterations all of them logged).

    DFA's diagnostics are what this is for: ``dfa/zero_fraction`` and
    ``dfa/dal`` show when and whether a decoder collapses.

    Args:
        groups: ``{label: [run dir, ...]}``.
        keys: Logged names or their last components (see
            :func:`~dfa_lab.analysis.scalars.load_training_series`).
        out: PNG file to write.

    Returns:
        dict: ``{key: {label: [(iteration, mean value), ...]}}`` as drawn.
    """
    curves: Dict[str, Dict[str, List[Tuple[int, float]]]] = {}
    for key in keys:
        curves[key] = {}
        for label, run_dirs in groups.items():
            series = [dict(load_training_series(d, key)) for d in run_dirs]
            if not all(series):
                missing = [d for d, s in zip(run_dirs, series) if not s]
                raise ValueError(f'{missing} logged no {key!r}.')
            steps = sorted(set.intersection(*(set(s) for s in series)))
            curves[key][label] = [(step, sum(s[step]
                                             for s in series) / len(series))
                                  for step in steps]
    figure = Figure(figsize=(6 * len(keys), 4.5), layout='constrained')
    panels = np.atleast_1d(figure.subplots(1, len(keys)))
    for axes, key in zip(panels, keys):
        for label, points in curves[key].items():
            axes.plot(*zip(*points), label=label)
        axes.set_xlabel('iteration')
        axes.set_title(key)
        axes.grid(alpha=0.3)
    # Below the panels: inside one, a legend of many runs hides the curves.
    figure.legend(
        *panels[0].get_legend_handles_labels(),
        loc='outside lower center',
        ncol=min(len(groups), 5))
    save_figure(figure, out)
    return curves
