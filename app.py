"""The colorgan web page: layout and event wiring only (the logic lives in colorgan/webapp.py).

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT honoured)

Also the entry point of the Hugging Face Space (README front matter: sdk gradio, app_file app.py).
Checkpoints come from colorgan.hub: checkpoints/, COLORGAN_CHECKPOINTS, COLORGAN_HUB_REPO.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import gradio as gr
import torch

from colorgan import webapp
from colorgan.checkpoints import CheckpointError
from colorgan.images import ImageLoadError

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
CONCURRENCY = webapp.env_int("COLORGAN_CONCURRENCY", 2)   # photo jobs at once, all tabs together
QUEUE_SIZE = webapp.env_int("COLORGAN_QUEUE_SIZE", 32)    # visitors waiting beyond that are turned away
log = logging.getLogger("colorgan.app")

INTRO = """# colorgan: colorize black-and-white photos
Drop a photo (or paste one from the clipboard). The model sees the photo small and predicts only its
colour; every detail comes from your photo itself, so the result keeps its full resolution.
Upload a **colour** photo to see how close the model gets to the real colours (PSNR, SSIM, CIEDE2000)."""


SKETCH_INTRO = """A line drawing in, a colour picture out (seed 001). A drawing has no shading to keep, so the
model paints every channel itself. Dark lines on a light background work best; a transparent background
counts as white. Upload a drawing or draw one on the sketchpad (the upload wins when there are both)."""

# Gradio's sketchpad mounted in a tab that was hidden at load starts with no tool chosen ("select the
# draw tool to start"); choosing the Sketch tab picks the brush, so a visitor can draw at once.
PICK_BRUSH_JS = """() => {
  let tries = 0;
  const pick = () => {
    const pad = document.querySelector('#sketch-pad');
    const brush = pad && pad.querySelector('button[aria-label=Brush]');
    if (brush && pad.innerText.includes('select the draw tool')) return brush.click();
    if (++tries < 30) setTimeout(pick, 150);   // the tab's content mounts a moment after the click
  };
  pick();
}"""


def _photo_input_class() -> type[gr.Image]:
    """gr.Image (upload, clipboard, drag and drop) that hands the uploaded file over untouched.

    gr.Image would open the file with Pillow before our code runs; colorgan's own loader
    (EXIF orientation, 16-bit, CMYK, size limits, clear errors) must see the original bytes.
    Gradio writes a .pyi stub beside any module that subclasses a component; that is switched
    off while the class is made, so importing app.py never writes into the repository.
    """
    import gradio.component_meta as component_meta

    write_stub = component_meta.create_or_modify_pyi
    component_meta.create_or_modify_pyi = lambda *args, **kwargs: None
    try:
        class PhotoInput(gr.Image):
            is_template = True  # rendered by the frontend's Image component

            def preprocess(self, payload):
                if payload is None:
                    return None
                if payload.url and payload.url.startswith("data:"):
                    from gradio.image_utils import decode_base64_to_file

                    return decode_base64_to_file(payload.url, self.GRADIO_CACHE, "png")
                return str(payload.path) if payload.path else None
    finally:
        component_meta.create_or_modify_pyi = write_stub
    return PhotoInput


PhotoInput = _photo_input_class()


def _friendly_errors(fn):
    """Turn errors into gr.Error messages that say what to do; log anything unexpected."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (webapp.UserError, ImageLoadError, CheckpointError) as err:
            raise gr.Error(str(err), print_exception=False) from None
        except MemoryError:
            raise gr.Error("The server ran out of memory. Try a smaller photo or a smaller render size.") from None
        except Exception as err:  # noqa: BLE001 - never show a traceback to visitors
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(f"Something went wrong on the server ({type(err).__name__}). Try again, or try "
                           "another photo; if it keeps happening, please report it.") from None

    return wrapper


