from .ablations import CrossDomainAligner, DALDir, KLLDir, PriorKLAligner
from .base import BaseAligner
from .dfa import DFA

__all__ = [
    'BaseAligner', 'DFA', 'PriorKLAligner', 'CrossDomainAligner', 'DALDir',
    'KLLDir'
]
