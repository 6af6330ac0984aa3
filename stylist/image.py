"""Image I/O and helpers. Public tensors are float RGB ``B x 3 x H x W`` in [0, 1].

* :func:`load_image` reads any common file (grayscale, RGBA, palette, 16-bit, CMYK,
  EXIF-rotated) or a built-in name, and raises :class:`~stylist.utils.StylistError`
  with one clear line for anything it cannot use.
* :func:`save_image` writes atomically (temporary file, then rename).
* :func:`resize_longest`, :func:`image_grid` and :func:`swirl_texture` are small helpers.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from stylist.utils import StylistError, atomic_write, is_positive_number

__all__ = [
    "style_size",
    "KNOWN_IMAGES",
    "SAMPLE_IMAGES",
    "data_dirs",
    "resolve_image",
    "check_size",
    "load_image",
    "load_mask",
    "save_image",
    "to_pil",
    "resize_longest",
    "longest_side_shape",
    "image_grid",
    "swirl_texture",
]

MIN_SIDE = 16
DEFAULT_MAX_SIZE = 4096

#: Reference images found by name in :func:`data_dirs`, with where to get them.
KNOWN_IMAGES: dict[str, tuple[str, str]] = {
    "starry_night": (
        "starry_night.jpg",
        "https://commons.wikimedia.org/wiki/File:Van_Gogh_-_Starry_Night_-_Google_Art_Project.jpg",
    ),
    "the_scream": (
        "the_scream.jpg",
        "https://commons.wikimedia.org/wiki/File:Edvard_Munch,_1893,_The_Scream,_oil,_tempera_and_pastel_on_cardboard,_91_x_73_cm,_National_Gallery_of_Norway.jpg",
    ),
    "shipwreck": (
        "shipwreck.jpg",
        "https://commons.wikimedia.org/wiki/File:Joseph_Mallord_William_Turner_-_The_Shipwreck_-_WGA23158.jpg",
    ),
    "tubingen": ("tubingen.jpg", "https://github.com/jcjohnson/neural-style/tree/master/examples/inputs"),
    "golden_gate": ("golden_gate.jpg", "https://github.com/jcjohnson/neural-style/tree/master/examples/inputs"),
    "hoovertowernight": (
        "hoovertowernight.jpg",
        "https://github.com/jcjohnson/neural-style/tree/master/examples/inputs",
    ),
}

#: Photos bundled with scikit-image (always available offline) plus the generated styles (a painting-like
#: texture and a woven fabric).
SAMPLE_IMAGES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "swirls", "tartan")


def data_dirs() -> list[Path]:
    """Folders searched for :data:`KNOWN_IMAGES`: ``$STYLIST_DATA``, then ``../shared/data/images``."""
    dirs = []
    if os.environ.get("STYLIST_DATA"):
        dirs.append(Path(os.environ["STYLIST_DATA"]))
    dirs.append(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "images")
    return dirs


def resolve_image(spec: str | os.PathLike) -> Path | str:
    """Turn a path, a known image name or a sample name into something :func:`load_image` reads.

    Returns an existing file path, or the sample name (``"astronaut"``, ``"swirls"``...).

    Raises:
        StylistError: the file does not exist; for a known painting, the message says
            where to download it.
    """
    text = str(spec)
    path = Path(text).expanduser()
    if path.is_file():
        return path
    if text in SAMPLE_IMAGES:
        return text
    if text in KNOWN_IMAGES:
        filename, source = KNOWN_IMAGES[text]
        for folder in data_dirs():
            if (folder / filename).is_file():
                return folder / filename
        raise StylistError(
            f"image '{text}' not found in {', '.join(map(str, data_dirs()))}; it is public domain: "
            f"download it from {source} and save it as $STYLIST_DATA/{filename}"
        )
    if path.exists():
        raise StylistError(f"not a file: {text}")
    raise StylistError(
        f"image not found: {text} (give a file path, a sample name {list(SAMPLE_IMAGES)} "
        f"or a known image {list(KNOWN_IMAGES)})"
    )


def _sample_array(name: str) -> np.ndarray:
    if name == "swirls":
        return swirl_texture(512)
    if name == "tartan":
        return tartan_texture(512)
    import skimage.data

    return getattr(skimage.data, name)()


def _pil_to_array(img: Image.Image) -> np.ndarray:
    """Any PIL mode to float32 ``H x W x 3`` in [0, 1]; alpha is composited on white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        peak = 65535.0 if arr.max() > 255 else 255.0
        if img.mode == "F" and arr.max() <= 1.0:
            peak = 1.0
        grey = np.clip(arr / peak, 0.0, 1.0)
        return np.repeat(grey[..., None], 3, axis=2)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def check_size(name: str, value: object) -> int | None:
    """``value`` as a side length in px (``None`` stays ``None``); anything else is a user error."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise StylistError(f"{name} must be a whole number of pixels, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise StylistError(f"{name} must be a whole number of pixels, got {value!r}") from None
    if not number.is_integer() or number < MIN_SIDE:
        raise StylistError(f"{name} must be a whole number of pixels, at least {MIN_SIDE}, got {value!r}")
    return int(number)


def _downscale_decoded(img: Image.Image, side: int) -> Image.Image:
    """``img`` (not yet decoded) with its longest side brought down to ``side`` px in 8 bits:
    a JPEG decodes at 1/2, 1/4 or 1/8 scale (``draft``), then a box reduce and an antialiased
    resample (``reducing_gap``) run before any float copy exists."""
    height, width = longest_side_shape(img.height, img.width, side)
    if img.format == "JPEG":
        img.draft(img.mode, (width, height))  # keeps at least the requested size
    if img.mode in ("P", "1"):  # a palette's indices cannot be averaged
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode not in ("RGB", "RGBA", "L", "LA", "CMYK"):  # 16-bit and float modes: left to torch
        return img
    return img.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)


def load_image(
    spec: str | os.PathLike,
    size: int | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> torch.Tensor:
    """Load an image as a ``1 x 3 x H x W`` float tensor in [0, 1].

    Args:
        spec: a file path, a name from :data:`KNOWN_IMAGES` or :data:`SAMPLE_IMAGES`.
        size: if given, resize so that the longest side is ``size`` pixels.
        max_size: images whose longest side exceeds this are downscaled to it with a warning,
            in 8 bits right after decoding (at a reduced size where the format allows: JPEG), so
            memory stays near one 8-bit copy of the file's pixels; with ``size``, only to twice
            ``size`` (at most ``max_size``) before the final resize.

    Raises:
        StylistError: missing or unreadable, ``size``/``max_size`` not a whole number of at least
            16 px, ``size`` above ``max_size``, or smaller than 16 px on a side (in the file or after
            resizing).

    Example:
        >>> load_image("astronaut", size=64).shape
        torch.Size([1, 3, 64, 64])
    """
    size, max_size = check_size("size", size), check_size("max_size", max_size)
    if size is not None and size > max_size:  # checked before anything is decoded or upsampled
        raise StylistError(f"size {size} is above max_size {max_size} (the largest side processed): lower size or raise max_size")
    source = resolve_image(spec)
    if isinstance(source, str):
        array = _sample_array(source).astype(np.float32)
        array = array / 255.0 if array.max() > 1.0 else array
        if array.ndim == 2:
            array = np.repeat(array[..., None], 3, axis=2)
        original = (array.shape[1], array.shape[0])
    else:
        try:
            with Image.open(source) as img:
                original = img.size
                if min(original) >= MIN_SIDE and max(original) > max_size:
                    img = _downscale_decoded(img, min(max_size, 2 * size) if size else max_size)
                img = ImageOps.exif_transpose(img)
                array = _pil_to_array(img)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as err:
            raise StylistError(f"cannot read image {source}: {err}") from None
    if min(original) < MIN_SIDE:
        raise StylistError(
            f"image {spec} is {original[0]}x{original[1]} px; at least {MIN_SIDE} px per side is needed"
        )
    image = torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1)[None].contiguous()
    del array
    if max(original) > max_size:
        warnings.warn(
            f"image {spec} is {original[0]}x{original[1]} px; downscaling to {max_size} px on its longest side"
        )
        if max(image.shape[-2:]) > max_size:  # not already reduced below it while decoding
            image = resize_longest(image, max_size)
    if size is not None:
        image = resize_longest(image, size)
    height, width = image.shape[-2:]
    if min(height, width) < MIN_SIDE:
        raise StylistError(
            f"image {spec} is {original[0]}x{original[1]} px; resized to {width}x{height} px its short side is "
            f"under {MIN_SIDE} px: give a larger size (at least {math.ceil(MIN_SIDE * max(original) / min(original))})"
        )
    return image


def load_mask(
    path: str | os.PathLike, size: tuple[int, int] | None = None, labels: bool = False
) -> torch.Tensor:
    """Load a mask image as ``1 x 1 x H x W`` in [0, 1] (any mode; colour is averaged).

    Args:
        path: mask file (white = inside).
        size: ``(H, W)`` the mask must match; a mask with another aspect ratio is an error,
            one with the same aspect ratio is resized.
        labels: the file may be a label map (one class index per pixel): resize it
            nearest-neighbour, so that every pixel keeps one of the file's values (bilinear
            resizing would invent classes along borders).
    """
    mask = load_image(path, max_size=1 << 30).mean(dim=1, keepdim=True)
    if size is not None and tuple(mask.shape[-2:]) != tuple(size):
        height, width = mask.shape[-2:]
        if abs(height / width - size[0] / size[1]) > 0.02:
            raise StylistError(
                f"mask {path} is {width}x{height} px but the image is {size[1]}x{size[0]} px "
                "(aspect ratios differ)"
            )
        if labels:
            mask = F.interpolate(mask, size=size, mode="nearest-exact")
        else:
            mask = F.interpolate(mask, size=size, mode="bilinear", align_corners=False).clamp(0, 1)
    return mask


def to_pil(image: torch.Tensor) -> Image.Image:
    """``1 x 3 x H x W`` (or ``3 x H x W``) tensor in [0, 1] to an 8-bit RGB PIL image."""
    if image.dim() == 4:
        if image.shape[0] != 1:
            raise ValueError(f"expected one image, got a batch of {image.shape[0]}")
        image = image[0]
    array = (image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255.0).round()
    return Image.fromarray(array.astype(np.uint8))


def save_image(image: torch.Tensor | Image.Image, path: str | os.PathLike) -> Path:
    """Write an image atomically; the format follows the suffix (``.png``, ``.jpg``, ...)."""
    path = Path(path)
    pil = image if isinstance(image, Image.Image) else to_pil(image)
    if path.suffix.lower() not in Image.registered_extensions():
        raise StylistError(f"unknown image format '{path.suffix}' for output {path}; use .png or .jpg")
    with atomic_write(path) as tmp:
        pil.save(tmp, format=Image.registered_extensions()[path.suffix.lower()])
    return path


def longest_side_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """``(H, W)`` of a ``height x width`` image resized so its longest side is ``size``."""
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def style_size(output_size: int, style_scale: float) -> int:
    """Longest side of the style image for an output whose longest side is ``output_size``:
    ``round(output_size * style_scale)`` px (neural-style's ``-style_scale``: larger = bigger
    strokes), at least 16.

    Example:
        >>> style_size(512, 0.5)
        256
    """
    if not is_positive_number(style_scale):
        raise StylistError(f"style_scale must be a number > 0, got {style_scale!r}")
    return max(16, round(output_size * style_scale))


def resize_longest(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize ``B x C x H x W`` so its longest side is ``size`` (antialiased), keeping the aspect ratio."""
    height, width = image.shape[-2:]
    scale = size / max(height, width)
    new_size = longest_side_shape(height, width, size)
    if new_size == (height, width):
        return image
    return F.interpolate(image, size=new_size, mode="bilinear", antialias=scale < 1, align_corners=False).clamp(
        0, 1
    )


