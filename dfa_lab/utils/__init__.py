from .checkpoint import allow_checkpoint_globals
from .cli import add_common_arguments, load_config, parse_arguments
from .config import (check_model_selection, enable_autocast,
                     enable_source_validation, set_data_root, set_domains)
from .dist import init_cpu_process_group, shutdown_process_group
from .module import unwrap
from .setup_env import register_all_modules

__all__ = [
    'allow_checkpoint_globals', 'add_common_arguments', 'load_config',
    'parse_arguments', 'check_model_selection', 'enable_autocast',
    'enable_source_validation', 'set_data_root', 'set_domains',
    'init_cpu_process_group', 'shutdown_process_group', 'unwrap',
    'register_all_modules'
]
