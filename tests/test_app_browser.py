"""The demo page in a real headless Chromium (Debian's ``chromium``, driven by Playwright): upload a
street photo, tick ``top``, restyle with Johnson, and check the result image that the page shows:
changed inside the top, identical to the photo everywhere beyond the feather; and the page asked
for nothing outside its own server (offline)."""

import io
import os
import shutil
import socket

import numpy as np
import pytest
from PIL import Image

from conftest import MODANET_CCP, needs_shared

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHOTO = MODANET_CCP / "images" / "0000801.jpg"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no chromium browser (apt-get install chromium)"),
    needs_shared("data", "modanet_ccp", "images", "0000801.jpg"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    pytest.importorskip("gradio", reason="the app extra (gradio) is not installed")
    from stylist import app

    port = free_port()
    demo = app.serve(port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_upload_tick_top_restyle_in_chromium(served, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from stylist import app
    from stylist.fashion import feather_mask, part_index
    from stylist.fashion.stream import frame_array

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            requested = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(served, wait_until="load", timeout=120_000)  # Gradio keeps a connection open: never "networkidle"
            page.locator("#find").wait_for(state="visible", timeout=120_000)
            page.locator("#photo-upload input[type=file]").set_input_files(str(PHOTO))
            # The uploaded file's row, labelled with its name. Not get_by_text(name): the row shows the
            # name as "<stem> <ext>" spans, and only the transient upload progress has it in one piece,
            # so that wait raced the upload (CI, stop 30).
            page.locator(f'#photo-upload [aria-label="{PHOTO.name}"]').wait_for(timeout=120_000)
            page.locator("#find").click()
            top = page.locator("#parts label", has_text="top")
            top.wait_for(timeout=180_000)
            top.locator("input").check()
            page.locator("#restyle").click()
            page.locator("#message", has_text="Timings").wait_for(timeout=180_000)
            source = page.locator("#result img").get_attribute("src")
            response = page.request.get(source if source.startswith("http") else served.rstrip("/") + source)
            shown = np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB"))
        finally:
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)  # also what a failure looked like
            browser.close()

    outside_host = [url for url in requested if not url.startswith((served, "data:", "blob:"))]
    assert not outside_host, f"the page is not offline: {outside_host[:5]}"
    _, _, state, _ = app.find_parts(str(PHOTO), None)  # the same photo and segmentation as the page's
    photo = frame_array(state["photo"])
    assert shown.shape == photo.shape
    top = state["class_map"] == part_index("top")
    outside = (feather_mask(top.float()[None, None], 3)[0, 0] == 0).numpy()
    assert np.array_equal(shown[outside], photo[outside])
    assert np.abs(shown.astype(int) - photo)[top.numpy()].mean() > 10
    assert (tmp_path / "app.png").stat().st_size > 10_000
