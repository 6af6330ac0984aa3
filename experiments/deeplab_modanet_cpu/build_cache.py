"""Cache stage: build the frozen-feature caches of an experiment without training.

    OMP_NUM_THREADS=1 python experiments/deeplab_modanet_cpu/build_cache.py +experiment=deeplab_modanet_cpu512 [overrides]

Composes the training config like ``python -m stylist.train`` and runs the datamodule's
``prepare_data()`` (every cache that is missing is built; complete ones are kept).
"""

from __future__ import annotations

import sys

from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from stylist.cli import CONFIG_DIR


def main() -> int:
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="train", overrides=sys.argv[1:])
    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()
    for name, caches in datamodule.cache_specs().items():
        for cache in caches:
            print(name, cache.size, cache.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
