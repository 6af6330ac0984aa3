import functools
import warnings

import pytest

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint
import torch

from stylist.data.images import ImageFolderDataModule
from stylist.johnson import JohnsonModule, TransformerNet
from stylist.losses import PerceptualLoss

LOSS = functools.partial(
    PerceptualLoss, content_layers=["relu2_2"], style_layers=["relu1_2", "relu2_2", "relu3_3"],
    content_weight=1.0, style_weight=100.0, tv_weight=1.0,
)


def _module(encoder, seed=0, lr=1e-2):
    torch.manual_seed(seed)
    return JohnsonModule(
        TransformerNet(width=8, blocks=1), LOSS, encoder, style="swirls", serve_size=48,
        optimizer=functools.partial(torch.optim.Adam, lr=lr),
    )


def _data(folder, batch_size=2):
    return ImageFolderDataModule(root=str(folder), patterns=["*.png"], size=32, batch_size=batch_size,
                                 val_images=["chelsea"], val_size=32)


def _trainer(tmp_path, **kwargs):
    kwargs.setdefault("enable_checkpointing", False)
    return pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False,
                      enable_model_summary=False, limit_val_batches=0, default_root_dir=tmp_path, **kwargs)


def test_loss_decreases_over_a_few_steps(hed_encoder, tiny_folder):
    module = _module(hed_encoder, lr=1e-3)
    datamodule = _data(tiny_folder, batch_size=6)
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    optimizer = module.configure_optimizers()
    losses = []
    for _ in range(12):
        optimizer.zero_grad()
        loss = module.training_step(batch, 0)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0], losses


def test_resume_from_checkpoint_equals_an_uninterrupted_run(random_encoder, tiny_folder, tmp_path):
    pl.seed_everything(0)
    straight = _module(random_encoder)
    _trainer(tmp_path, max_steps=6).fit(straight, datamodule=_data(tiny_folder))

    pl.seed_everything(0)
    checkpoints = ModelCheckpoint(dirpath=tmp_path / "ckpt", every_n_train_steps=3, save_top_k=-1)
    # "interrupted" after 3 steps (the end of the first epoch: 6 images, batch 2)
    _trainer(tmp_path, max_steps=3, enable_checkpointing=True, callbacks=[checkpoints]).fit(
        _module(random_encoder), datamodule=_data(tiny_folder)
    )
    (checkpoint,) = (tmp_path / "ckpt").iterdir()
    assert not any(k.startswith("loss.encoder.") for k in torch.load(checkpoint, weights_only=False)["state_dict"])

    resumed = _module(random_encoder, seed=123)  # different init: everything must come from the checkpoint
    _trainer(tmp_path, max_steps=6).fit(resumed, datamodule=_data(tiny_folder), ckpt_path=checkpoint)
    for (name, a), b in zip(straight.net.state_dict().items(), resumed.net.state_dict().values()):
        assert torch.equal(a, b), name


def test_validation_logs_a_grid_of_stylised_images(random_encoder, tiny_folder, tmp_path):
    from pytorch_lightning.loggers import TensorBoardLogger
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logger = TensorBoardLogger(tmp_path, name="tb", version="")
    trainer = pl.Trainer(accelerator="cpu", logger=logger, enable_checkpointing=False, enable_progress_bar=False,
                         max_steps=2, val_check_interval=2, check_val_every_n_epoch=None, log_every_n_steps=1)
    trainer.fit(_module(random_encoder), datamodule=_data(tiny_folder))
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    assert "val/stylized" in events.Tags()["images"]
    assert {"train/total", "train/content", "train/style", "train/tv", "val/total"} <= set(events.Tags()["scalars"])


def test_multi_style_resume_mid_epoch_equals_an_uninterrupted_run(random_encoder, tiny_folder, tmp_path):
    def multi(seed):
        torch.manual_seed(seed)
        return JohnsonModule(
            TransformerNet(width=4, blocks=1, styles=["s", "c", "k"]), LOSS, random_encoder,
            style=["swirls", "chelsea", "coffee"], serve_size=32, optimizer=functools.partial(torch.optim.Adam, lr=1e-2),
        )

    pl.seed_everything(0)
    straight = multi(0)
    _trainer(tmp_path, max_steps=5).fit(straight, datamodule=_data(tiny_folder))
    pl.seed_everything(0)
    checkpoints = ModelCheckpoint(dirpath=tmp_path / "mid", every_n_train_steps=4, save_top_k=-1)
    # interrupted after 4 steps: one batch into the second epoch (3 batches each)
    _trainer(tmp_path, max_steps=4, enable_checkpointing=True, callbacks=[checkpoints]).fit(
        multi(0), datamodule=_data(tiny_folder)
    )
    (checkpoint,) = (tmp_path / "mid").iterdir()
    resumed = multi(123)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _trainer(tmp_path, max_steps=5).fit(resumed, datamodule=_data(tiny_folder), ckpt_path=checkpoint)
    # Lightning's "dataloader is not resumable" warning does not apply: the sampler resumes
    assert not [w for w in caught if "not resumable" in str(w.message)]
    for (name, a), b in zip(straight.net.state_dict().items(), resumed.net.state_dict().values()):
        assert torch.equal(a, b), name


def test_hyperparameters_are_plain_for_weights_only_checkpoints(random_encoder):
    from omegaconf import ListConfig

    module = JohnsonModule(
        TransformerNet(width=4, blocks=1, styles=["s", "c"]), LOSS, random_encoder,
        style=ListConfig(["swirls", "chelsea"]), serve_size=32,
    )
    assert type(module.hparams["style"]) is list and all(type(s) is str for s in module.hparams["style"])


def test_per_style_pairs_get_their_own_learning_rate(random_encoder):
    module = JohnsonModule(
        TransformerNet(width=4, blocks=1, styles=["s", "c"]), LOSS, random_encoder, style=["swirls", "chelsea"],
        serve_size=32, norm_lr_scale=20.0, optimizer=functools.partial(torch.optim.Adam, lr=1e-3),
    )
    shared, per_style = module.configure_optimizers().param_groups
    assert shared["lr"] == 1e-3 and per_style["lr"] == pytest.approx(2e-2)
    assert all(p.dim() == 2 for p in per_style["params"]) and not any(p.dim() == 2 for p in shared["params"])
