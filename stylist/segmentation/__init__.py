"""Clothing segmentation: DeepLabV3+ (VGG16 encoder from the offline hed weights) on ModaNet-format data.

Public API::

    from stylist.segmentation import CLASS_NAMES, load_segmenter, segment, colorize, overlay
    seg = load_segmenter()                      # shipped "deeplab_modanet_ccp", or a .ckpt path
    class_map, probs = segment(image, seg)      # image 1x3xHxW in [0,1] -> HxW long, 14xHxW
    overlay(image, class_map)                   # 3xHxW' preview with a legend
"""

from stylist.segmentation.modanet import CLASS_NAMES, IGNORE_INDEX, NUM_CLASSES
from stylist.segmentation.predict import Segmenter, load_segmenter, segment
from stylist.segmentation.visualize import PALETTE, colorize, overlay

__all__ = [
    "CLASS_NAMES",
    "IGNORE_INDEX",
    "NUM_CLASSES",
    "PALETTE",
    "Segmenter",
    "load_segmenter",
    "segment",
    "colorize",
    "overlay",
]
