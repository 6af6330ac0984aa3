"""Peak memory of :func:`stylist.image.load_image` on a huge photo, in a fresh process per file.

Writes a ``side x side`` PNG and JPEG (a smooth gradient with fine stripes, so that they encode
quickly) into a temporary folder, then for each loads it as ``python -m stylist.stylize`` does
(``size``, default ``max_size``) and with no size (the default ``max_size`` only, as
``python -m stylist.fashion`` does), and reports the process's peak resident memory, with the
peak of a process that only imports the library as the baseline. The files are written by a
child process too: on Linux a child's peak counts its parent's memory at the time it was started.

    python benchmarks/image_memory.py [--side 12000] [--size 256] [--out benchmarks/results/image_memory.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from stylist.utils import atomic_write

_PEAK = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def peak_rss_gb(code: str) -> float:
    """Peak resident memory (GB) of a fresh interpreter running ``code`` then reporting it."""
    out = subprocess.run([sys.executable, "-c", f"{code}\n{_PEAK}"], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024**2


def write_test_images(folder: Path, side: int) -> None:
    """A ``side x side`` RGB gradient with stripes as PNG and JPEG, written row band by row band."""
    ramp = np.linspace(0, 255, side, dtype=np.float32)
    image = Image.new("RGB", (side, side))
    band = 1000
    for top in range(0, side, band):
        rows = np.arange(top, min(top + band, side), dtype=np.float32)[:, None]
        red = np.broadcast_to(ramp[None, :], (len(rows), side))
        green = np.broadcast_to(rows * 255 / side, (len(rows), side))
        blue = 127 + 120 * np.sin(rows / 7 + ramp[None, :] / 11)
        tile = np.stack([red, green, blue], axis=-1).astype(np.uint8)
        image.paste(Image.fromarray(tile), (0, top))
    image.save(folder / "huge.png", compress_level=1)
    image.save(folder / "huge.jpg", quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=12000)
    parser.add_argument("--size", type=int, default=256, help="longest side asked of load_image (stylize's default)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/image_memory.json"))
    parser.add_argument("--write-to", type=Path, help=argparse.SUPPRESS)  # the child that writes the files
    args = parser.parse_args()
    if args.write_to:
        write_test_images(args.write_to, args.side)
        return

    baseline = peak_rss_gb("import warnings, stylist.image")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, __file__, "--side", str(args.side), "--write-to", tmp], check=True)
        for path in [Path(tmp) / "huge.png", Path(tmp) / "huge.jpg"]:
            for size in (args.size, None):
                code = (
                    "import warnings\nfrom stylist.image import DEFAULT_MAX_SIZE, load_image\n"
                    "warnings.simplefilter('ignore')\n"
                    f"image = load_image({str(path)!r}, size={size})\n"
                    f"assert max(image.shape[-2:]) == {size or 'DEFAULT_MAX_SIZE'}"
                )
                key = f"{path.suffix[1:]} size={size}"
                results[key] = peak_rss_gb(code)
                print(f"{key:>15}: peak RSS {results[key]:.2f} GB (baseline {baseline:.2f} GB)")
    from stylist.cli.records import machine_info, utc_now  # after the loads: torch in this process would raise the children's peaks

    record = {
        "what": f"peak RSS of load_image on a {args.side}x{args.side} file, fresh process per load",
        "peak_rss_gb": results,
        "baseline_rss_gb": baseline,
        "command": "python " + " ".join(sys.argv),
        "machine": machine_info(),
        "date": utc_now(),
    }
    with atomic_write(args.out) as tmp_out:
        tmp_out.write_text(json.dumps(record, indent=1))
    print(args.out)


if __name__ == "__main__":
    main()
