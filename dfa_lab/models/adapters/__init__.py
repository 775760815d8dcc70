from .base import BaseAdapter, ClassifierSet
from .dann import CDAN, DANN
from .mcd import MCD
from .safn import SAFN, EmbeddingClassifierSet
from .source_only import ENT, SourceOnly

__all__ = [
    'BaseAdapter', 'ClassifierSet', 'MCD', 'ENT', 'SourceOnly', 'SAFN',
    'EmbeddingClassifierSet', 'DANN', 'CDAN'
]
