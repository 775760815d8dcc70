from .domain_discriminator import DomainDiscriminator
from .mlp_head import MLPHead
from .safn_head import SAFNHead

__all__ = ['DomainDiscriminator', 'MLPHead', 'SAFNHead']
