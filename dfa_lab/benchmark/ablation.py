"""The rows of the paper's latent-alignment ablation (Table 8), for the
benchmark report.

The configs in ``configs/ablations`` are named after these methods
(``abl-<variant>_usps-cnn_mnist2usps.py``). The report lists them in Table
8's order, each labelled with the latent alignment it trains, and the
paper's numbers (:data:`~dfa_lab.benchmark.paper.PAPER_ACCURACY`) beside
ours.
"""

#: Method name -> the latent alignment of its row, in Table 8's order; the
#: target-KL variant, which the paper mentions without a number, comes last.
TABLE8_ROWS = {
    'abl-dfa': 'L_kld + L_dal (DFA)',
    'abl-daldir': 'L_daldir',
    'abl-kld': 'L_kld alone',
    'abl-untied': 'L_kld + L_dal, untied decoder',
    'abl-klldir': 'L_klldir',
    'abl-klldir-recon': 'L_klldir + L_recon',
    'abl-kl-target': 'L_kld on source and target, no L_dal',
}

TABLE8_NOTE = (
    'Table 8 rows (abl-*): ENT (L_cls + L_ent) with the latent alignment '
    'named; the paper reports one value per row, without a std, and no '
    'value for the target-KL variant.')


def method_label(method: str) -> str:
    """A Table-8 method with its latent alignment; other methods as they
    are."""
    if method in TABLE8_ROWS:
        return f'{method}: {TABLE8_ROWS[method]}'
    return method
