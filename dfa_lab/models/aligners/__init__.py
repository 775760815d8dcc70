from .ablations import (DALDir, CrossDomainAligner, EncoderInputRecorder,
                        KLLDir, PriorKLAligner)
from .base import BaseAligner
from .dfa import DFA

__all__ = [
    'BaseAligner', 'DFA', 'PriorKLAligner', 'CrossDomainAligner', 'DALDir',
    'KLLDir', 'EncoderInputRecorder'
]
