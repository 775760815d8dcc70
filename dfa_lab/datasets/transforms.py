"""Image transforms of the object tasks (ImageNet-pretrained ResNets)."""
from typing import Sequence

import torch
from PIL import Image
from torch import Tensor
from torchvision.transforms import v2

from dfa_lab.registry import TRANSFORMS
from .base import check_choice, check_positive_int

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@TRANSFORMS.register_module()
class ResizeCrop:
    """Resize to a square, crop, and normalise with ImageNet's statistics.

    The protocol of the object tasks (the paper's sec. 4): every image is
    resized to ``resize_size`` x ``resize_size`` (the aspect ratio is not
    kept, as in the authors' code), then

    - ``crop='random'``: a random ``crop_size`` crop (training; the authors'
      DFA code crops 221, SAFN's 224), optionally flipped horizontally;
    - ``crop='center'``: the centre crop (testing);
    - ``crop='ten'``: the four corner crops and the centre crop, and the
      same of the flipped image (ten-crop testing, the "*" rows); the
      result is ``(10, 3, crop_size, crop_size)``.

    Args:
        resize_size: Side of the square the image is resized to.
        crop_size: Side of the square crops.
        crop: ``'random'``, ``'center'`` or ``'ten'``.
        flip: Flip the image horizontally with probability 0.5 (only with
            ``crop='random'``).
        mean: Per-channel mean subtracted from pixels scaled to [0, 1].
        std: Per-channel standard deviation divided by.
    """

    crops = ('random', 'center', 'ten')

    def __init__(self,
                 resize_size: int = 256,
                 crop_size: int = 224,
                 crop: str = 'center',
                 flip: bool = False,
                 mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD):
        check_positive_int('resize_size', resize_size)
        check_positive_int('crop_size', crop_size)
        if crop_size > resize_size:
            raise ValueError(f'crop_size ({crop_size}) must not exceed '
                             f'resize_size ({resize_size}).')
        self.crop = check_choice('crop', crop, self.crops)
        if flip and crop != 'random':
            raise ValueError("flip is a training augmentation: use it with "
                             f"crop='random', not crop={crop!r}.")
        crop_transform = {
            'random': v2.RandomCrop(crop_size),
            'center': v2.CenterCrop(crop_size),
            'ten': v2.TenCrop(crop_size),
        }[crop]
        steps = [
            v2.ToImage(),
            v2.Resize((resize_size, resize_size), antialias=True),
            crop_transform,
        ]
        if flip:
            steps.append(v2.RandomHorizontalFlip())
        self.transform = v2.Compose(steps)
        self.normalize = v2.Compose([
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize(mean=list(mean), std=list(std)),
        ])

    def __call__(self, image: Image.Image) -> Tensor:
        """Transform an RGB image into ``(3, S, S)``, or ``(10, 3, S, S)``
        with ``crop='ten'``."""
        cropped = self.transform(image)
        if self.crop == 'ten':
            return torch.stack([self.normalize(c) for c in cropped])
        return self.normalize(cropped)
