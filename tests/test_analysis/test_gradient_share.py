"""The gradient-share diagnostic: each loss term's gradient on the encoder,
against autograd written out here, and its command line on a checkpoint of
a tiny run."""
import json
import math
import random
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_tools.helpers import run, train

from dfa_lab.analysis import (compare_gradients, gradient_shares,
                              render_gradient_share_table)
from dfa_lab.models.adapters import BaseAdapter
from dfa_lab.registry import MODELS

MODEL = dict(
    backbone=dict(type='DigitCNN', arch='usps'),
    classifier=dict(
        type='MLPHead',
        hidden_channels=(16, ),
        num_classes=4,
        input_dropout=0.5,
        hidden_dropout=0.5))
DFA = dict(type='DFA', alpha=0.5, beta=10.0)
ENT = dict(type='ENT', loss_ent=dict(type='EntropyLoss', loss_weight=0.1))


def build(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(MODEL, **kwargs))


def batches(count=2, n=8):
    generator = torch.Generator().manual_seed(1)
    return [
        dict(
            source=dict(
                img=torch.randn(n, 1, 28, 28, generator=generator),
                label=torch.randint(0, 4, (n, ), generator=generator)),
            target=dict(img=torch.randn(n, 1, 28, 28, generator=generator)))
        for _ in range(count)
    ]


def gradient(loss, model):
    """The gradient of ``loss`` on the backbone's parameters, one vector."""
    grads = torch.autograd.grad(
        loss, list(model.backbone.parameters()), retain_graph=True)
    return torch.cat([g.reshape(-1) for g in grads])


def reference(model, batch, steps, seed):
    """Each term's encoder gradient of each step on one batch, written out:
    the passes of every step in turn, as the analysis makes them (so the
    same dropout and prior draws from the generator seeded with ``seed``),
    in training mode."""
    model.train()
    torch.manual_seed(seed)
    x_s, y_s = batch['source']['img'], batch['source']['label']
    x_t = batch['target']['img']
    gradients = {}
    for step in steps:
        terms = {}
        if step == 1:
            source = model.backbone(x_s)
            logits = {
                name: head(source.flat)
                for name, head in model.classifiers.items()
            }
            for name, out in logits.items():
                key = 'loss_cls' if len(logits) == 1 else f'loss_cls_{name}'
                terms[key] = F.cross_entropy(out, y_s)
            if model.aligner is not None:
                terms['loss_kld'] = model.aligner(source, 'source')['loss_kld']
            if hasattr(model, 'loss_ent'):
                target = model.backbone(x_t)
                log_p = F.log_softmax(model.classifiers['F'](target.flat), 1)
                terms['loss_ent'] = 0.1 * -(log_p.exp() * log_p).sum(1).mean()
        else:
            target = model.backbone(x_t)
            p1 = F.softmax(model.classifiers['F1'](target.flat), 1)
            p2 = F.softmax(model.classifiers['F2'](target.flat), 1)
            terms['loss_dis'] = (p1 - p2).abs().mean()
            if model.aligner is not None:
                terms['loss_dal'] = model.aligner(target, 'target')['loss_dal']
        gradients[step] = {
            key: gradient(term, model)
            for key, term in terms.items()
        }
    return gradients


CASES = [
    pytest.param(dict(type='MCD', num_k=2), (1, 3), id='MCD'),
    pytest.param(dict(type='MCD', num_k=2, aligner=DFA), (1, 3), id='DFA-MCD'),
    pytest.param(ENT, (1, ), id='ENT'),
]


@pytest.mark.parametrize('adapter,steps', CASES)
def test_norms_shares_and_cosines_match_written_out_autograd(adapter, steps):
    model = build(**adapter)
    data = batches()
    rows = gradient_shares(model, data, seed=3)
    assert sorted({row['step'] for row in rows}) == list(steps)
    written_out = [
        reference(model, batch, steps, seed=3 + index)
        for index, batch in enumerate(data)
    ]
    for step in steps:
        per_batch = [grads[step] for grads in written_out]
        step_rows = {row['term']: row for row in rows if row['step'] == step}
        assert list(step_rows) == list(per_batch[0]) + ['total']
        for term in per_batch[0]:
            norms, shares, norm_shares, cosines = [], [], [], []
            for grads in per_batch:
                total = sum(grads.values())
                g = grads[term]
                norms.append(g.norm())
                shares.append(g @ total / total.norm()**2)
                norm_shares.append(g.norm() / sum(v.norm()
                                                  for v in grads.values()))
                cosines.append(g @ total / (g.norm() * total.norm()))
            row = step_rows[term]
            assert row['batches'] == len(data)
            for field, values in (('norm', norms), ('share', shares),
                                  ('norm_share', norm_shares), ('cosine',
                                                                cosines)):
                expected = float(sum(values) / len(values))
                assert row[field] == pytest.approx(
                    expected, rel=1e-4, abs=1e-7), (step, term, field)
            assert row['norm'] > 0
            others = [key for key in per_batch[0] if key != term]
            assert list(row['term_cosines']) == others
            for other in others:
                expected = sum(
                    F.cosine_similarity(grads[term], grads[other], dim=0)
                    for grads in per_batch) / len(per_batch)
                assert row['term_cosines'][other] == pytest.approx(
                    float(expected), rel=1e-4, abs=1e-6)
        assert 'term_cosines' not in step_rows['total']
        totals = [sum(grads.values()).norm() for grads in per_batch]
        assert step_rows['total']['norm'] == pytest.approx(
            float(sum(totals) / len(totals)), rel=1e-4)