def build_demo(app: webapp.WebApp | None = None) -> gr.Blocks:
    """The page as a gr.Blocks (not launched); ``app`` defaults to the checkpoints hub.py lists."""
    app = app or webapp.WebApp.from_hub()
    default_arch = app.default_arch()
    model_choices = app.model_choices()
    examples = [str(p) for p in webapp.iter_example_photos(EXAMPLES)]
    sources = (EXAMPLES / "SOURCES.md").read_text() if (EXAMPLES / "SOURCES.md").is_file() else ""

    @_friendly_errors
    def on_colorize(path, arch, epoch, size, strength, hints="[]", temperature=0):
        r = app.colorize_photo(path, arch, epoch, size, strength, hints, temperature)
        return (str(r["gray"]), str(r["colorized"]), str(r["original"]), (str(r["gray"]), str(r["colorized"])),
                r["summary"], str(r["download"]), str(r["uncertainty"]) if r["uncertainty"] else None)

    @_friendly_errors
    def on_point(path, arch, epoch, size, hints, evt: gr.SelectData):
        """A click on the colorized photo: remember the point and offer the model's likely colours there."""
        x, y = evt.index[0], evt.index[1]
        r = app.suggest_colours(path, x, y, arch, epoch, size, hints)
        choices = [(f"{colour} ({share:.0%})", colour) for colour, share in r["colours"]]
        first = r["colours"][0][0] if r["colours"] else gr.update()
        text = f"**Point ({x:.0f}, {y:.0f})** chosen. {r['note']}"
        return [x, y], text, gr.Radio(choices=choices, value=choices[0][1] if choices else None), first

    @_friendly_errors
    def on_api_suggest(path, x, y, arch, epoch, size, hints):
        """API: the model's likely colours at photo pixel (x, y) as [[hex, probability], ...], most likely first."""
        return [[colour, share] for colour, share in app.suggest_colours(path, x, y, arch, epoch, size, hints)["colours"]]

    @_friendly_errors
    def on_add_hint(hints, point, colour):
        if not point:
            raise gr.Error("Click on the colorized photo first, where you know the colour.", print_exception=False)
        listed = webapp.hints_list(hints) + [{"x": round(point[0]), "y": round(point[1]), "color": colour}]
        return webapp.hints_text(listed), gr.Dropdown(choices=webapp.hint_choices(listed), value=None)

    @_friendly_errors
    def on_remove_hint(hints, which):
        listed = webapp.hints_list(hints)
        if which is not None and 0 <= int(which) < len(listed):
            listed.pop(int(which))
        return webapp.hints_text(listed), gr.Dropdown(choices=webapp.hint_choices(listed), value=None)

    @_friendly_errors
    def on_model(arch):
        return gr.Dropdown(choices=app.epoch_choices(arch), value=app.default_epoch(arch))

    @_friendly_errors
    def on_compare(path, size, strength):
        r = app.compare_all(path, size, strength)
        return [(str(i["image"]), i["caption"]) for i in r["items"]], r["summary"]

    @_friendly_errors
    def on_progress(path, arch):
        r = app.progress_for(path, arch)
        curves = str(r["curves"]) if r["curves"] else None
        return [(str(i["image"]), i["caption"]) for i in r["items"]], curves, r["summary"]

    @_friendly_errors
    def on_curves(arch):
        curves = app.loss_curves(arch)
        return str(curves) if curves else None

    @_friendly_errors
    def on_sketch(path, drawing, epoch):
        r = app.colorize_sketch(path, drawing, epoch)
        return str(r["drawing"]), str(r["colorized"]), r["summary"], str(r["download"])

    @_friendly_errors
    def on_batch(files, arch, epoch, size, strength, progress=gr.Progress()):
        paths = [getattr(f, "name", f) for f in (files or [])]
        r = app.batch(paths, arch, epoch, size, strength,
                      progress=lambda i, n, name: progress((i, n), desc=f"colorizing {name}", unit="photos"))
        return str(r["zip"]), r["summary"]

    def photo_box(label: str, elem_id: str) -> gr.Image:
        return PhotoInput(label=label, type="filepath", image_mode=None, sources=["upload", "clipboard"],
                          height=300, buttons=["fullscreen"], elem_id=elem_id)

    def example_list(target):
        if examples:
            gr.Examples(examples=[[e] for e in examples], inputs=[target], cache_examples=False,
                        label="Example photos: two genuine black-and-white ones, then colour ones (ground truth)")

    with gr.Blocks(title="colorgan: colorize black-and-white photos", analytics_enabled=False,
                   delete_cache=(1800, 3600)) as demo:
        gr.Markdown(INTRO)
        if not app.entries:
            gr.Markdown("**No checkpoints are installed on this server.** Put trained checkpoints in "
                        "`checkpoints/` (or set `COLORGAN_CHECKPOINTS` / `COLORGAN_HUB_REPO`) and restart.")
        with gr.Tabs():
            with gr.Tab("Colorize", id="colorize"):
                with gr.Row():
                    with gr.Column(scale=2):
                        photo = photo_box("Your photo (drop, paste or click to upload)", "photo-input")
                    with gr.Column(scale=1):
                        model = gr.Dropdown(model_choices, value=default_arch, label="Model",
                                            info="Best first; the first is the recommended one.")
                        epoch = gr.Dropdown(app.epoch_choices(default_arch), value=app.default_epoch(default_arch),
                                            label="Epoch", allow_custom_value=True,
                                            info="Training epoch of the model; the latest is usually best.")
                        size = gr.Slider(0, 512, value=0, step=32, label="Render size (px)",
                                         info="0 = the size the model was trained at (usually best).")
                        strength = gr.Slider(0, 2, value=1, step=0.05, label="Colour strength",
                                             info="1 = as predicted; 0 = gray; 2 = twice as vivid.")
                        vivid = gr.Slider(0, webapp.MAX_TEMPERATURE, value=0, step=0.01, label="Vividness (temperature)",
                                          elem_id="vividness",
                                          info="Models that predict a colour distribution (the recommended one): lower "
                                               "is more vivid, higher more cautious; 0 = the model's own.")
                        run = gr.Button("Colorize", variant="primary", elem_id="colorize-button")
                with gr.Row(equal_height=True):
                    gray_out = gr.Image(label="Grayscale (what the model sees)", type="filepath",
                                        interactive=False, height=340, elem_id="gray-panel")
                    color_out = gr.Image(label="Colorized", type="filepath", interactive=False, height=340,
                                         elem_id="colorized-panel")
                    original_out = gr.Image(label="Original (your upload)", type="filepath", interactive=False,
                                            height=340, elem_id="original-panel")
                metrics_md = gr.Markdown(elem_id="metrics")
                with gr.Accordion("Colour hints: click the colorized photo where you know the colour", open=True,
                                  elem_id="hints-panel"):
                    gr.Markdown("Click a point on the **Colorized** panel, pick one of the colours the model finds "
                                "likely there (or any colour), and add it: the photo is colorized again following "
                                "your hints. Hints only work with models that take them (the recommended one). "
                                "The uncertainty view shows where the model is unsure: a hint helps most there.")
                    point = gr.State(None)
                    with gr.Row():
                        with gr.Column(scale=2):
                            point_md = gr.Markdown("No point chosen yet.", elem_id="hint-point")
                            suggested = gr.Radio([], label="Suggested colours (most likely first)",
                                                 elem_id="hint-suggestions")
                            with gr.Row():
                                picker = gr.ColorPicker("#c08060", label="Hint colour", elem_id="hint-colour")
                                add_hint = gr.Button("Add hint at this point", elem_id="add-hint")
                            hints_box = gr.Textbox("[]", label="Hints (JSON: x, y in your photo's pixels, an sRGB colour)",
                                                   lines=2, elem_id="hints-json")
                            with gr.Row():
                                remove_which = gr.Dropdown([], label="Hint to remove", elem_id="hint-remove-choice")
                                remove_hint = gr.Button("Remove it", elem_id="remove-hint")
                                clear_hints = gr.Button("Remove all hints", elem_id="clear-hints")
                        unsure_out = gr.Image(label="Where the model is unsure (bright)", type="filepath",
                                              interactive=False, height=300, scale=2, elem_id="uncertainty-panel")
                with gr.Row():
                    slider = gr.ImageSlider(label="Before / after (drag the handle)", type="filepath",
                                            interactive=False, max_height=480, scale=3)
                    download = gr.File(label="Download the colorized photo (PNG, full resolution)",
                                       interactive=False, scale=1)
                example_list(photo)
                with gr.Accordion("Where the example photos come from (examples/SOURCES.md)", open=False):
                    gr.Markdown(sources or "See examples/SOURCES.md in the repository.")

            with gr.Tab("Compare architectures", id="compare"):
                gr.Markdown("The same photo through every architecture, each at its latest epoch "
                            f"(worked at up to {webapp.VIEW_MAX_SIDE} px). Uses the render size and colour "
                            "strength set on the Colorize tab.")
                with gr.Row():
                    with gr.Column(scale=1):
                        compare_photo = photo_box("Photo", "compare-photo")
                        compare_run = gr.Button("Compare all models", variant="primary")
                    with gr.Column(scale=2):
                        compare_gallery = gr.Gallery(label="One result per architecture", columns=3,
                                                     height="auto", object_fit="contain")
                compare_md = gr.Markdown()
                example_list(compare_photo)

            with gr.Tab("Training progress", id="progress"):
                gr.Markdown("One architecture on one photo at every saved epoch, and its loss curves "
                            "from train_log.csv.")
                with gr.Row():
                    with gr.Column(scale=1):
                        progress_photo = photo_box("Photo", "progress-photo")
                        progress_arch = gr.Dropdown(model_choices, value=default_arch, label="Model")
                        progress_run = gr.Button("Show every epoch", variant="primary")
                    with gr.Column(scale=2):
                        progress_gallery = gr.Gallery(label="Output per epoch", columns=4, height="auto",
                                                      object_fit="contain")
                progress_md = gr.Markdown()
                curves = gr.Image(label="Loss curves", type="filepath", interactive=False)
                example_list(progress_photo)

            with gr.Tab("Sketch", id="sketch") as sketch_tab:
                gr.Markdown(SKETCH_INTRO)
                if not app.sketch_entries:
                    gr.Markdown("**No sketch model is installed on this server yet.** Train one with "
                                "`python -m colorgan train --config train/configs/sketch.yaml`, put its checkpoints "
                                "in `checkpoints/sketch/` (or set `COLORGAN_CHECKPOINTS` / `COLORGAN_HUB_REPO`) "
                                "and restart.", elem_id="sketch-missing")
                sketch_epochs = app.sketch_epoch_choices()
                with gr.Row():
                    with gr.Column(scale=2):
                        sketch_upload = photo_box("Your drawing (drop, paste or click to upload)", "sketch-input")
                        sketch_pad = gr.Sketchpad(label="... or draw one here", type="filepath", format="png",
                                                  image_mode="RGBA", canvas_size=(512, 512), height=600, elem_id="sketch-pad",
                                                  brush=gr.Brush(default_size=4, colors=["#000000", "#555555"],
                                                                 default_color="#000000", color_mode="fixed"))
                    with gr.Column(scale=1):
                        sketch_epoch = gr.Dropdown(sketch_epochs, value=sketch_epochs[0][1] if sketch_epochs else None,
                                                   label="Epoch", allow_custom_value=True,
                                                   info="Training epoch of the sketch model; the latest is usually best.")
                        sketch_run = gr.Button("Colour the drawing", variant="primary", elem_id="sketch-button",
                                               interactive=bool(sketch_epochs))
                with gr.Row(equal_height=True):
                    sketch_view = gr.Image(label="The drawing as the model sees it", type="filepath",
                                           interactive=False, height=340, elem_id="sketch-view")
                    sketch_out = gr.Image(label="Coloured", type="filepath", interactive=False, height=340,
                                          elem_id="sketch-colored")
                sketch_md = gr.Markdown(elem_id="sketch-summary")
                sketch_download = gr.File(label="Download the colour picture (PNG, full resolution)", interactive=False)

            with gr.Tab("Batch", id="batch"):
                gr.Markdown(f"Several photos, or a zip of photos (up to {webapp.BATCH_MAX_FILES} per batch, "
                            f"{webapp.MAX_UPLOAD_MB} MB per file): you get back one zip with `<name>_color.png` "
                            "for each, at full resolution. Uses the model, epoch, render size and colour "
                            "strength set on the Colorize tab.")
                with gr.Row():
                    # No file_types: Gradio would refuse the whole batch for one stray file;
                    # webapp skips it with a reason and carries on, like the CLI.
                    batch_files = gr.File(label="Photos (JPEG, PNG, WebP, TIFF, BMP, GIF) or zips of photos",
                                          file_count="multiple")
                    batch_zip = gr.File(label="Colorized photos (zip)", interactive=False)
                batch_run = gr.Button("Colorize all", variant="primary")
                batch_md = gr.Markdown()

        # The jobs that run models share one concurrency limit, so a burst of visitors queues
        # (at most QUEUE_SIZE) instead of holding many full-resolution photos in memory at once.
        heavy = {"concurrency_id": "photos", "concurrency_limit": CONCURRENCY}
        colorize_inputs = [photo, model, epoch, size, strength, hints_box, vivid]
        colorize_outputs = [gray_out, color_out, original_out, slider, metrics_md, download, unsure_out]
        run.click(on_colorize, colorize_inputs, colorize_outputs, api_name="colorize", **heavy)
        vivid.release(on_colorize, colorize_inputs, colorize_outputs, api_visibility="private", **heavy)
        color_out.select(on_point, [photo, model, epoch, size, hints_box], [point, point_md, suggested, picker],
                         api_visibility="private", **heavy)
        suggested.select(lambda colour: colour, suggested, picker, api_visibility="private", queue=False)
        # For gradio_client users: /suggest (photo, x, y, model, epoch, size, hints) -> [[hex, probability], ...].
        # Hidden components, so that the photo goes through the upload checks like every other endpoint's.
        api_x, api_y = gr.Number(visible=False), gr.Number(visible=False)
        api_colours = gr.JSON(visible=False)
        api_suggest = gr.Button(visible=False)
        api_suggest.click(on_api_suggest, [photo, api_x, api_y, model, epoch, size, hints_box], api_colours,
                          api_name="suggest", **heavy)
        for button, handler, inputs in ((add_hint, on_add_hint, [hints_box, point, picker]),
                                        (remove_hint, on_remove_hint, [hints_box, remove_which])):
            button.click(handler, inputs, [hints_box, remove_which], api_visibility="private", queue=False).then(
                on_colorize, colorize_inputs, colorize_outputs, api_visibility="private", **heavy)
        clear_hints.click(lambda: ("[]", gr.Dropdown(choices=[], value=None)), None, [hints_box, remove_which],
                          api_visibility="private", queue=False).then(
            on_colorize, colorize_inputs, colorize_outputs, api_visibility="private", **heavy)
        photo.upload(lambda: ("[]", gr.Dropdown(choices=[], value=None), None, "No point chosen yet."), None,
                     [hints_box, remove_which, point, point_md], api_visibility="private", queue=False)
        model.change(on_model, model, epoch, api_name="epochs")
        compare_run.click(on_compare, [compare_photo, size, strength], [compare_gallery, compare_md],
                          api_name="compare", **heavy)
        progress_run.click(on_progress, [progress_photo, progress_arch], [progress_gallery, curves, progress_md],
                           api_name="progress", **heavy)
        progress_arch.change(on_curves, progress_arch, curves, api_name="curves")
        batch_run.click(on_batch, [batch_files, model, epoch, size, strength], [batch_zip, batch_md],
                        api_name="batch", **heavy)
        sketch_tab.select(None, None, None, js=PICK_BRUSH_JS)
        sketch_run.click(on_sketch, [sketch_upload, sketch_pad, sketch_epoch],
                         [sketch_view, sketch_out, sketch_md, sketch_download], api_name="sketch", **heavy)
        # A photo put on the Colorize tab (upload, paste or example) is ready on the other tabs too.
        photo.change(lambda p: (p, p), photo, [compare_photo, progress_photo], api_visibility="private",
                     queue=False, show_progress="hidden")
        if default_arch:
            demo.load(on_curves, progress_arch, curves, api_visibility="private", show_progress="hidden")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


def launch(demo: gr.Blocks | None = None, **overrides):
    """Launch the page with the project's limits (upload size, address from the environment)."""
    # Each of the CONCURRENCY jobs gets its share of the cores: oversubscribed OpenMP threads
    # spin against each other and made a 13 ms gamut clip take 2 s in a measurement here.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // CONCURRENCY))
    demo = demo or build_demo()
    options = {
        "server_name": os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        "server_port": int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        "max_file_size": webapp.MAX_UPLOAD_MB * 1024 * 1024,
        "show_error": False,
        "footer_links": ["api"],
    }
    options.update(overrides)
    return demo.launch(**options)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    launch()
