from .base import BaseAdapter, ClassifierSet
from .mcd import MCD
from .safn import SAFN, EmbeddingClassifierSet
from .source_only import ENT, SourceOnly

__all__ = [
    'BaseAdapter', 'ClassifierSet', 'MCD', 'ENT', 'SourceOnly', 'SAFN',
    'EmbeddingClassifierSet'
]