@pytest.mark.parametrize('adapter,steps', CASES)
def test_shares_sum_to_one_per_step(adapter, steps):
    rows = gradient_shares(build(**adapter), batches())
    for step in steps:
        terms = [
            row for row in rows
            if row['step'] == step and row['term'] != 'total'
        ]
        assert sum(row['share'] for row in terms) == pytest.approx(1.0)
        assert sum(row['norm_share'] for row in terms) == pytest.approx(1.0)
        assert all(0 <= row['norm_share'] <= 1 for row in terms)


def test_safn_reports_its_joint_update():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='SAFN',
            backbone=MODEL['backbone'],
            classifier=dict(type='SAFNHead', embed_channels=16, num_classes=4),
            aligner=DFA))
    rows = gradient_shares(model, batches())
    assert [row['term'] for row in rows] == [
        'loss_cls', 'loss_kld', 'loss_feature_norm_source', 'loss_ent',
        'loss_feature_norm_target', 'loss_dal', 'total'
    ]
    assert {row['step'] for row in rows} == {1}
    assert sum(row['share'] for row in rows[:-1]) == pytest.approx(1.0)


def test_total_row_is_the_gradient_of_the_summed_loss():
    # The 'total' row is the gradient of what train_step back-propagates,
    # parse_losses' sum.
    model = build(type='MCD', num_k=2, aligner=DFA)
    (batch, ) = batches(1)
    row = next(
        r for r in gradient_shares(model, [batch], seed=5)
        if r['step'] == 3 and r['term'] == 'total')
    model.train()
    torch.manual_seed(5)
    # Step 3 follows step 1 in one batch's passes; replay step 1's draws.
    model.step_losses(1, batch['source']['img'], batch['source']['label'],
                      batch['target']['img'])
    loss, _ = model.parse_losses(
        model.step_losses(3, batch['source']['img'], batch['source']['label'],
                          batch['target']['img']))
    assert row['norm'] == pytest.approx(
        float(gradient(loss, model).norm()), rel=1e-4)


def test_compare_gradients_definitions():
    rows = compare_gradients({
        'a': torch.tensor([3.0, 0.0]),
        'b': torch.tensor([-1.0, 0.0]),
        'c': torch.tensor([0.0, 2.0])
    })
    # total (2, 2), |total|^2 = 8
    assert rows['a']['share'] == pytest.approx(6 / 8)
    assert rows['b']['share'] == pytest.approx(-2 / 8)
    assert rows['c']['share'] == pytest.approx(4 / 8)
    assert rows['a']['norm_share'] == pytest.approx(3 / 6)
    assert rows['b']['cosine'] == pytest.approx(-1 / math.sqrt(2))
    assert rows['total']['norm'] == pytest.approx(math.sqrt(8))
    assert rows['a']['term_cosines'] == pytest.approx(dict(b=-1.0, c=0.0))
    zero = compare_gradients({'a': torch.zeros(2), 'b': torch.ones(2)})
    assert math.isnan(zero['a']['cosine']) and zero['a']['share'] == 0


@pytest.mark.parametrize(
    'adapter', [
        dict(type='MCD', num_k=2, aligner=DFA),
        dict(
            type='MCD',
            num_k=2,
            aligner=dict(type='ClassConditionalAligner', num_classes=4)),
        ENT,
    ],
    ids=['DFA-MCD', 'MCD-class-conditional', 'ENT'])
def test_model_state_and_random_state_are_unchanged(adapter):
    model = build(**adapter)
    data = batches()
    # Some history in the running buffers first, and eval mode.
    model.train()
    model.step_losses(1, data[0]['source']['img'], data[0]['source']['label'],
                      data[0]['target']['img'])
    model.eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    rng = (torch.get_rng_state(), random.getstate(), np.random.get_state())
    gradient_shares(model, data)
    after = model.state_dict()
    assert state.keys() == after.keys()
    for key, value in state.items():
        assert torch.equal(value, after[key]), key
    assert not any(module.training for module in model.modules())
    assert all(p.grad is None for p in model.parameters())
    assert torch.equal(torch.get_rng_state(), rng[0])
    assert random.getstate() == rng[1]
    saved = np.random.get_state()
    assert saved[0] == rng[2][0] and np.array_equal(saved[1], rng[2][1])


