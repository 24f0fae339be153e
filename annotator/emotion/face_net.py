"""The face-expression network: a small VGG-style CNN for 48x48 gray faces.

Why this shape: on FER2013 plain stacks of 3x3 convolutions with batch norm are as accurate as
fancier blocks at this resolution, and on a CPU dense 3x3 convolutions run far closer to peak
speed than depthwise-separable ones (mini-XCEPTION has few FLOPs but is memory-bound). The width
is the knob that trades accuracy for training time on a couple of CPU cores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class FaceNetConfig:
    """Everything needed to rebuild the network from its stored metadata."""

    widths: tuple[int, ...] = (24, 48, 96, 192)
    # Convolutions per stage. One at full resolution: a second one there costs as much as a
    # whole deeper stage, for little accuracy on 48x48 faces.
    convs: tuple[int, ...] = (1, 2, 2, 2)
    n_classes: int = 7  # FER2013's seven; "calm" is added as a zero column at inference
    dropout: float = 0.3

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FaceNetConfig:
        return cls(
            widths=tuple(int(w) for w in data["widths"]),
            convs=tuple(int(c) for c in data["convs"]),
            n_classes=int(data["n_classes"]),
            dropout=float(data["dropout"]),
        )


def _conv_bn_relu(c_in: int, c_out: int) -> list[nn.Module]:
    # bias=False: batch norm's shift makes a conv bias redundant.
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]


class FaceNet(nn.Module):
    """Stages of 3x3 conv+BN+ReLU, each followed by 2x2 max-pooling, then global average pooling.

    Global pooling makes the network accept any input side (training uses random 44x44 crops,
    inference the 48x48 image), and keeps the classifier head tiny.
    """

    def __init__(self, config: FaceNetConfig | None = None) -> None:
        super().__init__()
        self.config = config or FaceNetConfig()
        layers: list[nn.Module] = []
        c_in = 1
        for width, n_convs in zip(self.config.widths, self.config.convs, strict=True):
            for i in range(n_convs):
                layers += _conv_bn_relu(c_in if i == 0 else width, width)
            layers.append(nn.MaxPool2d(2))
            c_in = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(self.config.dropout),
            nn.Linear(c_in, self.config.n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 1, H, W) gray images in [0, 1] -> (N, n_classes) logits."""
        return self.head(self.features(standardise(x)))


MINI_XCEPTION = "mini-xception"


def build_network(net: dict) -> nn.Module:
    """The network a weights file describes: `FaceNet` by default, or mini-XCEPTION."""
    if net.get("arch") == MINI_XCEPTION:
        from annotator.emotion.mini_xception import MiniXception

        return MiniXception(int(net["n_classes"]))
    return FaceNet(FaceNetConfig.from_dict(net))


def standardise(x: torch.Tensor) -> torch.Tensor:
    """Per-image zero mean, unit variance.

    Part of the network so that training and inference cannot disagree; per image (not a global
    mean/std) because video frames differ from FER2013 in exposure and contrast far more than
    FER2013's images differ from each other.
    """
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    std = x.std(dim=(1, 2, 3), keepdim=True)
    return (x - mean) / (std + 1e-3)
