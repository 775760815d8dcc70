"""Synthetic digits rendered on the fly from matplotlib's TrueType fonts."""
import os
from typing import Dict, List, Optional, Tuple

import matplotlib
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from torch import Tensor

from dfa_lab.registry import DATASETS
from .base import (LUMA_WEIGHTS, ChannelStat, InMemoryDigitDataset,
                   check_choice, check_positive_int)

# Fonts shipped with matplotlib whose glyphs for 0-9 are ordinary lining
# digits (the Display, symbol and math-italic files lack them or use
# old-style figures).
FONT_FILES = ('DejaVuSans-Bold.ttf', 'DejaVuSans-BoldOblique.ttf',
              'DejaVuSans-Oblique.ttf', 'DejaVuSans.ttf',
              'DejaVuSansMono-Bold.ttf', 'DejaVuSansMono-BoldOblique.ttf',
              'DejaVuSansMono-Oblique.ttf', 'DejaVuSansMono.ttf',
              'DejaVuSerif-Bold.ttf', 'DejaVuSerif-BoldItalic.ttf',
              'DejaVuSerif-Italic.ttf', 'DejaVuSerif.ttf', 'STIXGeneral.ttf',
              'STIXGeneralBol.ttf', 'STIXGeneralBolIta.ttf',
              'STIXGeneralItalic.ttf', 'cmb10.ttf', 'cmr10.ttf', 'cmss10.ttf',
              'cmti10.ttf', 'cmtt10.ttf')

# Masks are drawn at twice the output size and box-filtered down, which
# antialiases the glyph edges, including those left jagged by the rotation.
SUPERSAMPLING = 2
# The font size at which each font's digit height is measured.
REFERENCE_FONT_SIZE = 100


def _font_paths() -> List[str]:
    font_folder = os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf')
    return [os.path.join(font_folder, name) for name in FONT_FILES]


class _DigitRenderer:
    """Draws digit masks; caches the fonts at every size it meets."""

    def __init__(self, font_paths: List[str]) -> None:
        self.font_paths = font_paths
        self._fonts: Dict[Tuple[int, int], ImageFont.FreeTypeFont] = {}
        # Ink height per unit of font size, to give every font the same
        # digit height for the same drawn size.
        self.height_per_size = []
        for font_index in range(len(font_paths)):
            _, top, _, bottom = self.font(font_index,
                                          REFERENCE_FONT_SIZE).getbbox('0')
            self.height_per_size.append((bottom - top) / REFERENCE_FONT_SIZE)

    def font(self, font_index: int, size: int) -> ImageFont.FreeTypeFont:
        key = (font_index, size)
        if key not in self._fonts:
            self._fonts[key] = ImageFont.truetype(self.font_paths[font_index],
                                                  size)
        return self._fonts[key]

    def render(self, canvas_size: int, digit: int, font_index: int,
               digit_height: float, centre: Tuple[float, float], gap: float,
               neighbours: Tuple[int, int], angle: float,
               blur: float) -> Image.Image:
        """Draw a white digit on black, with optional neighbours.

        Args:
            canvas_size: Side of the square mask.
            digit: The centre digit.
            font_index: Index into the font list.
            digit_height: Ink height of the digit, in pixels.
            centre: Where the centre of the digit's ink goes.
            gap: Space between the ink of neighbouring digits, in pixels.
            neighbours: Digits to the left and right; -1 draws none.
            angle: Counter-clockwise rotation about ``centre``, in degrees.
            blur: Standard deviation of the Gaussian blur, in pixels.
        """
        size = max(1, round(digit_height / self.height_per_size[font_index]))
        font = self.font(font_index, size)
        mask = Image.new('L', (canvas_size, canvas_size))
        draw = ImageDraw.Draw(mask)
        left, top, right, bottom = font.getbbox(str(digit))
        origin_x = centre[0] - (left + right) / 2
        # Neighbours share the centre digit's baseline, as printed numbers do.
        origin_y = centre[1] - (top + bottom) / 2
        draw.text((origin_x, origin_y), str(digit), fill=255, font=font)
        left_neighbour, right_neighbour = neighbours
        if left_neighbour >= 0:
            _, _, neighbour_right, _ = font.getbbox(str(left_neighbour))
            draw.text((origin_x + left - gap - neighbour_right, origin_y),
                      str(left_neighbour),
                      fill=255,
                      font=font)
        if right_neighbour >= 0:
            neighbour_left, _, _, _ = font.getbbox(str(right_neighbour))
            draw.text((origin_x + right + gap - neighbour_left, origin_y),
                      str(right_neighbour),
                      fill=255,
                      font=font)
        mask = mask.rotate(angle, resample=Image.BILINEAR, center=centre)
        return mask.filter(ImageFilter.GaussianBlur(blur))


