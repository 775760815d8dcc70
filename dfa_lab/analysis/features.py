"""Latent features and predictions of a trained adapter on both domains.

The paper's analyses (section 5) look at the encoder's latent space: t-SNE
of source and target features (Fig. 5), histograms of latent vectors
against the prior (Figs. 7-9) and per-class distances between the source
and target feature spaces (Table 7). :func:`extract_domain_features` makes
the one file they all read (``tools/analysis/extract_features.py``).
"""
import copy
import inspect
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from dfa_lab.datasets import gathered_collate
from dfa_lab.registry import DATASETS, MODELS
from dfa_lab.utils.checkpoint import read_checkpoint

DOMAINS = ('source', 'target')
SPLITS = ('train', 'test')


def domain_dataset_configs(cfg: Config, split: str) -> Dict[str, dict]:
    """The dataset configs of the source and target domains of a config.

    ``split='train'`` gives the training sets,
    ``cfg.train_dataloader.dataset.source`` and ``.target``.

    ``split='test'`` gives the target test set ``cfg.test_dataloader.dataset``
    (what ``tools/test.py`` evaluates) and, for the source, which a UDA
    config gives no test set, its training config with ``split='test'``
    where its dataset type has a ``split`` argument (MNIST, USPS, SVHN,
    GTSRB, SynDigits, UCIDigits). Its other options stay, ``subset_size``
    included. A source without splits (SynSigns, the image lists) is read
    from its training set.

    In both cases, where the test set's config has a ``transform`` (the
    object benchmarks), both domains use it: the training transform draws
    random crops and flips, and an image's features should not depend on
    the draw.

    Args:
        cfg: The training config.
        split: ``'train'`` or ``'test'``.

    Returns:
        dict: ``{'source': config, 'target': config}``, plain dicts.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}.')
    # to_dict makes fresh plain dicts, safe to change.
    train = cfg.train_dataloader.dataset
    source = train.source.to_dict()
    test = cfg.test_dataloader.dataset.to_dict()
    if split == 'train':
        target = train.target.to_dict()
    else:
        target = cfg.test_dataloader.dataset.to_dict()
        dataset_type = DATASETS.get(source['type'])
        if 'split' in inspect.signature(dataset_type).parameters:
            source['split'] = 'test'
    if 'transform' in test:
        for domain in (source, target):
            domain['transform'] = copy.deepcopy(test['transform'])
    return dict(source=source, target=target)


def dataset_labels(dataset: Dataset) -> Tensor:
    """The labels of every sample of ``dataset``, in order.

    Read from the dataset's ``labels`` (digit sets) or ``samples`` (image
    lists) where it has them; otherwise every item is loaded.
    """
    if hasattr(dataset, 'labels'):
        return torch.as_tensor(dataset.labels, dtype=torch.long)
    if hasattr(dataset, 'samples'):
        return torch.tensor([label for _, label in dataset.samples])
    return torch.tensor([dataset[i]['label'] for i in range(len(dataset))])


def per_class_indices(labels: Tensor, per_class: int, seed: int = 0) -> Tensor:
    """Indices of ``per_class`` samples of every class, drawn at random
    without replacement (every sample of a class that has fewer).

    Table 7 of the paper measures distances on 100 images a class.

    Args:
        labels: Label of each sample ``(N,)``.
        per_class: Samples to draw per class.
        seed: Seed of the draw.

    Returns:
        Tensor: The chosen indices, sorted.
    """
    if per_class < 1:
        raise ValueError(f'per_class must be at least 1, got {per_class}.')
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label in labels.unique(sorted=True):
        members = (labels == label).nonzero().flatten()
        order = torch.randperm(len(members), generator=generator)
        chosen.append(members[order[:per_class]])
    return torch.cat(chosen).sort().values


def load_adapter(cfg: Config,
                 checkpoint: str,
                 device: str = 'cpu') -> nn.Module:
    """Build ``cfg.model``, load ``checkpoint`` into it and switch it to
    evaluation mode.

    The checkpoint holds every weight, so the backbone's own initialisation
    from pretrained weights (timm's download or a local file) is skipped.
    It is read as the Runner reads checkpoints
    (:func:`~dfa_lab.utils.read_checkpoint`).
    """
    model, _ = load_adapter_checkpoint(cfg, checkpoint, device)
    return model.eval()


def load_adapter_checkpoint(cfg: Config,
                            checkpoint: str,
                            device: str = 'cpu',
                            strict: bool = True) -> Tuple[nn.Module, dict]:
    """Build ``cfg.model`` and load ``checkpoint`` into it as the Runner
    reads checkpoints (:func:`~dfa_lab.utils.read_checkpoint`, then
    mmengine's loading into the model; strictly by default: every tensor
    must fit); the model is left in the mode it is built in.

    Returns:
        tuple: The model on ``device`` and the checkpoint dict, whose
        ``meta`` holds the training state it was saved at (``iter``,
        ``epoch``).
    """
    model_cfg = copy.deepcopy(cfg.model)
    backbone = model_cfg.backbone
    if backbone.get('pretrained'):
        backbone.pretrained = False
    if backbone.get('checkpoint') is not None:
        backbone.checkpoint = None
    model = MODELS.build(model_cfg)
    loaded = read_checkpoint(checkpoint, 'cpu')
    _load_checkpoint_to_model(model, loaded, strict=strict)
    return model.to(device), loaded


@torch.no_grad()
def extract_features(model: nn.Module,
                     dataset: Dataset,
                     indices: Optional[Tensor] = None,
                     batch_size: int = 256,
                     num_workers: int = 0,
                     desc: Optional[str] = None) -> dict:
    """Run an adapter over a dataset and keep its latents and predictions.

    Predictions come from the adapter's own ``predict_logits``; the latent
    is the backbone's output in that same pass, captured with a forward
    hook.

    Args:
        model: An adapter in evaluation mode.
        dataset: Labelled dataset yielding ``{'img', 'label'}``.
        indices: The samples to use, all of them if None.
        batch_size: Images per forward pass.
        num_workers: Data loader worker processes.
        desc: Label of the progress bar.

    Returns:
        dict: ``indices`` (dataset indices ``(N,)``), ``labels`` ``(N,)``,
        ``latent`` (``EncoderOutput.latent``, e.g. ``(N, 48, 4, 4)``),
        ``features`` (the latent flattened to ``(N, D)``, the classifiers'
        input), ``logits`` and ``pred_labels``: dicts with one entry per
        classifier head and ``'prediction'``, the adapter's final answer
        (the ensemble ``F1 + F2`` for MCD).
    """
    if indices is None:
        indices = torch.arange(len(dataset))
    loader = DataLoader(
        Subset(dataset, indices.tolist()),
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=gathered_collate)
    captured = []
    handle = model.backbone.register_forward_hook(
        lambda module, inputs, output: captured.append(output.latent))
    labels, latents, logits = [], [], {}
    try:
        for batch in tqdm(loader, desc=desc, unit='batch'):
            img = model.data_preprocessor(batch, False)['img']
            if img.dim() != 4:
                raise ValueError(
                    'Features are extracted from one view per image; the '
                    f'dataset gives images of shape {tuple(img.shape)} '
                    '(several crops?). Use a single-crop transform, e.g. '
                    'test_dataloader.dataset.transform.crop=center.')
            batch_logits = model.predict_logits(img)
            (latent, ) = captured
            captured.clear()
            # Channels-last latents of the digit CNNs flatten without a
            # copy once contiguous, so ``features`` can share their storage.
            latents.append(latent.float().cpu().contiguous())
            labels.append(torch.as_tensor(batch['label']).cpu())
            for name, out in batch_logits.items():
                logits.setdefault(name, []).append(out.float().cpu())
    finally:
        handle.remove()
    latent = torch.cat(latents)
    logits = {name: torch.cat(outs) for name, outs in logits.items()}
    return dict(
        indices=indices,
        labels=torch.cat(labels),
        latent=latent,
        features=latent.flatten(1),
        logits=logits,
        pred_labels={
            name: out.argmax(1)
            for name, out in logits.items()
        })


def extract_domain_features(cfg: Config,
                            checkpoint: str,
                            split: str = 'test',
                            per_class: Optional[int] = None,
                            seed: int = 0,
                            batch_size: int = 256,
                            num_workers: int = 0,
                            device: str = 'cpu') -> dict:
    """Latents and predictions of a checkpoint on the source and target
    domains of its config.

    Args:
        cfg: The config the checkpoint was trained with.
        checkpoint: Checkpoint file.
        split: Which sets, see :func:`domain_dataset_configs`.
        per_class: Use this many images of each class per domain (drawn
            with ``seed``, see :func:`per_class_indices`); all images if
            None.
        seed: Seed of the per-class draw.
        batch_size: Images per forward pass.
        num_workers: Data loader worker processes.
        device: Where the model runs.

    Returns:
        dict: ``source`` and ``target``, each as
        :func:`extract_features` returns it, plus how they were made:
        ``config``, ``checkpoint``, ``split``, ``per_class``, ``seed``,
        ``datasets`` (the two dataset configs) and ``classes`` (the class
        names of the target set, or None where it has none).
    """
    model = load_adapter(cfg, checkpoint, device)
    configs = domain_dataset_configs(cfg, split)
    result = dict(
        config=cfg.filename,
        checkpoint=checkpoint,
        split=split,
        per_class=per_class,
        seed=seed,
        datasets=configs)
    for domain in DOMAINS:
        dataset = DATASETS.build(configs[domain])
        indices = None if per_class is None else per_class_indices(
            dataset_labels(dataset), per_class, seed)
        result[domain] = extract_features(
            model,
            dataset,
            indices,
            batch_size,
            num_workers,
            desc=f'{domain} features')
        if domain == 'target':
            classes = getattr(dataset, 'metainfo', {}).get('classes')
            result['classes'] = None if classes is None else list(classes)
    return result


def load_features(path: str) -> dict:
    """Read a file written by ``tools/analysis/extract_features.py``."""
    features = torch.load(path, map_location='cpu', weights_only=True)
    missing = [key for key in DOMAINS if key not in features]
    if missing:
        raise KeyError(
            f'{path} has no {" or ".join(missing)} features; make it with '
            'tools/analysis/extract_features.py.')
    return features
