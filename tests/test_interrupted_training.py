"""Interrupted training: ``kill -9`` at random points, then resume; and a loss that blows up.

A real ``python -m colorgan train`` subprocess (tiny model, tiny photos) is killed with
SIGKILL at a random moment after it starts training, several times in a row.  After every
kill: each visible checkpoint folder is complete and loads, the resume state loads, and
train_log.csv holds epochs 1..k without a gap or a duplicate.  Every restart resumes from the
epoch of the last committed state, and the final run ends with exactly epochs 1..E.
COLORGAN_FULL_RELIABILITY=1 kills more times.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from colorgan.checkpoints import load_generator, scan_root
from colorgan.trainer import TrainingDiverged, train
from tests.conftest import FULL_RELIABILITY, REPO
from tests.test_trainer import TINY_RUN, recipe_for

KILLS = 12 if FULL_RELIABILITY else 2
EPOCHS = 20 * KILLS     # tiny epochs take 0.1-1 s: enough that no run ends inside the kill window
KILL_WINDOW_S = 3.0      # a tiny epoch takes about 1 s here: kills land in every phase of an epoch
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def start_training(photo_folder: Path, out: Path, log: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-u", "-m", "colorgan", "train", "--config", str(REPO / "train/configs/unet.yaml"),
               "--no-progress", f"data.train={photo_folder / 'train'}", f"data.val={photo_folder / 'val'}",
               f"train.out={out}", f"train.epochs={EPOCHS}", *TINY_RUN, *extra]
    handle = log.open("w")
    try:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=ENV)
    finally:
        handle.close()


def wait_for_text(log: Path, text: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert process.poll() is None, f"training exited early:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{log.read_text()}"
        time.sleep(0.05)


def state_epoch(run: Path) -> int:
    path = run / "state" / "last.pt"
    if not path.is_file():
        return 0
    return int(torch.load(path, map_location="cpu", weights_only=True)["epoch"])  # a half-written one fails here


def logged_epochs(run: Path) -> list[int]:
    path = run / "train_log.csv"
    if not path.is_file():
        return []
    with path.open() as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def check_consistent(run: Path) -> int:
    """Everything a kill may leave behind is whole; returns the committed epoch."""
    committed = state_epoch(run)
    visible = sorted(p for p in run.glob("epoch-*") if p.is_dir())
    for folder in visible:
        assert (folder / "model.safetensors").is_file() and (folder / "config.json").is_file(), folder
        _, config = load_generator(folder)
        assert folder.name == f"epoch-{config['epoch']:03d}"
    assert [f for _, _, f in scan_root(run.parent)] == visible, "every visible folder is a listed checkpoint"
    if committed:
        assert (run / f"epoch-{committed:03d}").is_dir(), "the committed epoch has its checkpoint"
    epochs = logged_epochs(run)
    assert epochs == list(range(1, len(epochs) + 1)), f"gap or duplicate in train_log.csv: {epochs}"
    assert len(epochs) in (committed, committed + 1), (epochs, committed)
    return committed


def test_kill_9_at_random_points_then_resume(photo_folder, tmp_path):
    rng = random.Random(int(os.environ.get("COLORGAN_KILL_SEED", "8")) if not FULL_RELIABILITY else None)
    out = tmp_path / "runs"
    run = out / "unet"
    history = []
    for cycle in range(KILLS):
        before = check_consistent(run) if run.exists() else 0
        log = tmp_path / f"cycle-{cycle}.log"
        process = start_training(photo_folder, out, log)
        try:
            wait_for_text(log, "training unet", process)
            text = log.read_text()
            if before:
                assert f"resuming {run} from epoch {before}" in text, text
            time.sleep(rng.uniform(0, KILL_WINDOW_S))   # the random kill point (not a synchronisation)
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
        assert process.returncode == -signal.SIGKILL, f"the run finished before the kill:\n{log.read_text()}"
        history.append(check_consistent(run))
    assert history == sorted(history), f"committed epochs never go back: {history}"

    log = tmp_path / "final.log"
    process = start_training(photo_folder, out, log)
    assert process.wait(timeout=600) == 0, log.read_text()
    if history[-1]:
        assert f"resuming {run} from epoch {history[-1]}" in log.read_text()
    assert check_consistent(run) == EPOCHS
    assert logged_epochs(run) == list(range(1, EPOCHS + 1))
    assert [e for _, e, _ in scan_root(out)] == list(range(1, EPOCHS + 1))
    print(f"{KILLS} kills, committed epochs after each: {history}")


# ---------------------------------------------------------------- a loss that blows up

@pytest.mark.parametrize("where", ["generator", "discriminator"])
def test_infinite_loss_stops_and_keeps_the_last_good_checkpoint(photo_folder, tmp_path, monkeypatch, where):
    """test_trainer covers NaN in the generator; an infinite loss, in either network, stops too."""
    out = tmp_path / "runs"
    fast = "train.max_steps_per_epoch=1"
    train(recipe_for(photo_folder, out, "train.epochs=2", fast), progress=False)      # epoch 2 is adversarial
    good = (out / "unet" / "epoch-002" / "model.safetensors").read_bytes()
    import colorgan.trainer as trainer_module
    if where == "generator":
        monkeypatch.setattr(trainer_module, "regression_loss", lambda kind, fake, real: fake.sum() * float("inf"))
    else:
        original = trainer_module.GANLoss.forward
        def forward(self, logits, real, for_discriminator=True, **kwargs):   # the discriminator's loss only
            loss = original(self, logits, real, for_discriminator=for_discriminator, **kwargs)
            return loss * float("inf") if for_discriminator else loss
        monkeypatch.setattr(trainer_module.GANLoss, "forward", forward)
    with pytest.raises(TrainingDiverged, match="epoch 3, step 1: the loss became NaN or infinite"):
        train(recipe_for(photo_folder, out, "train.epochs=3", fast), progress=False)
    assert (out / "unet" / "epoch-002" / "model.safetensors").read_bytes() == good
    assert not (out / "unet" / "epoch-003").exists()
    assert logged_epochs(out / "unet") == [1, 2] and state_epoch(out / "unet") == 2


def test_divergence_through_the_cli_is_one_clear_line_and_resumable(photo_folder, tmp_path):
    """A learning rate of 1e38 overflows the weights: exit status 3, one line, the checkpoint kept."""
    out = tmp_path / "runs"
    train(recipe_for(photo_folder, out, "train.epochs=1"), progress=False)
    good = (out / "unet" / "epoch-001" / "model.safetensors").read_bytes()
    command = [sys.executable, "-m", "colorgan", "train", "--config", str(REPO / "train/configs/unet.yaml"),
               "--no-progress", f"data.train={photo_folder / 'train'}", f"data.val={photo_folder / 'val'}",
               f"train.out={out}", "train.epochs=3", *TINY_RUN, "train.lr_g=1e38", "train.lr_d=1e38"]
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "the loss became NaN or infinite" in errors[0] and "last good checkpoint" in errors[0]
    assert (out / "unet" / "epoch-001" / "model.safetensors").read_bytes() == good
    assert check_consistent(out / "unet") == 1
    train(recipe_for(photo_folder, out, "train.epochs=2"), progress=False)     # a sane rate resumes from there
    assert logged_epochs(out / "unet") == [1, 2]
