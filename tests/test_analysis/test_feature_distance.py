"""The feature-space distance of Table 7 on hand-made features."""
import math

import pytest
import torch

from dfa_lab.analysis import (DISTANCE_DEFINITION, class_feature_distances,
                              mean_distance, render_distance_table)

# Latents (N, 1, 1, 2), flattened to 2-D points.
SOURCE = torch.tensor([[0., 0.], [2., 0.], [1., 1.], [7.,
                                                      7.]]).view(4, 1, 1, 2)
SOURCE_LABELS = torch.tensor([0, 0, 1, 2])
TARGET = torch.tensor([[0., 3.], [4., 5.], [1., 1.]]).view(3, 1, 1, 2)
TARGET_LABELS = torch.tensor([0, 1, 1])
# Class 0: pairs (0,0)-(0,3) and (2,0)-(0,3): (3 + sqrt(13)) / 2.
# Class 1: pairs (1,1)-(4,5) and (1,1)-(1,1): (5 + 0) / 2.
# Class 2 has no target image: no distance.
CLASS_0 = (3 + math.sqrt(13)) / 2
CLASS_1 = 2.5


def test_class_feature_distances_by_hand():
    distances = class_feature_distances(SOURCE, SOURCE_LABELS, TARGET,
                                        TARGET_LABELS)
    assert distances == {0: pytest.approx(CLASS_0), 1: pytest.approx(CLASS_1)}
    assert mean_distance(distances) == pytest.approx((CLASS_0 + CLASS_1) / 2)


def test_identical_domains_are_not_at_distance_zero():
    # The mean over all pairs of a class includes pairs of different images:
    # a domain compared with itself is at the mean within-class distance.
    points = torch.tensor([[0., 0.], [0., 2.]])
    labels = torch.tensor([0, 0])
    distances = class_feature_distances(points, labels, points, labels)
    assert distances == {0: pytest.approx(1.0)}  # (0 + 2 + 2 + 0) / 4


def test_render_distance_table():
    table = render_distance_table(
        {
            'MCD': {
                0: CLASS_0,
                1: CLASS_1
            },
            'DFA-MCD': {
                0: 1.0
            }
        },
        class_names=['zero', 'one'],
        notes=['MCD: mcd.pt'])
    lines = table.splitlines()
    assert lines[:5] == [
        '| class | MCD | DFA-MCD |', '|---|---|---|',
        f'| zero | {CLASS_0:.3f} | 1.000 |', '| one | 2.500 | - |',
        f'| **mean** | **{(CLASS_0 + CLASS_1) / 2:.3f}** | **1.000** |'
    ]
    assert lines[5:] == ['', DISTANCE_DEFINITION, '', 'MCD: mcd.pt']