def test_buffers_would_change_without_the_restore():
    # The passes do move the buffers: the restore is not vacuous.
    model = build(
        type='MCD',
        num_k=2,
        aligner=dict(type='ClassConditionalAligner', num_classes=4))
    before = {k: v.clone() for k, v in model.named_buffers()}
    model.train()
    (batch, ) = batches(1)
    model.step_losses(1, batch['source']['img'], batch['source']['label'],
                      batch['target']['img'])
    changed = [
        k for k, v in model.named_buffers() if not torch.equal(v, before[k])
    ]
    assert any('running_mean' in k for k in changed)
    assert any('class_means' in k for k in changed)


def test_same_batches_and_seed_give_the_same_rows():
    model = build(type='MCD', num_k=2, aligner=DFA)
    assert gradient_shares(model,
                           batches()) == gradient_shares(model, batches())


def test_adapter_without_step_losses_is_refused():

    class Joint(BaseAdapter):

        def train_step(self, data, optim_wrapper):
            raise NotImplementedError

    model = Joint(**MODEL)
    with pytest.raises(NotImplementedError, match='step_losses'):
        gradient_shares(model, batches(1))
    with pytest.raises(ValueError, match='step'):
        build(type='ENT').step_losses(2, None, None, None)


def test_table_lists_every_row():
    rows = [
        dict(
            iteration=10,
            step=1,
            term='loss_cls',
            loss=0.5,
            norm=2.0,
            share=1.0,
            norm_share=1.0,
            cosine=1.0,
            term_cosines=dict(loss_x=-0.25, loss_y=float('nan'))),
        dict(
            iteration=10,
            step=1,
            term='total',
            loss=0.5,
            norm=2.0,
            share=1.0,
            norm_share=1.0,
            cosine=float('nan')),
    ]
    table = render_gradient_share_table(rows, ['a note'])
    lines = table.splitlines()
    assert lines[0].startswith('| iteration | step | term | loss |')
    assert lines[1] == '|---|---|---|---:|---:|---:|---:|---:|---|'
    assert lines[2] == ('| 10 | 1 | loss_cls | 0.5 | 2 | 1.000 | 1.000 | '
                        '1.000 | loss_x -0.250; loss_y n/a |')
    assert lines[3].endswith('| n/a |  |') and '**total**' in lines[3]
    assert 'share = <g_i, g> / |g|^2' in table and 'a note' in table


CONFIG = 'configs/mcd/syndigits_ucidigits.py'
SIZES = [
    'train_dataloader.dataset.source.num_samples=256',
    'train_dataloader.batch_size=16'
]


@pytest.mark.slow
def test_command_line_on_a_checkpoint_of_a_tiny_run(tmp_path):
    work_dir = tmp_path / 'run'
    train(
        CONFIG,
        work_dir,
        options=[
            'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
            'default_hooks.checkpoint.interval=4', 'model.num_k=1'
        ])
    checkpoint = work_dir / 'iter_4.pth'
    out = tmp_path / 'share' / 'mcd.md'
    output = run([
        sys.executable, 'tools/analysis/gradient_share.py', CONFIG,
        str(checkpoint), '--batches', '2', '--device', 'cpu', '--out',
        str(out), '--cfg-options', *SIZES
    ])
    assert 'iteration 4, steps 1, 3' in output
    table = out.read_text()
    assert 'Step 2 holds the encoder fixed' in table
    record = json.loads(out.with_suffix('.json').read_text())
    assert record['checkpoints'] == [dict(path=str(checkpoint), iteration=4)]
    assert record['batches'] == 2 and record['batch_size'] == 16
    rows = record['rows']
    assert {(row['step'], row['term'])
            for row in rows} == {(1, 'loss_cls_F1'), (1, 'loss_cls_F2'),
                                 (1, 'total'), (3, 'loss_dis'), (3, 'total')}
    assert all(row['iteration'] == 4 for row in rows)
    step1 = [r for r in rows if r['step'] == 1 and r['term'] != 'total']
    assert sum(r['share'] for r in step1) == pytest.approx(1.0)
    assert list(step1[0]['term_cosines']) == ['loss_cls_F2']
    for row in rows:
        assert f'| 4 | {row["step"]} |' in table
    # Not a checkpoint of the Runner: no iteration to report.
    bare = tmp_path / 'bare.pth'
    torch.save(
        torch.load(checkpoint, map_location='cpu',
                   weights_only=True)['state_dict'], bare)
    output = run([
        sys.executable, 'tools/analysis/gradient_share.py', CONFIG,
        str(bare), '--batches', '1', '--device', 'cpu', '--out',
        str(tmp_path / 'bare.md'), '--cfg-options', *SIZES
    ],
                 expect_ok=False)
    assert 'records no iteration' in output
