"""Method and task of a config, read from its path, and their labels.

Leaf configs live at ``configs/<method>/<task>.py``: the method is the
folder path below ``configs/`` (``dfa_mcd``, or nested: ``ablations/kld``,
``dfa_mcd/<variant>``) and the task is the file name (``mnist_usps``).
"""
from typing import NamedTuple

from dfa_lab.utils.config import config_name
from .ablation import TABLE8_ROWS

#: Labels of the method folders directly below ``configs/``.
METHOD_LABELS = {
    'source_only': 'Source only',
    'ent': 'ENT',
    'mcd': 'MCD',
    'safn': 'SAFN',
    'dann': 'DANN',
    # configs/cdan/ trains CDAN with entropy conditioning, the CDAN paper's
    # CDAN+E (model.entropy_conditioning=False gives plain CDAN).
    'cdan': 'CDAN+E',
    'dfa_ent': 'DFA-ENT',
    'dfa_mcd': 'DFA-MCD',
    'dfa_safn': 'DFA-SAFN',
    'dfa_dann': 'DFA-DANN',
    'dfa_cdan': 'DFA-CDAN+E',
    'ablations': 'Table 8',
}


class ConfigName(NamedTuple):
    """The parts of a config path ``configs/<method>/<task>.py``."""
    method: str
    task: str


def parse_config_name(config: str) -> ConfigName:
    """Split a config path into method and task.

    Example:
        >>> parse_config_name('configs/mcd/mnist_usps_full.py')
        ConfigName(method='mcd', task='mnist_usps_full')
        >>> parse_config_name('/repo/configs/ablations/kld/mnist_usps.py')
        ConfigName(method='ablations/kld', task='mnist_usps')

    Args:
        config: Path of the config file.

    Returns:
        ConfigName: The method and the task.

    Raises:
        ValueError: The file is not a ``.py`` file in a method folder below
            a ``configs`` folder, or it is a ``_base_`` config.
    """
    name = config_name(config)
    method, _, task = name.rpartition('/')
    if not config.endswith('.py') or not method or '_base_' in name.split('/'):
        raise ValueError(
            f'Config {config!r} is not at configs/<method>/<task>.py (e.g. '
            'configs/dfa_mcd/mnist_usps.py); the benchmark reads the method '
            'and the task from that path.')
    return ConfigName(method, task)


def method_label(method: str) -> str:
    """A method as reports name it.

    The label of the top folder (:data:`METHOD_LABELS`, else the folder
    name), with the rest of a nested method in brackets:
    ``dfa_mcd/energy`` is ``DFA-MCD (energy)``. A Table-8 ablation also
    names the latent alignment it trains (:data:`TABLE8_ROWS`).
    """
    top, _, variant = method.partition('/')
    label = METHOD_LABELS.get(top, top)
    if variant:
        label += f' ({variant})'
    if method in TABLE8_ROWS:
        label += f': {TABLE8_ROWS[method]}'
    return label
