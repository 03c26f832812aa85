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
Drop, paste or pick a photo and press **Colorize**: the colours come from the model, every detail from
your photo, at its full resolution. A **colour** photo shows how close the colours come."""

PROGRESS_NOTE = """One architecture on one photo at every saved epoch, and its loss curves from train_log.csv.
Models trained with a GAN start with a few **warm-up epochs of L1 alone**: there the adversarial and
discriminator losses are **zero**, because the discriminator is not trained yet. Models without a
discriminator (regression, or the colour-distribution model, whose curve shows its classification loss)
have none at all."""


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


def visitor_message(err: BaseException, where: str = "") -> str:
    """What a visitor reads for an error: its own words when they can fix it, else a short apology."""
    if isinstance(err, (webapp.UserError, ImageLoadError, CheckpointError)):
        return str(err)
    if isinstance(err, MemoryError):
        return "The server ran out of memory. Try a smaller photo or a smaller render size."
    log.error("unexpected error in %s", where, exc_info=err)
    return (f"Something went wrong on the server ({type(err).__name__}). Try again, or try another photo; "
            "if it keeps happening, please report it.")


def _friendly_errors(fn):
    """API endpoints: errors become one gr.Error that says what to do; anything unexpected is logged."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as err:  # noqa: BLE001 - never show a traceback to visitors
            raise gr.Error(visitor_message(err, fn.__name__), print_exception=False) from None

    return wrapper


def _page_errors(fallback):
    """Buttons on the page: on an error, clear the outputs and show one message (no red badge on every
    panel); ``fallback(message)`` gives the outputs to show."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001
                message = visitor_message(err, fn.__name__)
                gr.Warning(message)
                return fallback(message)

        return wrapper

    return decorate


def problem(message: str) -> str:
    return f"**Could not do that:** {message}"


def settings_note(arch, epoch, size, strength, uses_model: bool = True) -> str:
    """The Colorize tab's settings another tab uses, said on that tab."""
    parts = [f"model **{webapp.friendly_name(arch)}**, epoch {epoch}"] if uses_model and arch else []
    own = "the model's own"
    parts += [f"render size {int(size or 0) or own}", f"colour strength {float(strength):g}"]
    return "Uses the Colorize tab's settings: " + ", ".join(parts) + "."


