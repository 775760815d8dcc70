"""ImageNet ResNets from timm as the feature extractor ``G`` of the object
tasks (Office-31, Office-Home, ImageCLEF-DA, VisDA-2017)."""
import os
from typing import Dict, List, Optional, Tuple

import timm
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from dfa_lab.registry import MODELS
from dfa_lab.structures import EncoderOutput


@MODELS.register_module()
class TimmResNet(BaseModule):
    """A timm ResNet up to its global average pool: ``G(x)`` is the pooled
    ``(B, 2048)`` feature vector that the classifiers read.

    The stem runs here rather than in timm so that its max-pool keeps its
    indices: the weight-tied :class:`~dfa_lab.models.decoders.ResNetDecoder`
    (appendix Table 9 of the paper) unpools with them. The forward pass is
    ``conv1 -> bn1 -> ReLU -> max-pool (k3 s2 p1) -> layer1..4 -> global
    average pool``, the same function as timm's own.

    The modules keep timm's (and torchvision's) names (``conv1``, ``bn1``,
    ``layer1`` ... ``layer4``), so torchvision ResNet checkpoints load as
    they are. timm's classifier is not kept.

    Weights come from one of

    - ``pretrained=True``: timm's pretrained weights of ``model_name``,
      fetched by timm's own mechanism (its cache, or a download);
    - ``checkpoint='path.pth'``: a local file holding a state dict, possibly
      nested under ``'state_dict'`` and with ``module.`` or ``backbone.``
      prefixes (a whole dfa_lab model contributes its backbone); a
      classifier (``fc.*``) in it is ignored. Missing or unexpected keys and
      shape mismatches are errors;
    - neither: random initialisation (tests, training from scratch).

    Args:
        model_name: timm model name. The default, ``'resnet50.tv_in1k'``,
            carries torchvision's original ImageNet weights, the ones the
            authors fine-tune; timm's plain ``'resnet50'`` is a different
            training recipe.
        pretrained: Load timm's pretrained weights for ``model_name``.
        checkpoint: Path of a local checkpoint to load instead.
        channels_last: Keep weights and activations in the channels-last
            memory layout; same results, somewhat faster convolutions.
        init_cfg: mmengine initialisation config.
    """

    #: The weight-tied decoder that mirrors this backbone (appendix Table 9).
    decoder_type = 'ResNetDecoder'

    def __init__(self,
                 model_name: str = 'resnet50.tv_in1k',
                 pretrained: bool = False,
                 checkpoint: Optional[str] = None,
                 channels_last: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if pretrained and checkpoint is not None:
            raise ValueError(
                'Give TimmResNet either pretrained=True (timm\'s weights) or '
                'checkpoint=<path> (a local file), not both.')
        resnet = timm.create_model(
            model_name, pretrained=pretrained, num_classes=0)
        if not isinstance(resnet.maxpool, nn.MaxPool2d):
            raise TypeError(
                f'TimmResNet needs a stem that ends in a plain max-pool; '
                f'{model_name!r} has {type(resnet.maxpool).__name__}.')
        self.model_name = model_name
        self.conv1 = resnet.conv1
        self.bn1 = resnet.bn1
        self.act1 = resnet.act1
        self.maxpool = resnet.maxpool
        self.layer1 = resnet.layer1
        self.layer2 = resnet.layer2
        self.layer3 = resnet.layer3
        self.layer4 = resnet.layer4
        self.out_channels = resnet.num_features
        if checkpoint is not None:
            self.load_checkpoint(checkpoint)
        self.memory_format = (
            torch.channels_last if channels_last else torch.contiguous_format)
        self.to(memory_format=self.memory_format)

    @property
    def latent_dim(self) -> int:
        """Number of latent features the classifier reads."""
        return self.out_channels

    @property
    def stages(self) -> Tuple[nn.Sequential, ...]:
        """``layer1`` ... ``layer4``, in encoder order."""
        return (self.layer1, self.layer2, self.layer3, self.layer4)

    @property
    def blocks(self) -> List[nn.Module]:
        """Every residual block of the four stages, in encoder order."""
        return [block for stage in self.stages for block in stage]

    def load_checkpoint(self, path: str) -> None:
        """Load the backbone's weights from a local checkpoint file.

        Raises:
            FileNotFoundError: ``path`` is not a file.
            ValueError: The checkpoint's keys or shapes do not match the
                backbone's.
        """
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f'TimmResNet checkpoint {os.path.abspath(path)} does not '
                'exist.')
        state = torch.load(path, map_location='cpu', weights_only=True)
        if isinstance(state, dict) and 'state_dict' in state:
            state = state['state_dict']
        state = _backbone_state(state)
        own = self.state_dict()
        missing = [
            key for key in own if key not in state
            # Old torchvision checkpoints predate this BatchNorm counter;
            # BatchNorm's own loading fills it in.
            and not key.endswith('num_batches_tracked')
        ]
        unexpected = [key for key in state if key not in own]
        mismatched = [
            f'{key}: checkpoint {tuple(value.shape)}, model '
            f'{tuple(own[key].shape)}' for key, value in state.items()
            if key in own and value.shape != own[key].shape
        ]
        problems = [(name, keys)
                    for name, keys in (('missing keys', missing),
                                       ('unexpected keys', unexpected),
                                       ('shape mismatches', mismatched))
                    if keys]
        if problems:
            details = '; '.join(f'{len(keys)} {name}, e.g. {keys[:4]}'
                                for name, keys in problems)
            raise ValueError(f'Checkpoint {path} does not fit TimmResNet'
                             f'({self.model_name!r}): {details}.')
        self.load_state_dict(state)

    def forward(self, x: Tensor) -> EncoderOutput:
        if x.dim() != 4 or x.shape[1] != self.conv1.in_channels:
            raise ValueError(
                f'TimmResNet expects (B, {self.conv1.in_channels}, H, W) '
                f'images, got shape {tuple(x.shape)}.')
        inputs = x
        x = x.contiguous(memory_format=self.memory_format)
        x = self.act1(self.bn1(self.conv1(x)))
        pool_input_shape = x.shape
        pool = self.maxpool
        x, indices = F.max_pool2d(
            x,
            pool.kernel_size,
            pool.stride,
            pool.padding,
            pool.dilation,
            ceil_mode=pool.ceil_mode,
            return_indices=True)
        for stage in self.stages:
            x = stage(x)
        latent = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return EncoderOutput(latent, (indices, ), (pool_input_shape, ), inputs)


def _backbone_state(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """The backbone's entries of a checkpoint's state dict, without a
    distributed wrapper's ``module.`` prefix, without a whole model's
    ``backbone.`` prefix (and the model's other networks) and without a
    classifier."""
    state = {
        _strip_prefix(key, 'module.'): value
        for key, value in state.items()
    }
    if any(key.startswith('backbone.') for key in state):
        state = {
            key[len('backbone.'):]: value
            for key, value in state.items() if key.startswith('backbone.')
        }
    return {
        key: value
        for key, value in state.items() if not key.startswith('fc.')
    }


def _strip_prefix(key: str, prefix: str) -> str:
    return key[len(prefix):] if key.startswith(prefix) else key
