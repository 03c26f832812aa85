"""Many visitors at once on the launched page (app.py), driven by real gradio_client clients.

16 clients send different photos at the same moment: every one gets its own photo back,
colorized exactly as the model does it alone; the process stays under a stated memory bound;
no model is loaded twice; the job folders stay bounded.  A page with a small queue turns the
surplus away with "queue is full" instead of piling work up.  Path-like arch/epoch values are
refused.  COLORGAN_FULL_RELIABILITY=1 runs several rounds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorgan import hub, webapp
from colorgan.images import load_rgb
from tests.conftest import FULL_RELIABILITY, REPO, natural_photo, peak_rss_mb
from tests.test_app import UPLOAD_LIMIT, free_port, make_root

CLIENTS = 16
ROUNDS = 4 if FULL_RELIABILITY else 1
MEMORY_BOUND_MB = 600    # growth of this process (server and 16 clients) over a burst
MAX_JOBS = 8
pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")


def launch(root: Path, work: Path, cache: webapp.ModelCache, concurrency: int | None = None,
           queue_size: int | None = None):
    """The page over ``root`` on a free port; returns (url, app, demo)."""
    import app as page

    entries = [e for e in hub.list_checkpoints([root]) if e.path is not None and root in e.path.parents]
    app = webapp.WebApp(entries=entries, cache=cache, workdir=webapp.WorkDir(work, max_jobs=MAX_JOBS))
    with pytest.MonkeyPatch.context() as mp:
        if concurrency:
            mp.setattr(page, "CONCURRENCY", concurrency)
        if queue_size:
            mp.setattr(page, "QUEUE_SIZE", queue_size)
        demo = page.build_demo(app)
    port = free_port()
    page.launch(demo, prevent_thread_lock=True, quiet=True, max_file_size=UPLOAD_LIMIT,
                server_name="127.0.0.1", server_port=port)
    return f"http://127.0.0.1:{port}/", app, demo


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        mp.delenv("COLORGAN_HUB_REPO", raising=False)
        yield make_root(tmp_path_factory.mktemp("ckpts"))


@pytest.fixture(scope="module")
def server(root, tmp_path_factory):
    url, app, demo = launch(root, tmp_path_factory.mktemp("work"), webapp.ModelCache(capacity=8))
    try:
        yield url, app
    finally:
        demo.close()


def clients(url: str, count: int, downloads: Path) -> list:
    from gradio_client import Client

    return [Client(url, verbose=False, download_files=str(downloads / str(i))) for i in range(count)]


def upload(path):
    from gradio_client import handle_file

    return handle_file(str(path))


def burst(calls: list) -> list:
    """Run every call in its own thread, released together; returns results or exceptions."""
    results: list = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def one(i):
        gate.wait()
        try:
            results[i] = calls[i]()
        except Exception as err:  # noqa: BLE001 - the test inspects what each visitor got
            results[i] = err

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a request never came back"
    return results


def test_sixteen_visitors_at_once(server, tmp_path):
    from gradio_client.exceptions import AppError

    url, app = server
    visitors = clients(url, CLIENTS, tmp_path)
    photos, expected_sizes = [], []
    for i in range(CLIENTS):
        height, width = 40 + 3 * i, 56 + 5 * i         # every visitor's photo has its own size
        path = tmp_path / f"visitor{i}.png"
        rgb = natural_photo(height, width, seed=i)
        Image.fromarray(rgb if i % 2 else rgb[:, :, 0]).save(path)
        photos.append(path)
        expected_sizes.append((width, height))
    bad = tmp_path / "letter.jpg"
    bad.write_text("not a photo")
    choices = [("unet", 903), ("unet", 901), ("linknet", 902), ("linknet", 901)]
    peak_rss_mb(reset=True)
    start_mb = peak_rss_mb()
    timings = []
    for round_ in range(ROUNDS):
        def call(i):
            arch, epoch = choices[i % len(choices)]
            photo = bad if i == 5 else photos[i]
            return lambda: visitors[i].predict(upload(photo), arch, epoch, 32, 1.0, api_name="/colorize")

        start = time.perf_counter()
        results = burst([call(i) for i in range(CLIENTS)])
        timings.append(time.perf_counter() - start)
        for i, result in enumerate(results):
            if i == 5:
                assert isinstance(result, AppError) and "not an image colorgan can read" in str(result), result
                continue
            assert not isinstance(result, Exception), f"visitor {i}: {result!r}"
            download = result[5]
            assert Path(download).name == f"visitor{i}_color.png", "each visitor gets their own photo back"
            got = np.asarray(Image.open(download).convert("RGB"))
            assert (got.shape[1], got.shape[0]) == expected_sizes[i]
            arch, epoch = choices[i % len(choices)]
            alone = app.cache.get(app.entry(arch, epoch)).colorize(load_rgb(photos[i]), size=32)
            assert np.abs(got.astype(int) - alone).max() <= 2, f"visitor {i}: not what the model gives alone"
        assert len(app.workdir.jobs()) <= MAX_JOBS, "old job folders are pruned"
    grew = peak_rss_mb() - start_mb
    print(f"{ROUNDS} round(s) of {CLIENTS} clients: {', '.join(f'{t:.1f} s' for t in timings)}; "
          f"peak memory grew {grew:.0f} MB (to {peak_rss_mb():.0f} MB); loads {dict(app.cache.loads)}")
    assert grew < MEMORY_BOUND_MB
    warmed = (app.default_arch(), app.default_epoch(app.default_arch()))   # loaded at start-up
    assert set(app.cache.loads) == set(choices) | {warmed} and max(app.cache.loads.values()) == 1, \
        "no model loaded twice"


def test_a_full_queue_turns_visitors_away(root, tmp_path):
    """Concurrency 1 and a queue of 4: while one job runs, 4 wait and the other 11 are told the queue is full."""
    from gradio_client.exceptions import AppError

    release = threading.Event()

    def gated_loader(entry, device):
        assert release.wait(timeout=120), "the test never released the model load"
        return hub.load_colorizer(entry, device=device)

    cache = webapp.ModelCache(capacity=4, loader=gated_loader)
    url, app, demo = launch(root, tmp_path / "work", cache, concurrency=1, queue_size=4)
    try:
        visitors = clients(url, CLIENTS, tmp_path)
        photo = tmp_path / "p.png"
        Image.fromarray(natural_photo(30, 44)).save(photo)
        results: list = [None] * CLIENTS
        threads = []
        for i in range(CLIENTS):
            def one(i=i):
                try:
                    results[i] = visitors[i].predict(upload(photo), "unet", 903, 32, 1.0, api_name="/colorize")
                except Exception as err:  # noqa: BLE001
                    results[i] = err
            threads.append(threading.Thread(target=one))
            threads[-1].start()
        deadline = time.monotonic() + 120
        while sum(isinstance(r, Exception) for r in results) < CLIENTS - 1 - 4:
            assert time.monotonic() < deadline, f"the queue did not fill up: {results}"
            time.sleep(0.05)
        assert len(demo._queue) <= 4
        release.set()
        for t in threads:
            t.join(timeout=300)
        refused = [r for r in results if isinstance(r, Exception)]
        answered = [r for r in results if not isinstance(r, Exception)]
        assert len(refused) == CLIENTS - 5 and len(answered) == 5
        assert all("queue is full" in str(r).lower() for r in refused), refused
        assert all(Image.open(r[5]).size == (44, 30) for r in answered)
        assert cache.loads == {("unet", 903): 1, ("unet", 902): 1}   # 902: the default, loaded at start-up
        assert not any(isinstance(r, AppError) for r in refused), "refused by the queue, not by an error"
    finally:
        release.set()
        demo.close()


@pytest.mark.parametrize("arch, epoch, message", [
    ("../unet", 903, "not in the list of choices"),
    ("unet/../../etc", 903, "not in the list of choices"),
    ("unet", "../../etc/passwd", "has no epoch"),
    ("unet", "../903", "has no epoch"),
    ("unet", "903/../../x", "has no epoch"),
    ("unet", "1e400", "has no epoch"),
    ("unet", "-inf", "has no epoch"),
    ("unet", "nan", "has no epoch"),
    ("unet", -1, "has no epoch"),
])
def test_path_like_choices_are_refused(server, tmp_path, arch, epoch, message):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, app = server
    photo = tmp_path / "p.png"
    Image.fromarray(natural_photo(20, 24)).save(photo)
    jobs = app.workdir.jobs()
    client = Client(url, verbose=False, download_files=str(tmp_path / "dl"))
    with pytest.raises(AppError, match=message):
        client.predict(upload(photo), arch, epoch, 32, 1.0, api_name="/colorize")
    with pytest.raises(webapp.UserError, match="unknown model|has no epoch"):
        app.entry(arch, epoch)
    assert app.workdir.jobs() == jobs, "a refused request writes nothing"


def test_workdir_is_removed_when_the_process_exits():
    code = "from colorgan.webapp import WorkDir; w = WorkDir(); (w.new() / 'x.png').write_bytes(b'1'); print(w.root)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    assert folder.name.startswith("colorgan-web-") and not folder.exists()
