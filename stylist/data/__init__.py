"""Data shared by the trained methods.

* :mod:`stylist.data.sampling`: :class:`~stylist.data.sampling.EpochSampler`, the seeded, resumable,
  optionally class-balanced training order of every method, and
  :class:`~stylist.data.sampling.ResumableDataModule`, which checkpoints where it stands;
* :mod:`stylist.data.images`: :class:`~stylist.data.images.ImageFolderDataModule`, random square
  crops of a folder of photos for Johnson's networks and the WCT decoders.
"""
