from .adapters import *  # noqa: F401,F403
from .aligners import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .decoders import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
