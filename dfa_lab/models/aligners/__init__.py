from .ablations import DALDir, KLLDir, PriorKLAligner
from .base import BaseAligner, build_decoder, latent_scale
from .dfa import DFA
from .latent import (ClassConditionalAligner, LatentDivergenceAligner,
                     normalize_by_joint_rms, normalize_per_sample)

__all__ = [
    'BaseAligner', 'build_decoder', 'latent_scale', 'DFA', 'PriorKLAligner',
    'DALDir', 'KLLDir', 'LatentDivergenceAligner', 'ClassConditionalAligner',
    'normalize_by_joint_rms', 'normalize_per_sample'
]