def build_demo(app: webapp.WebApp | None = None) -> gr.Blocks:
    """The page as a gr.Blocks (not launched); ``app`` defaults to the checkpoints hub.py lists."""
    app = app or webapp.WebApp.from_hub()
    default_arch = app.default_arch()
    default_epoch = app.default_epoch(default_arch)
    model_choices = app.model_choices()
    examples = [str(p) for p in webapp.iter_example_photos(EXAMPLES)]
    sources = (EXAMPLES / "SOURCES.md").read_text() if (EXAMPLES / "SOURCES.md").is_file() else ""
    warm_up(app, default_arch)

    # ---------------------------------------------------------------- Colorize
    def colorize_outputs(r) -> tuple:
        facts = {k: r[k] for k in ("arch", "epoch", "size", "seconds", "width", "height", "hints", "ignored_hints",
                                    "transparent")}
        return (str(r["colorized"]), str(r["original"]), str(r["gray"]), (str(r["gray"]), str(r["colorized"])),
                r["summary"], str(r["download"]), str(r["uncertainty"]) if r["uncertainty"] else None, facts)

    @_friendly_errors
    def on_colorize(path, arch, epoch, size, strength, hints="[]", temperature=0):
        """API: gray, colorized, original, slider, summary, PNG, uncertainty (the metrics inside the summary)."""
        r = app.colorize_photo(path, arch, epoch, size, strength, hints, temperature)
        colorized, original, gray, slider, summary, png, unsure, _ = colorize_outputs(r)
        return gray, colorized, original, slider, summary, png, unsure

    @_page_errors(lambda message: (None, None, None, None, problem(message), gr.update(value=None), None, None))
    def on_colorize_page(path, arch, epoch, size, strength, hints, temperature):
        """The button: the result first; the metrics of a colour upload follow (on_metrics)."""
        return colorize_outputs(app.colorize_photo(path, arch, epoch, size, strength, hints, temperature,
                                                   with_metrics=False))

    @_page_errors(lambda message: problem(message))
    def on_metrics(path, png, facts):
        if not facts or not png:
            return gr.update()
        return app.metrics_summary(path, png, facts)

    @_page_errors(lambda message: ("[]", gr.Dropdown(choices=[], value=None), None, problem(message)))
    def on_upload(path):
        """A new photo: its hints are gone; a file that cannot be used is said at once."""
        app.load_photo(path)
        return "[]", gr.Dropdown(choices=[], value=None), None, "Ready: press **Colorize**."

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

    # ---------------------------------------------------------------- other tabs
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
    def on_video(path, arch, epoch, size, stabilise, progress=gr.Progress()):
        r = app.colorize_video(path, arch, epoch, size, stabilise,
                               progress=lambda done, total: progress((done, total), desc="colorizing", unit="frames"))
        return str(r["video"]), str(r["video"]), r["summary"]

    @_friendly_errors
    def on_batch(files, arch, epoch, size, strength, progress=gr.Progress()):
        paths = [getattr(f, "name", f) for f in (files or [])]
        r = app.batch(paths, arch, epoch, size, strength,
                      progress=lambda i, n, name: progress((i, n), desc=f"colorizing {name}", unit="photos"))
        return str(r["zip"]), r["summary"], [(str(p), name) for p, name in r["thumbnails"]]

    def photo_box(label: str, elem_id: str, height: int = 280) -> gr.Image:
        return PhotoInput(label=label, type="filepath", image_mode=None, sources=["upload", "clipboard"],
                          height=height, buttons=["fullscreen"], elem_id=elem_id)

    def view(label: str, elem_id: str, height: int = 340) -> gr.Image:
        """A result panel: no download button of its own (the PNG below is the full-resolution file)."""
        return gr.Image(label=label, type="filepath", interactive=False, height=height, buttons=["fullscreen"],
                        elem_id=elem_id)

    def example_list(target, elem_id: str):
        if examples:
            gr.Examples(examples=[[e] for e in examples], inputs=[target], cache_examples=False, examples_per_page=8,
                        label="Examples: people first (gray scans, then colour originals), then places",
                        elem_id=elem_id)

    with gr.Blocks(title="colorgan: colorize black-and-white photos", analytics_enabled=False,
                   delete_cache=(1800, 3600)) as demo:
        gr.Markdown(INTRO, elem_id="intro")
        if not app.entries:
            gr.Markdown("**No checkpoints are installed on this server.** Put trained checkpoints in "
                        "`checkpoints/` (or set `COLORGAN_CHECKPOINTS` / `COLORGAN_HUB_REPO`) and restart.")
        with gr.Tabs():
            with gr.Tab("Colorize", id="colorize"):
                with gr.Row():
                    with gr.Column(scale=3, min_width=300):
                        photo = photo_box("Your photo (drop, paste or click to upload)", "photo-input")
                    with gr.Column(scale=2, min_width=300):
                        model = gr.Dropdown(model_choices, value=default_arch, label="Model", elem_id="model",
                                            info="Ordered by their validation results (CIEDE2000 against leaving "
                                                 "the photo gray); the first is the recommended one.")
                        run = gr.Button("Colorize", variant="primary", elem_id="colorize-button")
                        status = gr.Markdown(elem_id="status")
                        with gr.Accordion("More settings", open=False, elem_id="settings"):
                            epoch = gr.Dropdown(app.epoch_choices(default_arch), value=default_epoch,
                                                label="Epoch", allow_custom_value=True, elem_id="epoch",
                                                info="The marked epoch measured best on validation; the others "
                                                     "show how the model learnt.")
                            size = gr.Slider(0, 512, value=0, step=32, label="Render size (px)",
                                             info="0 = the size the model was trained at (usually best).")
                            strength = gr.Slider(0, 2, value=1, step=0.05, label="Colour strength",
                                                 info="1 = as predicted; 0 = gray; 2 = twice as vivid.")
                            vivid = gr.Slider(0, webapp.MAX_TEMPERATURE, value=0, step=0.01,
                                              label="Vividness (temperature)", elem_id="vividness",
                                              info="Models that predict a colour distribution (the recommended "
                                                   "one): lower is more vivid, higher more cautious; 0 = the "
                                                   "model's own.")
                        example_list(photo, "examples-wide")     # beside the upload on a wide screen
                with gr.Row(equal_height=True):
                    color_out = view("Colorized (click it to add a colour hint)", "colorized-panel")
                    original_out = view("Original (your upload)", "original-panel")
                    gray_out = view("Grayscale (what the model sees)", "gray-panel")
                with gr.Row():
                    download = gr.DownloadButton("Download the colorized photo (PNG, full resolution)", value=None,
                                                 variant="primary", elem_id="download")
                metrics_md = gr.Markdown(elem_id="metrics")
                example_list(photo, "examples-narrow")           # on a phone: after the result
                facts = gr.State(None)
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
                        unsure_out = view("Where the model is unsure (bright)", "uncertainty-panel", height=300)
                with gr.Row():
                    slider = gr.ImageSlider(label="Before / after (drag the handle)", type="filepath",
                                            interactive=False, max_height=480)
                with gr.Accordion("Where the example photos come from (examples/SOURCES.md)", open=False):
                    gr.Markdown(sources or "See examples/SOURCES.md in the repository.")

            with gr.Tab("Compare", id="compare"):   # short tab names: all five fit a phone's width
                gr.Markdown("The same photo through every architecture at its recommended (or best measured) "
                            f"epoch, beside the photo left gray (worked at up to {webapp.VIEW_MAX_SIDE} px).")
                compare_note = gr.Markdown(settings_note(default_arch, default_epoch, 0, 1, uses_model=False),
                                           elem_id="compare-settings")
                with gr.Row():
                    with gr.Column(scale=1, min_width=280):
                        compare_photo = photo_box("Photo", "compare-photo", height=240)
                        compare_run = gr.Button("Compare all models", variant="primary")
                        example_list(compare_photo, "compare-examples")
                    with gr.Column(scale=3):
                        compare_gallery = gr.Gallery(label="Gray, then each architecture, best measured first",
                                                     columns=4, height="auto", object_fit="contain",
                                                     elem_id="compare-gallery")
                compare_md = gr.Markdown()

            with gr.Tab("Progress", id="progress"):
                gr.Markdown(PROGRESS_NOTE)
                with gr.Row():
                    with gr.Column(scale=1, min_width=280):
                        progress_photo = photo_box("Photo", "progress-photo", height=240)
                        progress_arch = gr.Dropdown(model_choices, value=default_arch, label="Model")
                        progress_run = gr.Button("Show every epoch", variant="primary")
                        example_list(progress_photo, "progress-examples")
                    with gr.Column(scale=3):
                        progress_gallery = gr.Gallery(label="Output per epoch", columns=4, height="auto",
                                                      object_fit="contain")
                progress_md = gr.Markdown()
                curves = gr.Image(label="Loss curves", type="filepath", interactive=False, buttons=["fullscreen"])

            with gr.Tab("Batch", id="batch"):
                gr.Markdown(f"Several photos, or a zip of photos (up to {webapp.BATCH_MAX_FILES} per batch, "
                            f"{webapp.MAX_UPLOAD_MB} MB per file): you get back one zip with `<name>_color.png` "
                            "for each, at full resolution.")
                batch_note = gr.Markdown(settings_note(default_arch, default_epoch, 0, 1), elem_id="batch-settings")
                with gr.Row():
                    # No file_types: Gradio would refuse the whole batch for one stray file;
                    # webapp skips it with a reason and carries on, like the CLI.
                    batch_files = gr.File(label="Photos (JPEG, PNG, WebP, TIFF, BMP, GIF) or zips of photos",
                                          file_count="multiple")
                    batch_zip = gr.File(label="Colorized photos (zip)", interactive=False)
                batch_run = gr.Button("Colorize all", variant="primary")
                batch_md = gr.Markdown()
                batch_gallery = gr.Gallery(label="The first results (all of them are in the zip)", columns=6,
                                           height="auto", object_fit="contain", elem_id="batch-gallery")

            with gr.Tab("Video", id="video"):
                gr.Markdown(f"An old home movie in, the same movie in colour out: the same frames, size, frame rate "
                            f"and sound. The colour of each frame is carried along the motion to the next, so it does "
                            f"not flicker. Up to {webapp.VIDEO_MAX_MB} MB and {webapp.VIDEO_MAX_SECONDS} s here; "
                            "`python -m colorgan video` takes any length.")
                video_note = gr.Markdown(settings_note(default_arch, default_epoch, 0, 1), elem_id="video-settings")
                with gr.Row():
                    with gr.Column(scale=1, min_width=280):
                        video_in = gr.Video(label="Your video (MP4, MOV, AVI, MKV, WebM)", sources=["upload"],
                                            elem_id="video-input")
                        video_steady = gr.Checkbox(True, label="Steady colour (carry it along the motion)")
                        video_run = gr.Button("Colorize the video", variant="primary", elem_id="video-button")
                    with gr.Column(scale=1, min_width=280):
                        video_out = gr.Video(label="In colour", interactive=False, elem_id="video-output")
                        video_download = gr.DownloadButton("Download the colour video (MP4)", value=None,
                                                           elem_id="video-download")
                video_md = gr.Markdown(elem_id="video-summary")

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
                                                  image_mode="RGBA", canvas_size=(512, 512), height=600,
                                                  elem_id="sketch-pad",
                                                  brush=gr.Brush(default_size=4, colors=["#000000", "#555555"],
                                                                 default_color="#000000", color_mode="fixed"))
                    with gr.Column(scale=1):
                        sketch_epoch = gr.Dropdown(sketch_epochs, value=sketch_epochs[0][1] if sketch_epochs else None,
                                                   label="Epoch", allow_custom_value=True,
                                                   info="Training epoch of the sketch model; the latest is usually best.")
                        sketch_run = gr.Button("Colour the drawing", variant="primary", elem_id="sketch-button",
                                               interactive=bool(sketch_epochs))
                with gr.Row(equal_height=True):
                    sketch_view = view("The drawing as the model sees it", "sketch-view")
                    sketch_out = view("Coloured", "sketch-colored")
                sketch_md = gr.Markdown(elem_id="sketch-summary")
                sketch_download = gr.File(label="Download the colour picture (PNG, full resolution)", interactive=False)

        # For gradio_client users, hidden components: /colorize (photo, model, epoch, size, strength, hints,
        # temperature) -> gray, colorized, original, slider, summary, PNG, uncertainty; and /suggest (photo,
        # x, y, model, epoch, size, hints) -> [[hex, probability], ...].  The photo goes through the same
        # upload checks as on the page.
        api_outputs = [gr.Image(visible=False, type="filepath") for _ in range(3)]
        api_slider, api_summary = gr.ImageSlider(visible=False, type="filepath"), gr.Markdown(visible=False)
        api_png, api_unsure = gr.File(visible=False), gr.Image(visible=False, type="filepath")
        api_x, api_y, api_colours = gr.Number(visible=False), gr.Number(visible=False), gr.JSON(visible=False)
        api_colorize, api_suggest = gr.Button(visible=False), gr.Button(visible=False)

        # The jobs that run models share one concurrency limit, so a burst of visitors queues
        # (at most QUEUE_SIZE) instead of holding many full-resolution photos in memory at once.
        heavy = {"concurrency_id": "photos", "concurrency_limit": CONCURRENCY}
        private = {"api_visibility": "private"}
        colorize_inputs = [photo, model, epoch, size, strength, hints_box, vivid]
        page_outputs = [color_out, original_out, gray_out, slider, metrics_md, download, unsure_out, facts]

        def colorize_again(event):
            """Colorize (result first, then the metrics of a colour upload) after ``event``."""
            return event.then(on_colorize_page, colorize_inputs, page_outputs, **private, **heavy).then(
                on_metrics, [photo, download, facts], metrics_md, **private, **heavy)

        colorize_again(run.click(lambda: "", None, status, **private, queue=False))
        vivid.release(on_colorize_page, colorize_inputs, page_outputs, **private, **heavy)
        api_colorize.click(on_colorize, colorize_inputs,
                           [*api_outputs, api_slider, api_summary, api_png, api_unsure], api_name="colorize", **heavy)
        api_suggest.click(on_api_suggest, [photo, api_x, api_y, model, epoch, size, hints_box], api_colours,
                          api_name="suggest", **heavy)
        model.change(on_model, model, epoch, api_name="epochs")
        photo.upload(on_upload, photo, [hints_box, remove_which, point, status], **private, queue=False)
        color_out.select(on_point, [photo, model, epoch, size, hints_box], [point, point_md, suggested, picker],
                         **private, **heavy)
        suggested.select(lambda colour: colour, suggested, picker, **private, queue=False)
        for button, handler, inputs in ((add_hint, on_add_hint, [hints_box, point, picker]),
                                        (remove_hint, on_remove_hint, [hints_box, remove_which])):
            colorize_again(button.click(handler, inputs, [hints_box, remove_which], **private, queue=False))
        colorize_again(clear_hints.click(lambda: ("[]", gr.Dropdown(choices=[], value=None)), None,
                                         [hints_box, remove_which], **private, queue=False))
        for control in (model, epoch, size, strength):   # the other tabs say which settings they use
            control.change(lambda a, e, s, t: (settings_note(a, e, s, t, uses_model=False), settings_note(a, e, s, t),
                                               settings_note(a, e, s, t)),
                           [model, epoch, size, strength], [compare_note, batch_note, video_note], **private,
                           queue=False)
        compare_run.click(on_compare, [compare_photo, size, strength], [compare_gallery, compare_md],
                          api_name="compare", **heavy)
        progress_run.click(on_progress, [progress_photo, progress_arch], [progress_gallery, curves, progress_md],
                           api_name="progress", **heavy)
        progress_arch.change(on_curves, progress_arch, curves, api_name="curves")
        batch_run.click(on_batch, [batch_files, model, epoch, size, strength], [batch_zip, batch_md, batch_gallery],
                        api_name="batch", **heavy)
        video_run.click(on_video, [video_in, model, epoch, size, video_steady], [video_out, video_download, video_md],
                        api_name="video", **heavy)
        sketch_tab.select(None, None, None, js=PICK_BRUSH_JS)
        sketch_run.click(on_sketch, [sketch_upload, sketch_pad, sketch_epoch],
                         [sketch_view, sketch_out, sketch_md, sketch_download], api_name="sketch", **heavy)
        # A photo put on the Colorize tab (upload, paste or example) is ready on the other tabs too.
        photo.change(lambda p: (p, p), photo, [compare_photo, progress_photo], **private,
                     queue=False, show_progress="hidden")
        if default_arch:
            demo.load(on_curves, progress_arch, curves, **private, show_progress="hidden")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


