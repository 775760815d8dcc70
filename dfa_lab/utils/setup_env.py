"""Registration of dfa_lab's modules outside a config-driven Runner."""
from mmengine.registry import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every dfa_lab module that registers something.

    A Runner built from a config with ``default_scope = 'dfa_lab'`` does this
    by itself (the registries' ``locations``); scripts and tests that build
    components directly call this first.

    Args:
        init_default_scope: Also make ``dfa_lab`` the current default scope,
            so registries built outside a Runner resolve dfa_lab's names.
    """
    import dfa_lab.datasets  # noqa: F401
    import dfa_lab.engine  # noqa: F401
    import dfa_lab.evaluation  # noqa: F401
    import dfa_lab.models  # noqa: F401

    if init_default_scope:
        if DefaultScope.get_current_instance() is None \
                or not DefaultScope.check_instance_created('dfa_lab'):
            DefaultScope.get_instance('dfa_lab', scope_name='dfa_lab')
