from .checkpoint import (CheckpointError, checkpoint_damage,
                         find_resumable_checkpoint, message_hub_from_data,
                         message_hub_to_data, read_checkpoint,
                         state_dict_mismatch)
from .cli import (add_common_arguments, build_runner, load_config,
                  parse_arguments)
from .config import (check_model_selection, check_option_keys, enable_autocast,
                     enable_source_validation, set_data_root, set_domains)
from .dist import (init_cpu_process_group, randn_like_global_batch,
                   shutdown_process_group)
from .floating_point import count_subnormals, flush_denormals
from .module import unwrap
from .setup_env import register_all_modules
from .work_dir_lock import WorkDirBusyError, WorkDirLock

__all__ = [
    'CheckpointError', 'checkpoint_damage', 'find_resumable_checkpoint',
    'message_hub_from_data', 'message_hub_to_data', 'read_checkpoint',
    'state_dict_mismatch', 'add_common_arguments', 'build_runner',
    'load_config', 'parse_arguments', 'check_model_selection',
    'check_option_keys', 'enable_autocast', 'enable_source_validation',
    'set_data_root', 'set_domains', 'init_cpu_process_group',
    'randn_like_global_batch', 'count_subnormals', 'flush_denormals', 'shutdown_process_group', 'unwrap',
    'register_all_modules', 'WorkDirBusyError', 'WorkDirLock'
]
