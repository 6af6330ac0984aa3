"""Export a trained :class:`TransformerNet` to TorchScript and ONNX, checking parity with eager.

    python -m stylist.johnson.export starry_night --out exports/ [--size 256] [--opset 17]

writes ``<out>/<name>.pt`` (TorchScript) and ``<out>/<name>.onnx`` (height and width dynamic,
multiples of 4), and prints the largest absolute difference of each from eager PyTorch on a test
image (an error if above ``--tolerance``, default 1e-4).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from stylist.cli import user_errors_status
from stylist.johnson.inference import load_transformer
from stylist.johnson.model import TransformerNet
from stylist.utils import StylistError, atomic_write, check_whole_number

__all__ = ["export_torchscript", "export_onnx", "max_abs_difference", "main"]


def export_torchscript(net: TransformerNet, path: str | Path) -> Path:
    """Script ``net`` (eval mode) and save it to ``path``; load with ``torch.jit.load``."""
    scripted = torch.jit.script(net.eval())
    path = Path(path)
    with atomic_write(path) as tmp:
        scripted.save(str(tmp))
    return path


def export_onnx(net: TransformerNet, path: str | Path, size: int = 256, opset: int = 17) -> Path:
    """Export ``net`` to ONNX with dynamic batch, height and width (input name ``image``,
    output ``stylized``, both ``B x 3 x H x W`` in [0, 1])."""
    path = Path(path)
    example = torch.rand(1, 3, size, size)
    with atomic_write(path) as tmp:
        torch.onnx.export(
            net.eval(),
            (example,),
            str(tmp),
            input_names=["image"],
            output_names=["stylized"],
            dynamic_axes={name: {0: "batch", 2: "height", 3: "width"} for name in ("image", "stylized")},
            opset_version=opset,
            dynamo=False,
        )
    return path


def max_abs_difference(
    net: TransformerNet, torchscript: str | Path, onnx: str | Path, image: torch.Tensor
) -> dict[str, float]:
    """Largest absolute output difference of each exported file from eager ``net`` on ``image``
    (``1 x 3 x H x W``, sides multiples of 4)."""
    import onnxruntime

    with torch.inference_mode():
        eager = net.eval()(image)
        scripted = torch.jit.load(str(torchscript))(image)
    session = onnxruntime.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
    from_onnx = torch.from_numpy(session.run(None, {"image": image.numpy()})[0])
    return {
        "torchscript": float((scripted - eager).abs().max()),
        "onnx": float((from_onnx - eager).abs().max()),
    }


@user_errors_status
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="shipped name (starry_night) or a .ckpt/.pt path")
    parser.add_argument("--out", type=Path, default=Path("exports"))
    parser.add_argument("--size", type=int, default=256, help="side of the example/test image, px")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args(argv)
    if check_whole_number("--size", args.size, 16) % 4:
        raise StylistError(f"--size must be a multiple of 4 (TransformerNet's two strides), got {args.size}")
    net = load_transformer(args.model)
    name = Path(args.model).stem
    scripted = export_torchscript(net, args.out / f"{name}.torchscript.pt")
    onnx = export_onnx(net, args.out / f"{name}.onnx", size=args.size, opset=args.opset)
    test = torch.rand(1, 3, args.size + 4, args.size - 8, generator=torch.Generator().manual_seed(0))
    differences = max_abs_difference(net, scripted, onnx, test)
    print(f"{scripted}\n{onnx}\nmax |exported - eager|: {differences}")
    if max(differences.values()) > args.tolerance:
        print(f"error: parity above {args.tolerance}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
