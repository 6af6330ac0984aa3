"""``python -m stylist.compare`` end to end at a tiny size with random weights."""

import csv

import pytest
import torch

from stylist.cli.compare import compare_from_config, ssim
from stylist.utils import StylistError
from stylist.wct import WCTDecoders, save_decoders


def test_ssim_is_one_for_identical_images():
    image = torch.rand(1, 3, 16, 16)
    assert abs(ssim(image, image) - 1.0) < 1e-9
    assert ssim(torch.rand(1, 3, 16, 16), image) < 0.5


@pytest.mark.parametrize(
    "override, message",
    [
        ("contents=[]", "contents is empty"),
        ("run=[]", "run is empty"),
        ("threads=-2", "threads must be a whole number >= 1"),
        ("sizes=[32,0]", "sizes must be a whole number of pixels, at least 16, got 0"),  # before the 32 px runs
        ("grid_cell=abc", "grid_cell must be a whole number >= 16"),  # was found only after every run
    ],
)
def test_bad_settings_are_refused_before_any_work(compose_cfg, tmp_path, monkeypatch, override, message):
    import stylist.cli.compare

    def no_work(*args, **kwargs):
        raise AssertionError("work started before the settings were checked")

    monkeypatch.setattr(stylist.cli.compare, "instantiate", no_work)
    cfg = compose_cfg("compare", [f"output_dir={tmp_path}", override])
    with pytest.raises(StylistError, match=message):
        compare_from_config(cfg)


def test_unwritable_output_folder_is_refused_before_any_work(compose_cfg, tmp_path, monkeypatch):
    import stylist.cli.compare

    monkeypatch.setattr(stylist.cli.compare, "instantiate", lambda *a, **k: pytest.fail("work started"))
    (tmp_path / "taken").write_text("x")
    cfg = compose_cfg("compare", [f"output_dir={tmp_path / 'taken' / 'comparison'}"])
    with pytest.raises(StylistError, match="a parent is a file"):
        compare_from_config(cfg)


@pytest.mark.slow
def test_compare_runs_end_to_end(compose_cfg, tmp_path, monkeypatch):
    import stylist.backbones

    real = stylist.backbones.get_backbone
    monkeypatch.setattr(stylist.backbones, "get_backbone", lambda name="vgg16", **kw: real(name, weights="random"))
    decoders = save_decoders(WCTDecoders(), tmp_path / "dec.pt")
    cfg = compose_cfg(
        "compare",
        [
            "contents=[astronaut]", "styles=[swirls,chelsea]", "sizes=[32]", "backbone.weights=random",
            f"output_dir={tmp_path / 'out'}", "run=[gatys,wct,photo,photowct]", "save_images=true",
            "methods.gatys.iterations=2", "methods.photo.stage2_iterations=2", "methods.photo.size=null",
            f"methods.wct.model={decoders}", f"methods.photowct.model={decoders}",
        ],
    )  # fmt: skip
    rows = compare_from_config(cfg)
    assert {(r["method"], r["style"]) for r in rows} == {
        (m, s) for m in ("gatys", "wct", "photo", "photowct") for s in ("swirls", "chelsea")
    }
    out = tmp_path / "out"
    assert (out / "grid_32.png").is_file() and (out / "summary.md").is_file()
    assert len(list((out / "images").glob("*.png"))) == 8
    with open(out / "summary.csv") as handle:
        summary = list(csv.DictReader(handle))
    assert [row["method"] for row in summary] == ["gatys", "wct", "photo", "photowct"]
    assert all(float(row["ssim"]) <= 1.0 for row in summary)
    assert all(float(row["style_ratio"]) >= 0 and float(row["content_ratio"]) >= 0 for row in summary)
