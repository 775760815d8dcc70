from .checkpoint import allow_checkpoint_globals
from .config import check_model_selection, enable_autocast, set_data_root
from .dist import init_cpu_process_group, shutdown_process_group

__all__ = [
    'allow_checkpoint_globals', 'check_model_selection', 'enable_autocast',
    'set_data_root', 'init_cpu_process_group', 'shutdown_process_group'
]
