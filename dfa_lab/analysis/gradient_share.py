"""How much of the encoder's gradient each loss term contributes.

An adapter's training step sums several loss terms (``L_cls`` of each head,
MCD's discrepancy, an aligner's ``alpha L_kld`` and ``beta L_dal``, ...) and
back-propagates the sum into the encoder ``G``. :func:`gradient_shares`
differentiates each term on its own with respect to the backbone's
parameters and compares it with the step's total gradient: a term whose
gradient is a sliver of the total moves the encoder little, however large
its loss value.

Definitions (see :data:`SHARE_DEFINITION`): for one batch and one step with
terms ``L_1 ... L_n`` and ``g_i`` the gradient of ``L_i`` on the backbone's
parameters (one vector), ``g = sum_i g_i`` is the gradient of the step's
loss (what ``train_step`` back-propagates). Then

- ``norm``: ``|g_i|``;
- ``share``: ``<g_i, g> / |g|^2``, the part of the total gradient along its
  own direction that the term contributes. The shares of a step sum to 1
  exactly; a share is negative where the term pulls against the total, and
  above 1 where the other terms cancel part of it;
- ``norm share``: ``|g_i| / sum_j |g_j|``, in [0, 1], blind to direction;
- ``cosine``: ``<g_i, g> / (|g_i| |g|)``; and the cosine of ``g_i`` with
  each other term's ``g_j`` (``term_cosines``: whether two terms pull
  together, against each other or past each other).

``share = cosine * norm / |g|``: a term with a large gradient orthogonal to
the total has a large norm share and a small share. Each quantity is
computed per batch and averaged over the batches (the averaged shares still
sum to 1).

The analysis runs the model as training does (training mode: BatchNorm batch
statistics, dropout) and leaves it as it found it: every buffer (BatchNorm
running statistics, an aligner's running class means), each module's
training flag and the global random state (torch, CUDA, Python, NumPy) are
restored afterwards, and no parameter's ``.grad`` is touched.
"""
import contextlib
import math
import random
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch import Tensor, nn

SHARE_DEFINITION = (
    'For one batch and one training step with loss terms L_1..L_n (the '
    "entries of the step's loss dict whose key contains 'loss'), g_i is "
    "the gradient of L_i on the backbone's parameters and g = sum_i g_i "
    "the gradient of the step's loss. norm = |g_i|; share = <g_i, g> / "
    '|g|^2, the part of the total gradient along its own direction that '
    'the term contributes (the shares of a step sum to 1; negative: the '
    'term pulls against the total); norm share = |g_i| / sum_j |g_j|; '
    'cosine = <g_i, g> / (|g_i| |g|); cosine with other terms: <g_i, g_j> '
    '/ (|g_i| |g_j|) for each other term j of the step. The row "total" is '
    'g. Every value is the mean over the batches of its per-batch value.')

#: The ``term`` of the row that describes a step's total gradient.
TOTAL = 'total'

#: The fields of a row, in table order after ``step`` and ``term``.
ROW_FIELDS = ('norm', 'share', 'norm_share', 'cosine')


@contextlib.contextmanager
def preserved_state(model: nn.Module) -> Iterator[None]:
    """Run the block with ``model`` in training mode and restore, on exit,
    every buffer of ``model``, each module's training flag and the global
    random states (torch's CPU generator and the CUDA generators of the
    devices ``model`` lives on, Python's ``random``, NumPy's legacy global
    generator).

    Forward passes in training mode update BatchNorm running statistics
    and any running buffers of an aligner; aligners and dropout draw from
    the global generators. Inside this block they may; afterwards the
    model's ``state_dict`` and the random streams are as before.
    """
    buffers = [(buffer, buffer.detach().clone()) for buffer in model.buffers()]
    modes = [(module, module.training) for module in model.modules()]
    devices = cuda_devices(model)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=devices):
            model.train()
            yield
    finally:
        with torch.no_grad():
            for buffer, saved in buffers:
                buffer.copy_(saved)
        for module, training in modes:
            module.training = training
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def cuda_devices(model: nn.Module) -> List[int]:
    """The indices of the CUDA devices holding ``model``'s tensors."""
    return sorted({
        tensor.device.index or 0
        for tensor in list(model.parameters()) + list(model.buffers())
        if tensor.device.type == 'cuda'
    })


def seed_generators(seed: int, devices: Sequence[int]) -> None:
    """Seed torch's CPU generator and the CUDA generators of ``devices``
    only (``torch.manual_seed`` would seed every CUDA device, those not
    forked included)."""
    torch.default_generator.manual_seed(seed)
    for device in devices:
        with torch.cuda.device(device):
            torch.cuda.manual_seed(seed)


