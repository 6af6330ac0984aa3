"""Every shipped model: one metadata format, loads by name; ship() round trips; bad files are errors."""

import os

import pytest
import torch
from torch import nn

from stylist import models
from stylist.johnson import TransformerNet
from stylist.utils import StylistError
from stylist.wct import WCTDecoders

SHIPPED = sorted(models.shipped())
KEYS = {"kind", "description", "architecture", "steps", "train_seconds", "metrics", "command", "machine", "date", "dtype",
        "config"}  # fmt: skip


def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def test_the_shipped_models_are_listed():
    assert {"starry_night", "starry_night_fast", "wct_vgg16_decoders", "deeplab_modanet_ccp"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_has_one_metadata_format_and_loads(name):
    meta = models.metadata(name)
    assert KEYS <= set(meta), KEYS - set(meta)
    assert isinstance(meta["train_seconds"], float) and meta["train_seconds"] > 0 and meta["steps"] > 0
    for text in _strings(meta):
        assert "${" not in text, text  # resolved config
        assert not (os.path.isabs(text) and text.startswith(("/work", "/home", "/tmp"))), text  # no machine paths
    model = models.load_model(name)
    assert isinstance(model, nn.Module) and not model.training
    parameters = list(model.parameters())
    assert parameters and all(p.dtype == torch.float32 and not p.requires_grad for p in parameters)
    assert all(torch.isfinite(p).all() for p in parameters)


def test_ship_then_load_round_trips_each_kind(tmp_path):
    torch.manual_seed(0)
    for name, kind, module, architecture in (
        ("net", "johnson", TransformerNet(width=4, blocks=2), {"width": 4, "blocks": 2}),
        ("dec", "wct", WCTDecoders([1, 2]), {"levels": [1, 2]}),
    ):
        weights, meta = models.ship(
            name, kind, module.state_dict(), architecture, description="test", config={"root": str(models.REPO_ROOT / ".." / "shared")},
            steps=3, train_seconds=1.25, metrics={"loss": 0.5}, command="pytest", machine="test", weights_dir=tmp_path,
            extra={"data": {"root": str(models.REPO_ROOT / ".." / "shared" / "data")}},
        )  # fmt: skip
        assert weights.is_file() and meta.is_file()
        assert models.metadata(name, tmp_path)["config"] == {"root": "../shared"}  # no machine path
        assert models.metadata(name, tmp_path)["data"] == {"root": "../shared/data"}  # in the extra keys either
        loaded = models.load_model(name, tmp_path)
        assert type(loaded) is type(module)
        for key, value in module.state_dict().items():
            torch.testing.assert_close(loaded.state_dict()[key], value.half().float() if value.is_floating_point() else value)


def test_ship_refuses_weights_that_do_not_fit_the_architecture(tmp_path):
    with pytest.raises(RuntimeError):
        models.ship("bad", "johnson", TransformerNet(width=4, blocks=1).state_dict(), {"width": 8, "blocks": 1},
                    description="", config={}, steps=1, train_seconds=None, metrics={}, command="", machine="",
                    weights_dir=tmp_path)  # fmt: skip
    assert not list(tmp_path.iterdir())


def test_unknown_name_kind_and_corrupt_file_are_one_line_errors(tmp_path):
    with pytest.raises(StylistError, match="shipped: .*starry_night"):
        models.load_model("no_such_model")
    (tmp_path / "odd.yaml").write_text("kind: nonsense\n")
    (tmp_path / "odd.pt").write_bytes(b"")
    with pytest.raises(StylistError, match="no builder for models of kind 'nonsense'"):
        models.load_model("odd", tmp_path)
    (tmp_path / "broken.yaml").write_text("kind: johnson\narchitecture: {width: 4, blocks: 1}\n")
    (tmp_path / "broken.pt").write_bytes(b"not a torch file")
    with pytest.raises(StylistError, match="cannot read model file"):
        models.load_model("broken", tmp_path)


def _ship_tiny(name, folder, description="test"):
    return models.ship(name, "johnson", TransformerNet(width=4, blocks=1).state_dict(), {"width": 4, "blocks": 1},
                       description=description, config={}, steps=1, train_seconds=1.0, metrics={}, command="pytest",
                       machine="test", weights_dir=folder)  # fmt: skip


def test_shipped_is_read_once_and_sees_new_changed_and_removed_models(tmp_path, monkeypatch):
    reads = []
    read = models._read_metadata
    monkeypatch.setattr(models, "_read_metadata", lambda path: reads.append(path.name) or read(path))
    _ship_tiny("one", tmp_path)
    assert list(models.shipped(tmp_path)) == ["one"]
    assert models.metadata("one", tmp_path)["kind"] == "johnson" and list(models.shipped(tmp_path)) == ["one"]
    assert reads == ["one.yaml"]  # listed three times, read once
    _ship_tiny("two", tmp_path)
    assert list(models.shipped(tmp_path)) == ["one", "two"]
    _ship_tiny("one", tmp_path, description="retrained")
    assert models.metadata("one", tmp_path)["description"] == "retrained"
    (tmp_path / "two.yaml").unlink()
    assert list(models.shipped(tmp_path)) == ["one"]


def test_a_weights_file_with_its_metadata_loads_through_the_same_reader(tmp_path):
    weights, _ = _ship_tiny("net", tmp_path)
    assert isinstance(models.load_model(weights, kind="johnson"), TransformerNet)
    assert isinstance(models.load_model(str(weights)), TransformerNet)
    with pytest.raises(StylistError, match=r"net.yaml does not describe a set of WCT decoders \(kind 'johnson'"):
        models.load_model(weights, kind="wct")
    with pytest.raises(StylistError, match="shipped model 'starry_night' does not describe a segmenter"):
        models.load_model("starry_night", kind="deeplab")
    (tmp_path / "bare.pt").write_bytes(weights.read_bytes())
    with pytest.raises(StylistError, match="bare.pt is a bare state dict: a model also needs its metadata bare.yaml"):
        models.load_model(tmp_path / "bare.pt")
