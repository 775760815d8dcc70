"""The synthetic 2-D alignment study of the paper's Fig. 4: two domains in
the plane, the paper's MLP encoder and weight-tied decoder, trained with the
distribution alignment loss alone (``tools/synthetic_alignment.py``)."""
from .alignment import (REFERENCES, AlignmentResult, energy_distance,
                        train_alignment)
from .domains import CASES, make_domains
from .networks import MLPEncoder, TiedMLPDecoder

__all__ = [
    'CASES', 'REFERENCES', 'AlignmentResult', 'MLPEncoder', 'TiedMLPDecoder',
    'energy_distance', 'make_domains', 'train_alignment'
]
