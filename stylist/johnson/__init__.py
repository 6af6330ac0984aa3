"""Johnson et al. (2016) fast style transfer: a feed-forward network trained per style.

* :class:`TransformerNet` (``model.py``) the network; :class:`JohnsonModule` (``module.py``) its
  Lightning training (content crops: :class:`stylist.data.images.ImageFolderDataModule`);
* :func:`load_transformer` and :func:`stylize_image` (``inference.py``) use a trained model;
* ``python -m stylist.johnson.export`` writes TorchScript and ONNX (``export.py``).
"""

from stylist.johnson.inference import load_transformer, stylize_image
from stylist.johnson.model import TransformerNet

__all__ = ["TransformerNet", "JohnsonModule", "load_transformer", "stylize_image"]


def __getattr__(name: str):
    # Lightning is imported only when asked for: inference stays light.
    if name == "JohnsonModule":
        from stylist.johnson.module import JohnsonModule

        return JohnsonModule
    raise AttributeError(name)
