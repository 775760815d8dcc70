"""dfa_lab: unsupervised domain adaptation with Discriminative Feature
Alignment, on mmengine."""
from .version import __version__

__all__ = ['__version__']
