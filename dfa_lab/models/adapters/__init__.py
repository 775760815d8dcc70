from .base import BaseAdapter, ClassifierSet, unwrap
from .mcd import MCD
from .safn import SAFN, EmbeddingClassifierSet
from .source_only import ENT, SourceOnly

__all__ = ['BaseAdapter', 'ClassifierSet', 'unwrap', 'MCD', 'ENT',
           'SourceOnly', 'SAFN', 'EmbeddingClassifierSet']
