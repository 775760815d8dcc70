"""The Table-8 report of tools/benchmark.py, from fake results."""
from dfa_lab.benchmark import (PaperAccuracy, RunResult, RunSpec,
                               paper_accuracy, render_markdown, summarize)
from dfa_lab.benchmark.ablation import TABLE8_NOTE, TABLE8_ROWS
from dfa_lab.benchmark.scalars import ACCURACY_KEY

PAPER = {'abl-dfa': 97.3, 'abl-daldir': 93.1, 'abl-kld': 87.9,
         'abl-untied': 95.8, 'abl-klldir': 89.2, 'abl-klldir-recon': 83.6}


def test_table8_numbers():
    for method, accuracy in PAPER.items():
        assert paper_accuracy(method, 'mnist2usps') == PaperAccuracy(accuracy)
    assert paper_accuracy('abl-kl-target', 'mnist2usps') is None


def fake_run(spec, accuracy):
    validations = [(3000, {ACCURACY_KEY: accuracy})]
    return RunResult(spec.config, spec.seed, [], 3000, 10.0, False,
                     validations, validations[0][1])


def test_rows_follow_table8_with_paper_numbers():
    # Given in another order, with a baseline among them.
    methods = ['abl-kld', 'abl-klldir-recon', 'ent', 'abl-kl-target',
               'abl-dfa', 'abl-untied', 'abl-daldir', 'abl-klldir']
    specs = [RunSpec(f'configs/ablations/{m}_usps-cnn_mnist2usps.py', seed)
             for m in methods for seed in (1, 2)]
    results = {spec: fake_run(spec, 90.0 + spec.seed) for spec in specs}
    markdown = render_markdown(summarize(specs, results, {}), 'cmd')
    rows = [line for line in markdown.splitlines()
            if line.startswith('| ent') or line.startswith('| abl-')]
    labels = [row.split('|')[1].strip() for row in rows]
    assert labels == ['ent'] + [f'{m}: {d}' for m, d in TABLE8_ROWS.items()]
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip('|').split('|')]
        method = cells[0].split(':')[0]
        assert cells[1] == '91.5 ± 0.7'
        assert cells[3] == (f'{PAPER[method]:.1f}' if method in PAPER
                            else '-')
    assert TABLE8_NOTE in markdown


def test_note_only_for_ablations():
    spec = RunSpec('c/ent_usps-cnn_mnist2usps.py', 1)
    markdown = render_markdown(
        summarize([spec], {spec: fake_run(spec, 90.0)}, {}), 'cmd')
    assert TABLE8_NOTE not in markdown
