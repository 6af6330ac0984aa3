"""Clothing segmentation: DeepLabV3+ (VGG16 encoder) trained on ModaNet-format data."""

from stylist.segmentation.modanet import CLASS_NAMES, IGNORE_INDEX, NUM_CLASSES

__all__ = ["CLASS_NAMES", "IGNORE_INDEX", "NUM_CLASSES"]