@DATASETS.register_module()
class SynDigits(InMemoryDigitDataset):
    """Synthetic house-number digits, rendered at construction; needs no
    files.

    In the spirit of Ganin & Lempitsky's SynNumbers: every image shows one
    digit (the label) in a random font of :data:`FONT_FILES` (from
    matplotlib), with a random height (50-80% of the image), position jitter,
    a rotation of up to 15 degrees, random stroke and background colours
    whose luma differs by at least a quarter of the range, a Gaussian blur
    and, like house-number crops, neighbouring digits cut off by the left
    and right edges (each present with probability 0.7).

    Labels are exactly balanced: sample ``i`` of an unshuffled list has label
    ``i % 10``, and the list is then shuffled, so class counts differ by at
    most one.

    Images depend only on ``(seed, split, num_samples, image_size)``: the
    same values give identical tensors. Each split draws from its own child
    of ``numpy.random.SeedSequence(seed)``, so the train and test images of
    one seed are independent. Rendering 10,000 32x32 images takes a few
    seconds.

    Args:
        num_samples: Number of images.
        seed: Seed of the rendering.
        split: ``'train'`` or ``'test'``.
        image_size: Side of the output images.
        channels: 3 (RGB) or 1 (luma).
        mean: See :class:`DigitDataset`.
        std: See :class:`DigitDataset`.
        device: See :class:`InMemoryDigitDataset`.
    """

    SPLITS = ('train', 'test')
    HEIGHT_RANGE = (0.5, 0.8)
    MAX_SHIFT = (0.1, 0.06)
    MAX_ANGLE = 15.0
    BLUR_RANGE = (0.3, 1.5)
    GAP_RANGE = (0.05, 0.3)
    NEIGHBOUR_PROBABILITY = 0.7
    MIN_CONTRAST = 64

    def __init__(self,
                 num_samples: int = 10000,
                 seed: int = 0,
                 split: str = 'train',
                 image_size: int = 32,
                 channels: int = 3,
                 mean: ChannelStat = 0.5,
                 std: ChannelStat = 0.5,
                 device: Optional[str] = None) -> None:
        self.num_samples = check_positive_int('num_samples', num_samples)
        self.seed = seed
        self.split = check_choice('split', split, self.SPLITS)
        super().__init__(
            image_size=image_size,
            channels=channels,
            mean=mean,
            std=std,
            device=device)

    def load(self) -> Tuple[Tensor, Tensor]:
        seed_sequence = np.random.SeedSequence(
            self.seed, spawn_key=(self.SPLITS.index(self.split), ))
        rng = np.random.default_rng(seed_sequence)
        renderer = _DigitRenderer(_font_paths())
        count = self.num_samples
        canvas = self.image_size * SUPERSAMPLING

        labels = rng.permutation(np.arange(count) % 10)
        font_indices = rng.integers(len(renderer.font_paths), size=count)
        heights = rng.uniform(*self.HEIGHT_RANGE, size=count) * canvas
        shifts = rng.uniform(-1, 1, size=(count, 2)) * self.MAX_SHIFT * canvas
        centres = canvas / 2 + shifts
        gaps = rng.uniform(*self.GAP_RANGE, size=count) * heights
        neighbours = np.where(
            rng.random((count, 2)) < self.NEIGHBOUR_PROBABILITY,
            rng.integers(10, size=(count, 2)), -1)
        angles = rng.uniform(-self.MAX_ANGLE, self.MAX_ANGLE, size=count)
        blurs = rng.uniform(*self.BLUR_RANGE, size=count)
        strokes, backgrounds = self._draw_colours(rng, count)

        images = np.empty((count, 3, self.image_size, self.image_size),
                          dtype=np.uint8)
        for index in range(count):
            mask = renderer.render(canvas, int(labels[index]),
                                   int(font_indices[index]),
                                   float(heights[index]),
                                   tuple(centres[index].tolist()),
                                   float(gaps[index]),
                                   tuple(neighbours[index].tolist()),
                                   float(angles[index]), float(blurs[index]))
            ink = np.asarray(
                mask.reduce(SUPERSAMPLING), dtype=np.float32) / 255
            background = backgrounds[index, :, None, None]
            image = background + (strokes[index, :, None, None] -
                                  background) * ink
            images[index] = np.rint(image)
        return torch.from_numpy(images), torch.from_numpy(labels)

    def _draw_colours(self, rng: np.random.Generator,
                      count: int) -> Tuple[np.ndarray, np.ndarray]:
        """Draw stroke and background colours, redrawing the pairs whose
        luma contrast is below ``MIN_CONTRAST``."""
        luma = np.array(LUMA_WEIGHTS)
        strokes = np.empty((count, 3))
        backgrounds = np.empty((count, 3))
        pending = np.arange(count)
        while len(pending):
            stroke = rng.uniform(0, 255, size=(len(pending), 3))
            background = rng.uniform(0, 255, size=(len(pending), 3))
            strokes[pending], backgrounds[pending] = stroke, background
            contrast = np.abs((stroke - background) @ luma)
            pending = pending[contrast < self.MIN_CONTRAST]
        return strokes, backgrounds