def loss_terms(losses: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """The terms of a loss dict that :meth:`BaseModel.parse_losses` sums:
    the entries whose key contains ``loss``, each reduced as there (a
    tensor's mean, or the sum of the means of a list of tensors)."""
    terms = {}
    for key, value in losses.items():
        if 'loss' not in key:
            continue
        if isinstance(value, Tensor):
            terms[key] = value.mean()
        else:
            terms[key] = sum(item.mean() for item in value)
    return terms


def term_gradients(terms: Dict[str, Tensor],
                   parameters: Sequence[Tensor]) -> Dict[str, Tensor]:
    """The gradient of each term on ``parameters``, flattened into one
    vector per term; zeros for a term that does not reach them. Each term
    is differentiated on its own (``torch.autograd.grad``, keeping the
    graph for the next term); ``.grad`` is not touched."""
    gradients = {}
    for key, term in terms.items():
        if not term.requires_grad:
            grads = [None] * len(parameters)
        else:
            grads = torch.autograd.grad(
                term, parameters, retain_graph=True, allow_unused=True)
        gradients[key] = torch.cat([
            torch.zeros(p.numel(), dtype=p.dtype, device=p.device)
            if grad is None else grad.detach().reshape(-1)
            for p, grad in zip(parameters, grads)
        ])
    return gradients


def compare_gradients(
        gradients: Dict[str, Tensor]) -> Dict[str, Dict[str, float]]:
    """``norm``, ``share``, ``norm_share`` and ``cosine`` of each term's
    gradient against their sum (:data:`SHARE_DEFINITION`), ``term_cosines``
    (its cosine with each other term's gradient, by term), and the row
    :data:`TOTAL` for the sum itself (share, norm share and cosine 1).
    Undefined values (a zero gradient) are ``nan``."""
    total = sum(gradients.values())
    total_sq = float(total.double().square().sum())
    norms = {
        key: float(grad.double().norm())
        for key, grad in gradients.items()
    }
    norm_sum = sum(norms.values())
    rows = {}
    for key, grad in gradients.items():
        dot = float(grad.double() @ total.double())
        rows[key] = dict(
            norm=norms[key],
            share=dot / total_sq if total_sq > 0 else math.nan,
            norm_share=norms[key] / norm_sum if norm_sum > 0 else math.nan,
            cosine=dot / (norms[key] * math.sqrt(total_sq))
            if norms[key] > 0 and total_sq > 0 else math.nan,
            term_cosines={
                other:
                float(grad.double() @ gradients[other].double()) /
                (norms[key] * norms[other])
                if norms[key] > 0 and norms[other] > 0 else math.nan
                for other in gradients if other != key
            })
    rows[TOTAL] = dict(
        norm=math.sqrt(total_sq),
        share=1.0 if total_sq > 0 else math.nan,
        norm_share=1.0 if norm_sum > 0 else math.nan,
        cosine=1.0 if total_sq > 0 else math.nan)
    return rows


def encoder_parameters(model: nn.Module) -> List[Tensor]:
    """The trainable parameters of the adapter's backbone, the encoder
    ``G`` (a weight-tied decoder's convolutions are among them)."""
    return [p for p in model.backbone.parameters() if p.requires_grad]


def gradient_shares(model: nn.Module,
                    batches: Iterable[dict],
                    steps: Optional[Sequence[int]] = None,
                    seed: int = 0) -> List[dict]:
    """Norm, share and cosine of each loss term's gradient on the encoder,
    per training step, averaged over ``batches``.

    For every batch, the model computes the loss dict of each step with
    :meth:`~dfa_lab.models.adapters.BaseAdapter.step_losses` at its current
    weights, in training mode, and each term is differentiated on its own
    with respect to the backbone's parameters (:func:`term_gradients`).
    Every step starts from the same weights: nothing is stepped, so MCD's
    step 3 is evaluated before step 2's classifier update and as the first
    of its ``num_k`` updates. The model's state and the global random
    state are unchanged afterwards (:func:`preserved_state`).

    Args:
        model: An adapter (:class:`~dfa_lab.models.adapters.BaseAdapter`
            with ``step_losses``), in any mode.
        batches: Training batches as the training loader yields them
            (``{'source': {'img', 'label'}, 'target': {'img'}}``), passed
            through the model's data preprocessor as in ``train_step``.
        steps: The steps to analyse; default the adapter's
            ``encoder_steps``, the steps that update the encoder (MCD: 1
            and 3; step 2 holds ``G`` fixed and has no encoder gradient).
        seed: Seed of the random draws inside the passes (dropout, DFA's
            prior samples), reset before each batch as ``seed + index``, so
            that two models see the same draws on the same batches.

    Returns:
        list: One dict per (step, term), steps in order, each step's terms
        in the loss dict's order and then its ``'total'``: ``step``,
        ``term``, ``norm``, ``share``, ``norm_share``, ``cosine`` (means
        over batches; ``nan`` where undefined in a batch), ``loss`` (the
        term's mean value), ``term_cosines`` (the mean cosine of the
        term's gradient with each other term's of the step; not in the
        ``'total'`` row) and ``batches`` (how many).
    """
    steps = tuple(model.encoder_steps if steps is None else steps)
    parameters = encoder_parameters(model)
    if not parameters:
        raise ValueError(
            f'{type(model.backbone).__name__} has no trainable parameters: '
            'there is no encoder gradient to analyse.')
    per_batch = {step: [] for step in steps}
    devices = cuda_devices(model)
    with preserved_state(model):
        count = 0
        for index, batch in enumerate(batches):
            seed_generators(seed + index, devices)
            data = model.data_preprocessor(batch, True)
            x_s, y_s, x_t = model.unpack_uda_batch(data)
            for step in steps:
                terms = loss_terms(model.step_losses(step, x_s, y_s, x_t))
                if not terms:
                    raise ValueError(
                        f'Step {step} of {type(model).__name__} has no loss '
                        "term (no key containing 'loss').")
                rows = compare_gradients(term_gradients(terms, parameters))
                for key, term in terms.items():
                    rows[key]['loss'] = float(term.detach())
                rows[TOTAL]['loss'] = float(
                    sum(term.detach() for term in terms.values()))
                per_batch[step].append(rows)
                del terms
            count += 1
    if count == 0:
        raise ValueError('gradient_shares needs at least one batch.')
    results = []
    for step in steps:
        for term in per_batch[step][0]:
            values = [rows[term] for rows in per_batch[step]]
            row = dict(step=step, term=term)
            for field in ROW_FIELDS + ('loss', ):
                row[field] = sum(v[field] for v in values) / len(values)
            if 'term_cosines' in values[0]:
                row['term_cosines'] = {
                    other:
                    sum(v['term_cosines'][other] for v in values) / len(values)
                    for other in values[0]['term_cosines']
                }
            row['batches'] = len(values)
            results.append(row)
    return results


def fixed_training_batches(cfg: Config,
                           num_batches: int,
                           seed: int = 0) -> List[dict]:
    """The first ``num_batches`` batches of the config's training loader
    with its sampler seeded with ``seed``: the same batches on every call.

    The loader is built by mmengine's ``Runner.build_dataloader``, as for
    training (dataset, sampler, batch size, collate function of
    ``cfg.train_dataloader``). The global random state is restored
    afterwards, and the draws of random transforms come from ``seed``.
    """
    if num_batches < 1:
        raise ValueError(f'num_batches must be >= 1, got {num_batches}.')
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            random.seed(seed)
            np.random.seed(seed)
            loader = Runner.build_dataloader(
                cfg.train_dataloader.to_dict(), seed=seed)
            batches = []
            for batch in loader:
                batches.append(batch)
                if len(batches) == num_batches:
                    break
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    return batches


def _format(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 'n/a'
    if value != 0 and abs(value) < 1e-3:
        return f'{value:.2e}'
    return f'{value:.{digits}f}'


def _format_norm(value: float) -> str:
    if value is None or math.isnan(value):
        return 'n/a'
    return f'{value:.3g}'


def render_gradient_share_table(
    rows: Sequence[dict], notes: Sequence[str] = ()) -> str:
    """A markdown table of rows with ``iteration`` (optional), ``step``,
    ``term``, ``norm``, ``share``, ``norm_share``, ``cosine``, ``loss`` and
    ``term_cosines`` (optional), followed by the definition of the columns
    and ``notes``."""
    with_iteration = any('iteration' in row for row in rows)
    header = (['iteration'] if with_iteration else []) + [
        'step', 'term', 'loss', 'gradient norm', 'share', 'norm share',
        'cosine with total', 'cosine with other terms'
    ]
    lines = [
        '| ' + ' | '.join(header) + ' |', '|' +
        '|'.join('---:' if len(header) - 6 <= i < len(header) - 1 else '---'
                 for i in range(len(header))) + '|'
    ]
    for row in rows:
        term = f'**{row["term"]}**' if row['term'] == TOTAL else row['term']
        cells = ([str(row.get('iteration', ''))] if with_iteration else [])
        cells += [
            str(row['step']), term,
            _format_norm(row['loss']),
            _format_norm(row['norm']),
            _format(row['share']),
            _format(row['norm_share']),
            _format(row['cosine']),
            '; '.join(f'{other} {_format(value)}'
                      for other, value in row.get('term_cosines', {}).items())
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines += ['', SHARE_DEFINITION]
    lines += [''] + list(notes) if notes else []
    return '\n'.join(lines) + '\n'
