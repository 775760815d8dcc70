from .mlp_head import MLPHead
from .safn_head import SAFNHead

__all__ = ['MLPHead', 'SAFNHead']
