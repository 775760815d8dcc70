"""dfa_lab: unsupervised domain adaptation with Discriminative Feature
Alignment, on mmengine."""
from .version import __version__
from .utils.checkpoint import allow_checkpoint_globals

allow_checkpoint_globals()

__all__ = ['__version__']
