"""dfa_lab: unsupervised domain adaptation with Discriminative Feature
Alignment, on mmengine."""
from .utils.checkpoint import allow_checkpoint_globals
from .version import __version__

allow_checkpoint_globals()

__all__ = ['__version__']
