from .ablations import DALDir, KLLDir, PriorKLAligner
from .base import BaseAligner, build_decoder
from .dfa import DFA

__all__ = [
    'BaseAligner', 'build_decoder', 'DFA', 'PriorKLAligner', 'DALDir', 'KLLDir'
]
