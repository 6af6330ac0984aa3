"""Decoder training through the real experiment configs: every one runs, and a chunked run
(stopped mid-epoch and resumed with ckpt_path=last) ends with exactly the weights of an uninterrupted one."""

from pathlib import Path

import pytest
import torch
from conftest import compose_config
from hydra.core.global_hydra import GlobalHydra

from stylist.cli import CONFIG_DIR
from stylist.cli.train import train_from_config

EXPERIMENTS = sorted(p.stem for p in (Path(CONFIG_DIR) / "experiment").glob("wct_*.yaml"))

TINY = [
    "backbone.weights=random",
    "logger=none",
    "data.patterns=[]",
    "data.samples=[astronaut,chelsea,coffee,rocket]",
    "data.val_images=[]",
    "data.size=32",
    "data.batch_size=2",
    "model.levels=[1,3]",
    "model.init=null",
    "model.optimizer.lr=1e-2",
    "~callbacks.progress_bar",
    "~callbacks.lr_monitor",
    "trainer.enable_progress_bar=false",
    "callbacks.model_checkpoint.every_n_train_steps=1",
]


def _train(output_dir, max_steps, resume=False):
    overrides = ["+experiment=wct_unpool_cpu", f"trainer.max_steps={max_steps}", *TINY]
    try:
        train_from_config(compose_config("train", overrides + (["ckpt_path=last"] if resume else []), output_dir))
    finally:
        GlobalHydra.instance().clear()
    state = torch.load(output_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    return {k: v for k, v in state["state_dict"].items() if k.startswith("decoders.")}, state["global_step"]


def test_chunked_training_resumes_exactly(tmp_path):
    straight, steps = _train(tmp_path / "straight", 5)
    assert steps == 5
    first, first_steps = _train(tmp_path / "chunked", 3)  # 2 batches of 2 per epoch: stops mid-epoch
    resumed, steps = _train(tmp_path / "chunked", 5, resume=True)
    assert first_steps == 3 and steps == 5
    assert straight.keys() == resumed.keys() and any(k.endswith(".unpool") for k in straight)
    for name, value in straight.items():
        assert torch.equal(value, resumed[name]), name
    assert not torch.equal(first["decoders.relu3_1.net.1.weight"], resumed["decoders.relu3_1.net.1.weight"])


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_wct_experiment_trains_and_validates(tmp_path, experiment):
    overrides = [f"+experiment={experiment}", *TINY, "trainer.fast_dev_run=true", "trainer.accelerator=cpu",
                 "trainer.precision=32-true", "model.levels=[1,2]", "data.val_images=[chelsea,coffee]", "data.val_size=40"]
    try:
        metrics = train_from_config(compose_config("train", overrides, tmp_path))
    finally:
        GlobalHydra.instance().clear()
    assert metrics["train/loss"] > 0 and metrics["val/loss"] > 0


def test_validation_logs_one_row_per_whole_image(random_encoder, monkeypatch):
    from types import SimpleNamespace

    from stylist.wct.module import GRID_IMAGES, WCTDecoderModule

    images = []
    logger = SimpleNamespace(experiment=SimpleNamespace(add_image=lambda tag, grid, step: images.append((tag, grid))))
    monkeypatch.setattr(WCTDecoderModule, "loggers", property(lambda self: [logger]))
    monkeypatch.setattr(WCTDecoderModule, "log_dict", lambda self, *args, **kwargs: None)
    module = WCTDecoderModule(random_encoder, levels=[1, 2])
    for index, (height, width) in enumerate([(32, 48), (48, 32)] * 3):  # whole images, one per batch
        module.validation_step(torch.rand(1, 3, height, width), index)
    module.on_validation_epoch_end()
    ((tag, grid),) = images
    # GRID_IMAGES rows of input | relu1_1 | relu2_1, padded to 48 x 144, 4 px borders
    assert tag == "val/reconstructions" and grid.shape == (3, 4 + GRID_IMAGES * (48 + 4), 4 + 3 * 48 + 4)


def test_ssim_weight_adds_each_levels_structural_term(random_encoder):
    from stylist.losses import ssim_loss
    from stylist.wct.decoder import WCTDecoders
    from stylist.wct.module import reconstruction_losses

    torch.manual_seed(0)
    decoders, images = WCTDecoders([1, 2], unpool=True), torch.rand(2, 3, 32, 32)
    plain = reconstruction_losses(random_encoder, decoders, images, feature_weight=0.1)
    with_ssim = reconstruction_losses(random_encoder, decoders, images, feature_weight=0.1, ssim_weight=0.5)
    features, switches = random_encoder.forward_with_switches(images, decoders.layers)
    expected = sum(ssim_loss(decoders[layer](features[layer], switches), images) for layer in decoders.layers)
    assert with_ssim["ssim_relu2_1"] > 0 and not any(key.startswith("ssim_") for key in plain)
    assert with_ssim["loss"].item() == pytest.approx(plain["loss"].item() + 0.5 * float(expected), rel=1e-5)


def test_feature_weight_zero_drops_the_feature_term(random_encoder):
    from stylist.wct.decoder import WCTDecoders
    from stylist.wct.module import reconstruction_losses

    torch.manual_seed(0)
    decoders, images = WCTDecoders([1, 2], unpool=True), torch.rand(2, 3, 32, 32)
    pixel_only = reconstruction_losses(random_encoder, decoders, images, feature_weight=0.0)
    with_feature = reconstruction_losses(random_encoder, decoders, images, feature_weight=0.5)
    assert not any(key.startswith("feature_") for key in pixel_only)
    pixels = sum(pixel_only[f"pixel_{layer}"] for layer in decoders.layers)
    assert pixel_only["loss"].item() == pytest.approx(float(pixels), rel=1e-6)
    features = sum(with_feature[f"feature_{layer}"] for layer in decoders.layers)
    assert with_feature["feature_relu2_1"] > 0
    assert with_feature["loss"].item() == pytest.approx(float(pixels) + 0.5 * float(features), rel=1e-5)
