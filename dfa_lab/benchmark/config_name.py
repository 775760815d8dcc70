"""Method, network and task of a config, read from its file name."""
import os.path as osp
import re
from typing import NamedTuple

# ``<method>_<network>_<task>.py``: method and network hold no underscore,
# so everything after the second underscore is the task (``mnist2usps_full``).
_CONFIG_NAME = re.compile(
    r'(?P<method>[A-Za-z0-9-]+)_(?P<network>[A-Za-z0-9-]+)'
    r'_(?P<task>[A-Za-z0-9][A-Za-z0-9_-]*)\.py')


class ConfigName(NamedTuple):
    """The parts of a config file name ``<method>_<network>_<task>.py``."""
    method: str
    network: str
    task: str


def parse_config_name(config: str) -> ConfigName:
    """Split a config path into method, network and task.

    Example:
        >>> parse_config_name('configs/mcd/mcd_usps-cnn_mnist2usps_full.py')
        ConfigName(method='mcd', network='usps-cnn', task='mnist2usps_full')

    Args:
        config: Path of the config file; only its base name is read.

    Returns:
        ConfigName: The method, network and task.

    Raises:
        ValueError: The file name does not follow
            ``<method>_<network>_<task>.py``.
    """
    match = _CONFIG_NAME.fullmatch(osp.basename(config))
    if match is None:
        raise ValueError(
            f'Config name {osp.basename(config)!r} does not follow '
            '<method>_<network>_<task>.py (e.g. '
            'dfa-mcd_usps-cnn_mnist2usps.py); the benchmark reads the method '
            'and the task from it.')
    return ConfigName(**match.groupdict())