def image_grid(
    rows: Sequence[Sequence[torch.Tensor | Image.Image]],
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    cell: int = 256,
    pad: int = 4,
) -> Image.Image:
    """Arrange images in a labelled grid (each fitted into a ``cell`` square)."""
    font = ImageFont.load_default()
    label_w = 0 if not row_labels else max(8 * len(line) for lab in row_labels for line in lab.split("\n")) + 2 * pad
    label_h = 0 if not col_labels else 16 + pad
    n_cols = max(len(row) for row in rows)
    sheet = Image.new(
        "RGB",
        (label_w + n_cols * (cell + pad) + pad, label_h + len(rows) * (cell + pad) + pad),
        "white",
    )
    draw = ImageDraw.Draw(sheet)
    for c, text in enumerate(col_labels or []):
        draw.text((label_w + pad + c * (cell + pad), pad // 2), text, fill="black", font=font)
    for r, row in enumerate(rows):
        top = label_h + pad + r * (cell + pad)
        if row_labels:
            draw.text((pad, top + cell // 2), row_labels[r], fill="black", font=font)
        for c, item in enumerate(row):
            pil = item if isinstance(item, Image.Image) else to_pil(item)
            pil = pil.copy()
            pil.thumbnail((cell, cell))
            left = label_w + pad + c * (cell + pad)
            sheet.paste(pil, (left + (cell - pil.width) // 2, top + (cell - pil.height) // 2))
    return sheet


def swirl_texture(size: int = 512, seed: int = 0) -> np.ndarray:
    """A generated painting-like style image: palette noise smeared along swirling flow lines.

    Built-in so that the demo has a style image on an offline machine. Deterministic for a seed.

    Returns:
        ``size x size x 3`` float32 array in [0, 1].
    """
    generator = torch.Generator().manual_seed(seed)
    palette = torch.tensor(
        [[0.05, 0.10, 0.35], [0.10, 0.25, 0.60], [0.25, 0.45, 0.75], [0.95, 0.85, 0.30], [0.90, 0.90, 0.75]]
    )
    blobs = torch.randint(0, len(palette), (size // 12, size // 12), generator=generator)
    image = palette[blobs].permute(2, 0, 1)[None]
    image = F.interpolate(image, size=(size, size), mode="nearest")
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    flow_x, flow_y = 0.4 + 0.3 * torch.sin(2 * math.pi * ys), 0.2 * torch.cos(2 * math.pi * xs)
    for cx, cy in torch.rand(5, 2, generator=generator) * 1.6 - 0.8:
        dx, dy = xs - cx, ys - cy
        strength = 2.0 * torch.exp(-(dx**2 + dy**2) / 0.08)
        flow_x, flow_y = flow_x - dy * strength / 0.3, flow_y + dx * strength / 0.3
    norm = torch.sqrt(flow_x**2 + flow_y**2).clamp_min(1e-6)
    step = 6.0 / size  # 3 px in grid_sample's [-1, 1] coordinates
    grid = torch.stack([xs - step * flow_x / norm, ys - step * flow_y / norm], dim=-1)[None]
    accumulated = image.clone()
    for _ in range(24):
        image = F.grid_sample(image, grid, mode="bilinear", padding_mode="reflection", align_corners=True)
        accumulated = accumulated + image
    accumulated = accumulated / 25
    texture = (0.5 + 1.6 * (accumulated - accumulated.mean())).clamp(0, 1)
    return texture[0].permute(1, 2, 0).numpy().astype(np.float32)


def tartan_texture(size: int = 512, thread: int = 2) -> np.ndarray:
    """A generated fabric: a tartan sett of coloured stripes, woven warp over weft in a 2/2 twill.

    Built-in so that fabric restyling (``python -m stylist.fashion method=wct style=tartan``) has a
    pattern offline that no shipped feed-forward model was trained on. Each thread is ``thread`` px
    wide and shaded across its width; a thread shows where ``(x + y) // thread mod 4 < 2`` (warp) or
    not (weft), which draws the twill's diagonal ribs.

    Returns:
        ``size x size x 3`` float32 array in [0, 1].
    """
    palette = torch.tensor([[0.62, 0.07, 0.10], [0.06, 0.14, 0.36], [0.06, 0.32, 0.14], [0.93, 0.80, 0.25], [0.04, 0.04, 0.05]])
    sett = [(0, 28), (1, 8), (0, 4), (4, 12), (2, 24), (3, 3), (2, 24), (4, 12), (0, 4), (1, 8)]  # (colour, threads)
    colours = torch.cat([torch.full((count,), colour) for colour, count in sett])
    index = torch.arange(size)
    stripe = palette[colours[(index // thread) % len(colours)]]  # size x 3: colour of thread row / column
    shade = 0.8 + 0.2 * torch.sin(math.pi * ((index % thread) + 0.5) / thread)  # round threads
    warp = (stripe * shade[:, None])[None, :, :].expand(size, size, 3)  # vertical threads, colour by x
    weft = (stripe * shade[:, None])[:, None, :].expand(size, size, 3)  # horizontal threads, colour by y
    twill = ((index[:, None] + index[None, :]) // thread) % 4 < 2
    return torch.where(twill[..., None], warp, weft).clamp(0, 1).numpy().astype(np.float32)
