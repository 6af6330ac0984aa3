import pytest
import torch

from stylist.image import load_image
from stylist.johnson import TransformerNet, load_transformer, stylize_image
from stylist.losses import PerceptualLoss
from stylist.utils import StylistError

from conftest import needs_shared


def _smooth_image(height: int, width: int) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.linspace(0, 6, height), torch.linspace(0, 8, width), indexing="ij")
    return torch.stack([0.5 + 0.4 * torch.sin(xx + yy * k) for k in (0.5, 1.0, 1.5)])[None]


def test_tiled_matches_untiled_away_from_tile_borders():
    torch.manual_seed(0)
    net = TransformerNet(width=8, blocks=2).eval()
    image = _smooth_image(200, 264)
    whole = stylize_image(net, image)
    tiled = stylize_image(net, image, tile_size=128, overlap=32)
    assert tiled.shape == whole.shape
    # Tiles share the whole image's instance-norm statistics; what differs is the padding at tile edges,
    # which the overlap blending hides: away from the image border nearly every pixel agrees.
    inner = (tiled - whole)[..., 16:-16, 16:-16].abs()
    assert inner.mean() < 0.005 and (inner > 0.02).float().mean() < 0.02, (inner.mean(), inner.max())
    # and the blend leaves no step at the tile seams: neighbouring columns differ as elsewhere
    column_steps = tiled.diff(dim=-1).abs().mean(dim=(0, 1, 2))
    assert column_steps.max() < 4 * column_steps.median() + 0.02


def test_bf16_and_compiled_inference_agree_with_float32(tmp_path):
    torch.manual_seed(0)
    net = TransformerNet(width=8, blocks=2).eval()
    path = tmp_path / "net.pt"
    torch.save(net.state_dict(), path)
    image = _smooth_image(68, 92)
    reference = stylize_image(net, image)
    bf16 = stylize_image(net, image, bf16=True)
    assert bf16.dtype == torch.float32 and 0 < (bf16 - reference).abs().mean() < 2 / 255
    compiled = load_transformer(path, compile=True)
    torch.testing.assert_close(stylize_image(compiled, image), reference, atol=1e-4, rtol=1e-4)
    # tiling runs the module itself (its norm hooks), whether or not it was compiled
    torch.testing.assert_close(stylize_image(compiled, image, tile_size=48, overlap=8),
                               stylize_image(net, image, tile_size=48, overlap=8))  # fmt: skip


def test_tiling_rejects_a_too_large_overlap():
    with pytest.raises(StylistError, match="overlap"):
        stylize_image(TransformerNet(width=4, blocks=1), torch.rand(1, 3, 64, 64), tile_size=32, overlap=16)


def test_loads_a_state_dict_file_with_its_shape_read_from_the_weights(tmp_path):
    net = TransformerNet(width=8, blocks=3)
    torch.save(net.state_dict(), tmp_path / "net.pt")
    loaded = load_transformer(tmp_path / "net.pt")
    assert (loaded.width, loaded.blocks, loaded.training) == (8, 3, False)
    image = torch.rand(1, 3, 32, 32)
    assert torch.equal(loaded(image), net.eval()(image))


def test_unknown_model_name_lists_the_shipped_ones():
    with pytest.raises(StylistError, match="shipped"):
        load_transformer("no_such_model")


@needs_shared("data", "images", "starry_night.jpg")
@pytest.mark.parametrize("name", ["starry_night", "starry_night_fast"])
def test_shipped_starry_night_loads_by_name_and_carries_the_style(hed_encoder, name):
    net = load_transformer(name)
    content = load_image("tubingen", size=256)
    stylized = stylize_image(net, content)
    loss = PerceptualLoss(hed_encoder, ["relu2_2"], ["relu1_2", "relu2_2", "relu3_3", "relu4_3"])
    loss.set_style(load_image("starry_night", size=384))
    loss.set_content(content)
    with torch.no_grad():
        before, after = loss(content).style.item(), loss(stylized).style.item()
    assert after < 0.25 * before, (before, after)


def test_stylize_command_runs_the_shipped_model(compose_cfg, tmp_path):
    from stylist.cli.stylize import stylize_from_config

    cfg = compose_cfg("stylize", ["method=johnson", "method.model=starry_night", "size=64", f"output={tmp_path}/out.png"])
    record = stylize_from_config(cfg)
    assert load_image(record["output"]).shape == (1, 3, 64, 64)
    assert record["seconds_inference"] > 0


def test_johnson_method_without_a_model_says_how_to_choose_one(compose_cfg, tmp_path):
    from stylist.cli.stylize import stylize_from_config

    cfg = compose_cfg("stylize", ["method=johnson", "size=32", f"output={tmp_path}/out.png"])
    with pytest.raises(StylistError, match="model=starry_night"):
        stylize_from_config(cfg)