def warm_up(app: webapp.WebApp, arch: str | None) -> None:
    """Load the default model in the background at start-up, so the first visitor does not wait for it."""
    import atexit
    import threading

    if arch:
        thread = threading.Thread(target=lambda: app.colorizer(app.entry(arch, None)), name="colorgan-warm-up",
                                  daemon=True)
        thread.start()
        atexit.register(thread.join, 60)   # a process that exits at once must not kill it mid-load


# Phones: a smaller title and upload box so that upload, button and result fit one screen, and the
# examples after the result; wide screens show them beside the upload instead.
CSS = """
#examples-narrow { display: none; }
@media (max-width: 640px) {
  .gradio-container { padding-left: 6px !important; padding-right: 6px !important; }
  #intro h1 { font-size: 1.25em !important; margin: 0 !important; }
  #intro p { font-size: 0.9em !important; margin: 0.2em 0 !important; }
  #photo-input { height: 200px !important; }
  #examples-wide { display: none !important; }
  #examples-narrow { display: block !important; }
  #model .info-text { display: none !important; }
  .tab-container button { padding: 4px 5px !important; font-size: 0.8em !important; min-width: 0 !important; }
}
"""


def launch(demo: gr.Blocks | None = None, **overrides):
    """Launch the page with the project's limits (upload size, address from the environment)."""
    # Each of the CONCURRENCY jobs gets its share of the cores: oversubscribed OpenMP threads
    # spin against each other and made a 13 ms gamut clip take 2 s in a measurement here.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // CONCURRENCY))
    demo = demo or build_demo()
    options = {
        "server_name": os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        "server_port": int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        # the larger of the two caps; photos are held to MAX_UPLOAD_MB by webapp.load_photo itself
        "max_file_size": max(webapp.MAX_UPLOAD_MB, webapp.VIDEO_MAX_MB) * 1024 * 1024,
        "show_error": False,
        "footer_links": ["api"],
        "css": CSS,
    }
    options.update(overrides)
    return demo.launch(**options)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    launch()
