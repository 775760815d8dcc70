"""The Table-8 report of tools/benchmark.py, from fake results."""
from benchmarking import (PaperAccuracy, RunResult, RunSpec, paper_accuracy,
                          render_markdown, summarize)
from benchmarking.ablation import TABLE8_NOTE, TABLE8_ROWS

from dfa_lab.analysis.scalars import ACCURACY_KEY

PAPER = {
    'dfa': 97.3,
    'daldir': 93.1,
    'kld': 87.9,
    'dfa_untied': 95.8,
    'klldir': 89.2,
    'klldir_recon': 83.6
}


def test_table8_numbers():
    for row, accuracy in PAPER.items():
        assert paper_accuracy(f'ablations/{row}',
                              'mnist_usps') == PaperAccuracy(accuracy)
    assert paper_accuracy('ablations/kld_target', 'mnist_usps') is None


def fake_run(spec, accuracy):
    validations = [(3000, {ACCURACY_KEY: accuracy})]
    return RunResult(spec.config, spec.seed, [], 3000, 10.0, False,
                     validations, validations[0][1])


def test_rows_follow_table8_with_paper_numbers():
    # Given in another order, with a baseline among them.
    methods = [
        'ablations/kld', 'ablations/klldir_recon', 'ent',
        'ablations/kld_target', 'ablations/dfa', 'ablations/dfa_untied',
        'ablations/daldir', 'ablations/klldir'
    ]
    specs = [
        RunSpec(f'configs/{m}/mnist_usps.py', seed) for m in methods
        for seed in (1, 2)
    ]
    results = {spec: fake_run(spec, 90.0 + spec.seed) for spec in specs}
    markdown = render_markdown(summarize(specs, results, {}), 'cmd')
    rows = [
        line for line in markdown.splitlines()
        if line.startswith(('| ENT', '| Table 8'))
    ]
    labels = [row.split('|')[1].strip() for row in rows]
    assert labels == ['ENT'] + [
        f'Table 8 ({method.split("/")[1]}): {alignment}'
        for method, alignment in TABLE8_ROWS.items()
    ]
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip('|').split('|')]
        row_name = cells[0].split('(')[1].split(')')[0]
        assert cells[1] == '91.5 ± 0.7'
        assert cells[3] == (f'{PAPER[row_name]:.1f}'
                            if row_name in PAPER else '-')
    assert TABLE8_NOTE in markdown


def test_note_only_for_ablations():
    spec = RunSpec('configs/ent/mnist_usps.py', 1)
    markdown = render_markdown(
        summarize([spec], {spec: fake_run(spec, 90.0)}, {}), 'cmd')
    assert TABLE8_NOTE not in markdown
