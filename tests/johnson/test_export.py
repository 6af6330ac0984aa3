import torch

from stylist.johnson import TransformerNet
from stylist.johnson.export import export_onnx, export_torchscript, main, max_abs_difference


def test_torchscript_and_onnx_match_eager(tmp_path):
    torch.manual_seed(0)
    net = TransformerNet(width=8, blocks=2).eval()
    scripted = export_torchscript(net, tmp_path / "net.torchscript.pt")
    onnx = export_onnx(net, tmp_path / "net.onnx", size=32)
    other_size = torch.rand(1, 3, 44, 28)  # dynamic height and width
    differences = max_abs_difference(net, scripted, onnx, other_size)
    assert max(differences.values()) < 1e-4, differences


def test_command_exports_a_checkpoint(tmp_path, capsys):
    torch.save(TransformerNet(width=4, blocks=1).state_dict(), tmp_path / "tiny.pt")
    assert main([str(tmp_path / "tiny.pt"), "--out", str(tmp_path / "out"), "--size", "32"]) == 0
    assert (tmp_path / "out" / "tiny.onnx").is_file() and (tmp_path / "out" / "tiny.torchscript.pt").is_file()
    assert main(["no_such_model", "--out", str(tmp_path)]) == 2


def test_command_refuses_a_size_the_network_cannot_take_before_writing(tmp_path, capsys):
    for size in ("3", "30"):
        assert main(["starry_night", "--out", str(tmp_path / "out"), "--size", size]) == 2
        assert "--size must be" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
