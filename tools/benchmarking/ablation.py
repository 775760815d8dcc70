"""The rows of the paper's latent-alignment ablation (Table 8), for the
benchmark report.

Each row has a config ``configs/ablations/<row>/mnist_usps.py``, so its
method is ``ablations/<row>``. The report lists the rows in Table 8's
order, each labelled with the latent alignment it trains, and the paper's
numbers (:data:`~benchmarking.paper.PAPER_ACCURACY`) beside ours.
"""

#: Method -> the latent alignment of its row, in Table 8's order; the
#: target-KL variant, which the paper mentions without a number, comes last.
TABLE8_ROWS = {
    'ablations/dfa': 'L_kld + L_dal (DFA)',
    'ablations/daldir': 'L_daldir',
    'ablations/kld': 'L_kld alone',
    'ablations/dfa_untied': 'L_kld + L_dal, untied decoder',
    'ablations/klldir': 'L_klldir',
    'ablations/klldir_recon': 'L_klldir + L_recon',
    'ablations/kld_target': 'L_kld on source and target, no L_dal',
}

TABLE8_NOTE = (
    'Table 8 rows (configs/ablations/): ENT (L_cls + L_ent) with the latent '
    'alignment named; the paper reports one value per row, without a std, '
    'and no value for the target-KL variant.')
