"""Distance between the source and target feature spaces, class by class
(the paper's Table 7)."""
import statistics
from typing import Dict, Mapping, Optional, Sequence

import torch
from torch import Tensor

DISTANCE_DEFINITION = (
    'Mean L2 distance between the source and target feature spaces (Table '
    '7): for each class c, the mean over every pair (source image of class '
    'c, target image of class c) of the Euclidean distance between their '
    'flattened latent features G(x); "mean" is the unweighted mean of the '
    'class values.')


def class_feature_distances(source_features: Tensor, source_labels: Tensor,
                            target_features: Tensor,
                            target_labels: Tensor) -> Dict[int, float]:
    """Per-class mean L2 distance between source and target features.

    For a class ``c`` with source features ``s_1 .. s_m`` and target
    features ``t_1 .. t_n`` (samples labelled ``c``, each flattened)::

        d_c = 1 / (m n) * sum_i sum_j ||s_i - t_j||_2

    the mean over all ``m n`` cross-domain pairs of the class. The paper
    (Table 7) reports ``d_c`` on 100 images a class and domain, and the
    mean over classes (:func:`mean_distance`). Classes absent from either
    domain have no distance and are left out.

    Args:
        source_features: Source features ``(M, ...)``.
        source_labels: Their labels ``(M,)``.
        target_features: Target features ``(N, ...)``, same feature size.
        target_labels: Their labels ``(N,)``.

    Returns:
        dict: ``{class: d_c}`` for the classes present in both domains, in
        increasing class order.
    """
    source = source_features.flatten(1).double()
    target = target_features.flatten(1).double()
    classes = sorted(set(source_labels.tolist()) & set(target_labels.tolist()))
    # The matrix-product shortcut for Euclidean distances loses precision
    # between nearby vectors; the direct difference does not.
    return {
        c:
        torch.cdist(
            source[source_labels == c],
            target[target_labels == c],
            compute_mode='donot_use_mm_for_euclid_dist').mean().item()
        for c in classes
    }


def mean_distance(distances: Mapping[int, float]) -> float:
    """Table 7's overall value: the unweighted mean of the class values."""
    return statistics.mean(distances.values())


#: ``{column label: {class: distance}}``.
DistanceColumns = Mapping[str, Mapping[int, float]]


def render_distance_table(
    columns: DistanceColumns,
    class_names: Optional[Sequence[str]] = None,
    notes: Sequence[str] = ()) -> str:
    """A markdown table of per-class distances, one column per model.

    Args:
        columns: ``{column label: {class: distance}}``, e.g. one column for
            MCD and one for DFA-MCD.
        class_names: Name of each class index; indices are shown without.
        notes: Paragraphs that follow the definition of the distance.

    Returns:
        str: Rows for each class any column has, then the mean over classes;
        ``-`` where a column has no value for a class.
    """
    classes = sorted({c for distances in columns.values() for c in distances})
    lines = [
        '| class | ' + ' | '.join(columns) + ' |',
        '|' + '---|' * (len(columns) + 1)
    ]
    for c in classes:
        name = class_names[c] if class_names is not None else str(c)
        cells = [
            f'{distances[c]:.3f}' if c in distances else '-'
            for distances in columns.values()
        ]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    means = [f'**{mean_distance(d):.3f}**' for d in columns.values()]
    lines.append('| **mean** | ' + ' | '.join(means) + ' |')
    for paragraph in (DISTANCE_DEFINITION, *notes):
        lines += ['', paragraph]
    return '\n'.join(lines) + '\n'
