from .base import BaseAligner
from .dfa import DFA

__all__ = ['BaseAligner', 'DFA']
