"""One training loop for every architecture (pix2pix objective, seeds 000/001/004).

Per step: the discriminator learns real (L, ab) from (L, G(L)) with
D loss = 0.5 * (real + fake); then the generator minimises adversarial + lambda * L1.
Without a discriminator (or during the L1 warm-up) it is plain regression.

Per epoch (every ``save_every``): a checkpoint in the DESIGN.md layout, a sample grid, a row
in train_log.csv, the loss-curve PNG, and the resume state, in that order; the resume state
is written last and is the commit point.  Each file is written atomically.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

import torch.nn.functional as F

from colorgan import ab_bins, distributed
from colorgan.checkpoints import LOG_NAME, atomic_write_text, checkpoint_dir, save_checkpoint
from colorgan.color import AB_SCALE, get_space
from colorgan.config import Recipe
from colorgan.data import PhotoDataset, age_luma, center_square, cut_mix, people_photos, photo_files, split_files
from colorgan.faces import read_faces
from colorgan.hints import sample_training_hints
from colorgan.losses import GANLoss, discriminator_targets, l1_loss, regression_loss
from colorgan.models import build_discriminator, build_generator, count_parameters
from colorgan.plots import plot_losses, read_log, save_grid
from colorgan import sketch as sketch_task

LOG_FIELDS = ["epoch", "steps", "images", "seconds", "lr_g", "g_adv", "g_l1", "g_class", "g_total",
              "d_real", "d_fake", "d_total", "val_l1", "step_seconds"]
# seconds: the whole epoch; step_seconds: its steps only.  g_class: the classification loss of
# models that predict ab bins (their g_l1 is the L1 of the colour they decode, for comparison).


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint and state are kept."""


def run_dir(recipe: Recipe) -> Path:
    """``<out>/<arch>``; a sketch model (model.task=sketch) goes to ``<out>/sketch`` whatever its generator."""
    name = sketch_task.SKETCH_ARCH if recipe.model.task == "sketch" else recipe.model.arch
    return Path(recipe.train.out) / name


def train(recipe: Recipe, progress: bool = True) -> Path:
    """Train as the recipe says, resuming if a state exists; returns ``<out>/<arch>``."""
    cfg_t = recipe.train
    dist_info = distributed.info()
    device = distributed.pick_device(cfg_t.device, dist_info.local_rank)
    dist_info = distributed.setup(device.type)
    try:
        return _train(recipe, device, dist_info, progress)
    finally:
        distributed.cleanup()


def _train(recipe: Recipe, device: torch.device, dist_info, progress: bool) -> Path:
    cfg_m, cfg_d, cfg_t = recipe.model, recipe.data, recipe.train
    main = dist_info.is_main
    out = run_dir(recipe)
    torch.manual_seed(cfg_t.seed + dist_info.rank)
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    use_amp = cuda and cfg_t.amp
    memory_format = torch.channels_last if cuda and cfg_t.channels_last else torch.contiguous_format
    space = get_space(cfg_m.color_space)
    sketching = cfg_m.task == "sketch"  # seed 001: (line drawing, full Lab) pairs, colorgan/sketch.py
    dataset_class = sketch_task.SketchDataset if sketching else PhotoDataset

    # ---- data
    train_files = photo_files(cfg_d.train)
    if cfg_d.val:
        val_files = photo_files(cfg_d.val)
    else:
        train_files, val_files = split_files(train_files, cfg_d.val_fraction, cfg_d.split_seed, Path(cfg_d.train))
    repeats = None
    if cfg_d.manifest and cfg_d.people_weight > 1:   # people are scarce and what users restore: oversample them
        people = people_photos(cfg_d.manifest)
        repeats = [cfg_d.people_weight if path.resolve() in people else 1 for path in train_files]
    face_options = {}
    if cfg_d.face_crops:   # faces are where colorizers fail: give the few boxed ones crops of their own
        boxes = read_faces(Path(cfg_d.manifest).parent / "faces.json")
        face_options = {"faces": [boxes.get(path.resolve(), []) for path in train_files], "face_share": cfg_d.face_crops}
        if main:
            print(f"face crops: {sum(map(bool, face_options['faces']))} training photos with face boxes")
    train_set = dataset_class(train_files, cfg_d.size, train=True, min_scale=cfg_d.min_scale, flip=cfg_d.flip,
                             crops_per_image=cfg_d.crops_per_image, paired=cfg_d.paired, progress=progress and main,
                             repeats=repeats, **face_options)
    val_set = dataset_class(val_files, cfg_d.size, train=False, paired=cfg_d.paired) if val_files else None
    sampler = DistributedSampler(train_set, seed=cfg_t.seed, drop_last=True) if dist_info.enabled else None
    workers = cfg_d.num_workers if cfg_d.num_workers >= 0 else (min(8, torch.get_num_threads()) if cuda else 0)
    per_rank = len(train_set) // dist_info.world_size
    loader = DataLoader(train_set, batch_size=cfg_t.batch_size, shuffle=sampler is None, sampler=sampler,
                        num_workers=workers, pin_memory=cuda, drop_last=per_rank > cfg_t.batch_size,
                        persistent_workers=workers > 0)

    # ---- models and optimisers
    generator = build_generator(cfg_m.arch, **cfg_m.generator).to(device, memory_format=memory_format)
    discriminator = None
    if cfg_m.discriminator:
        d_kwargs = {"in_channels": 1 + generator.out_channels, **cfg_m.discriminator_kwargs}
        discriminator = build_discriminator(cfg_m.discriminator, **d_kwargs).to(device, memory_format=memory_format)
    tail = []   # encoder blocks fine-tuned from train.tune_from_epoch (frozen-encoder models)
    if cfg_t.tune_encoder_blocks and hasattr(generator, "tune_encoder_tail"):
        tail = generator.tune_encoder_tail(cfg_t.tune_encoder_blocks)
        for parameter in tail:
            parameter.requires_grad_(False)   # until tune_from_epoch
    opt_g = _optimizer(generator, cfg_t.lr_g, cfg_t, extra_group=tail)
    opt_d = _optimizer(discriminator, cfg_t.lr_d, cfg_t) if discriminator else None
    gan_loss = GANLoss(cfg_t.gan_mode, real_label=cfg_t.real_label)
    # Models that predict a distribution over ab bins (effcolor, colorgan/ab_bins.py) learn by
    # rebalanced classification; models that take hints get random ground-truth hints.
    classifying = bool(getattr(generator, "predicts_distribution", False))
    raw_head = hasattr(generator, "chroma_from_head")
    use_hints = bool(getattr(generator, "takes_hints", False)) and cfg_t.hints
    class_weights = None
    if classifying:
        class_weights = torch.as_tensor(_class_weights(train_set, out if main else None), device=device)
        if hasattr(generator, "set_class_weights"):   # kept in the checkpoint, for decoding
            generator.set_class_weights(class_weights)
    noisy_labels = (cfg_t.label_noise > 0 or cfg_t.label_flip > 0) and cfg_t.gan_mode != "hinge"

    start_epoch = 1
    state_path = out / "state" / "last.pt"
    if cfg_t.resume and state_path.is_file():
        start_epoch = _load_state(state_path, recipe, generator, discriminator, opt_g, opt_d) + 1
        if main:
            print(f"resuming {out} from epoch {start_epoch - 1}")
    if start_epoch > cfg_t.epochs:
        if main:
            print(f"{out} is already trained to epoch {start_epoch - 1}; raise train.epochs to continue.")
        return out
    if start_epoch == 1 and cfg_t.init_from:
        _init_from(generator, Path(cfg_t.init_from))
        if main:
            print(f"starting from the weights of {cfg_t.init_from}")
    if main:
        _truncate_log(out / LOG_NAME, start_epoch - 1)
        print(f"training {cfg_m.arch} ({count_parameters(generator) / 1e6:.2f}M parameters) on {device}, "
              f"{len(train_files)} train / {len(val_files)} val photos at {cfg_d.size}px"
              + (f", {dist_info.world_size} processes" if dist_info.enabled else ""))

    g_model = DistributedDataParallel(generator, device_ids=[device.index] if cuda else None) if dist_info.enabled else generator
    d_model = discriminator
    if discriminator is not None and dist_info.enabled:
        d_model = DistributedDataParallel(discriminator, device_ids=[device.index] if cuda else None)

    def lr_factor(epoch: int) -> float:
        """pix2pix schedule: constant, then linear decay to zero over the last decay_epochs."""
        constant = cfg_t.epochs - cfg_t.decay_epochs
        return 1.0 - max(0, epoch - constant) / (cfg_t.decay_epochs + 1)

    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if use_amp else nullcontext
    samples = _sample_batch(val_set or train_set, cfg_t.sample_count) if main else None

    for epoch in range(start_epoch, cfg_t.epochs + 1):
        tuning = bool(tail) and epoch >= cfg_t.tune_from_epoch
        for parameter in tail:
            parameter.requires_grad_(tuning)
        for optimizer, base in ((opt_g, cfg_t.lr_g), (opt_d, cfg_t.lr_d)):
            if optimizer is not None:
                for group in optimizer.param_groups:
                    group["lr"] = (cfg_t.lr_encoder if group.get("encoder_tail") else base) * lr_factor(epoch)
        if sampler is not None:
            sampler.set_epoch(epoch)
        adversarial = discriminator is not None and epoch > cfg_t.l1_warmup_epochs
        generator.train()
        if discriminator is not None:
            discriminator.train()
        sums = torch.zeros(8, device=device)  # g_adv, g_l1, g_total, d_real, d_fake, d_total, g_class, count
        steps = images = 0
        started = time.time()
        total_steps = len(loader) if cfg_t.max_steps_per_epoch is None else min(len(loader), cfg_t.max_steps_per_epoch)
        bar = tqdm(loader, total=total_steps, desc=f"epoch {epoch}/{cfg_t.epochs}", disable=not (progress and main),
                   leave=False, dynamic_ncols=True)
        for batch in bar:
            if steps >= total_steps:
                break
            if sketching:  # "luma" is the drawing, "chroma" the full Lab image it should become
                luma, chroma = sketch_task.encode_pairs(batch, device)
            else:
                if cfg_d.cutmix:
                    batch = cut_mix(batch, cfg_d.cutmix)
                rgb = batch.to(device, non_blocking=True).float().div_(255.0)
                luma, chroma = space.encode(rgb)
                if cfg_d.age:
                    luma = age_luma(luma, cfg_d.age)
            luma = luma.contiguous(memory_format=memory_format)
            chroma = chroma.contiguous(memory_format=memory_format)
            hints = sample_training_hints(chroma) if use_hints else None
            with autocast():
                if raw_head:   # one pass gives the head output (logits) and the colour it decodes to
                    head = g_model(luma, hints=hints, raw=True) if use_hints else g_model(luma, raw=True)
                    fake = generator.chroma_from_head(head, *luma.shape[-2:])
                else:
                    fake = g_model(luma)
            d_terms = torch.zeros(3, device=device)
            if adversarial:
                with autocast():
                    pred_real = d_model(torch.cat([luma, chroma], dim=1))
                    pred_fake = d_model(torch.cat([luma, fake.detach()], dim=1))
                if noisy_labels:
                    targets = [discriminator_targets(p, real, cfg_t.real_label, cfg_t.label_noise, cfg_t.label_flip)
                               for p, real in ((pred_real, True), (pred_fake, False))]
                    loss_d_real = gan_loss(pred_real, True, target=targets[0])
                    loss_d_fake = gan_loss(pred_fake, False, target=targets[1])
                else:
                    loss_d_real = gan_loss(pred_real, True)
                    loss_d_fake = gan_loss(pred_fake, False)
                loss_d = 0.5 * (loss_d_real + loss_d_fake)
                opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                opt_d.step()
                d_terms = torch.stack([loss_d_real.detach(), loss_d_fake.detach(), loss_d.detach()])
            loss_l1 = regression_loss(cfg_t.regression_loss, fake, chroma)
            loss_class = _classification_loss(head, chroma, class_weights) if classifying else None
            if adversarial:
                with autocast():
                    pred_fake = d_model(torch.cat([luma, fake], dim=1))
                loss_adv = gan_loss(pred_fake, True, for_discriminator=False)
            else:
                loss_adv = torch.zeros((), device=device)
            if classifying:
                loss_g = loss_adv + cfg_t.lambda_class * loss_class
            else:
                loss_g = loss_adv + cfg_t.lambda_l1 * loss_l1
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()

            terms = torch.cat([torch.stack([loss_adv.detach(), loss_l1.detach(), loss_g.detach()]), d_terms,
                               (loss_class.detach() if classifying else torch.zeros((), device=device)).reshape(1)])
            if not bool(torch.isfinite(terms).all()):
                raise TrainingDiverged(
                    f"epoch {epoch}, step {steps + 1}: the loss became NaN or infinite "
                    f"(G adv {terms[0]:.4g}, L1 {terms[1]:.4g}, D {terms[5]:.4g}). The last good checkpoint "
                    f"in {out} is kept; lower train.lr_g / train.lr_d or use train.gan_mode=lsgan, then resume.")
            sums[:7] += terms * len(luma)
            sums[7] += len(luma)
            steps += 1
            images += len(luma) * dist_info.world_size
            if main and progress and steps % 5 == 0:
                bar.set_postfix(l1=f"{terms[1]:.4f}", adv=f"{terms[0]:.3f}", d=f"{terms[5]:.3f}")
        bar.close()
        if cuda:
            torch.cuda.synchronize(device)
        step_seconds = time.time() - started  # the training steps alone, for throughput (bench/train_speed.py)
        distributed.all_reduce_mean(sums)
        means = (sums[:7] / sums[7].clamp_min(1)).tolist()
        stopping = epoch == cfg_t.stop_after_epoch   # part of a longer schedule (every rank stops)

        if main:
            validate = sketch_task.validate if sketching else functools.partial(_validate, space=space)
            val_l1 = validate(generator, val_set, device=device, batch_size=cfg_t.batch_size,
                              autocast=autocast) if val_set else float("nan")
            g_adv, g_l1, g_total, d_real, d_fake, d_total, g_class = means
            row = dict(zip(LOG_FIELDS, [epoch, steps, images, round(time.time() - started, 2),
                                        opt_g.param_groups[0]["lr"], g_adv, g_l1, g_class if classifying else "",
                                        g_total, d_real, d_fake, d_total, val_l1, round(step_seconds, 3)]))
            due = epoch % cfg_t.save_every == 0 or epoch == cfg_t.epochs or stopping
            if due:
                save_checkpoint(checkpoint_dir(out.parent, out.name, epoch), generator,
                                _checkpoint_config(recipe, generator, epoch, row), dtype=cfg_t.save_dtype)
                rows = (sketch_task.sample_rows(generator, samples, device) if sketching
                        else _sample_rows(generator, samples, space, device))
                save_grid(rows, out / "samples" / f"epoch-{epoch:03d}.png")
            _append_log(out / LOG_NAME, row)
            plot_losses(out / LOG_NAME, out / "loss_curve.png", title=out.name)
            _save_state(state_path, recipe, epoch, generator, discriminator, opt_g, opt_d)
            print(f"epoch {epoch}/{cfg_t.epochs}: L1 {row['g_l1']:.4f} (val {val_l1:.4f}), "
                  + (f"class {row['g_class']:.3f}, " if classifying else "") +
                  f"G adv {row['g_adv']:.3f}, D {row['d_total']:.3f}, {row['seconds']:.0f}s"
                  + (f" -> {checkpoint_dir(out.parent, out.name, epoch)}" if due else ""))
        distributed.barrier()
        if stopping:
            if main:
                print(f"stopped after epoch {epoch} of {cfg_t.epochs} (train.stop_after_epoch); run the recipe "
                      "again with a later one, or without it, to go on")
            break
    return out


def _optimizer(model: torch.nn.Module, lr: float, cfg_t, extra_group=()) -> torch.optim.Optimizer:
    """Adam (or RMSprop) over the trainable parameters; ``extra_group`` (fine-tuned encoder blocks) gets
    a group of its own, marked ``encoder_tail``, whose learning rate is train.lr_encoder."""
    extra = {id(p) for p in extra_group}
    groups = [{"params": [p for p in model.parameters() if p.requires_grad and id(p) not in extra]}]
    if extra_group:
        groups.append({"params": list(extra_group), "encoder_tail": True})
    if cfg_t.optimizer == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=0.9)
    return torch.optim.Adam(groups, lr=lr, betas=(cfg_t.beta1, cfg_t.beta2))


def _init_from(generator: torch.nn.Module, folder: Path) -> None:
    """Start from another checkpoint's weights (strict: the same network; decoding settings may differ)."""
    from colorgan.checkpoints import load_generator

    source, _ = load_generator(folder)
    try:
        generator.load_state_dict(source.state_dict(), strict=True)
    except RuntimeError as err:
        raise RuntimeError(f"train.init_from {folder} holds another network than this recipe builds "
                           f"({str(err).splitlines()[0]})") from None


def _classification_loss(logits: torch.Tensor, chroma: torch.Tensor, class_weights: torch.Tensor) -> torch.Tensor:
    """Zhang et al. 2016: soft-encoded cross-entropy at the head's /4 resolution, rebalanced per pixel."""
    target_ab = F.avg_pool2d(chroma.float(), 4, ceil_mode=True) * AB_SCALE
    logits = logits[..., :target_ab.shape[-2], :target_ab.shape[-1]]
    weights, index = ab_bins.soft_encode(target_ab)
    return ab_bins.soft_cross_entropy(logits, weights, index, class_weights[index[:, 0]])


def _class_weights(train_set: PhotoDataset, out: Path | None, size: int = 64) -> np.ndarray:
    """Rebalancing weights from the ab prior of the training photos (each counted as often as it is sampled).

    Every photo's centre square at ``size`` px is counted; the prior, smoothed as Zhang does, is
    written to ``<out>/ab_prior.csv`` (bin a, b, prior, weight) for inspection."""
    counts = np.zeros(ab_bins.bin_count(), np.int64)
    times = np.bincount(train_set.order, minlength=len(train_set.photos))
    lab_space = get_space("lab")
    for index, photo in enumerate(train_set.photos):
        if times[index] == 0:
            continue
        rgb = torch.from_numpy(center_square(photo, size)).permute(2, 0, 1)[None].float() / 255.0
        _, chroma = lab_space.encode(rgb)
        counts += times[index] * ab_bins.count_bins(chroma * AB_SCALE)
    prior = ab_bins.prior_from_counts(counts)
    weights = ab_bins.rebalancing_weights(prior)
    if out is not None:
        lines = ["a,b,prior,weight"] + [f"{a:.0f},{b:.0f},{p:.6g},{w:.6g}"
                                         for (a, b), p, w in zip(ab_bins.bin_centres(), prior, weights)]
        atomic_write_text(out / "ab_prior.csv", "\n".join(lines) + "\n")
    return weights


def _checkpoint_config(recipe: Recipe, generator, epoch: int, row: dict) -> dict:
    arch = run_dir(recipe).name
    return {
        "arch": arch,
        "task": recipe.model.task,
        **({"generator_arch": recipe.model.arch} if arch != recipe.model.arch else {}),
        # "pretrained" only chooses the starting weights; a checkpoint carries all of its own.
        "kwargs": {**{k: v for k, v in recipe.model.generator.items() if k != "pretrained"},
                   **(generator.learned_kwargs() if hasattr(generator, "learned_kwargs") else {})},
        "color_space": recipe.model.color_space,
        "render_size": recipe.data.size,
        "takes_hints": bool(getattr(generator, "takes_hints", False)),
        "predicts_distribution": bool(getattr(generator, "predicts_distribution", False)),
        "epoch": epoch,
        "parameters": count_parameters(generator),
        "losses": {k: row[k] for k in ("g_adv", "g_l1", "g_class", "g_total", "d_total", "val_l1") if row[k] != ""},
        "recipe": recipe.to_dict(),
    }


@torch.inference_mode()
def _validate(generator, val_set, space, device, batch_size: int, autocast) -> float:
    generator.eval()
    total, count = 0.0, 0
    for start in range(0, len(val_set), batch_size):
        rgb = torch.stack([val_set[i] for i in range(start, min(len(val_set), start + batch_size))])
        luma, chroma = space.encode(rgb.to(device).float() / 255.0)
        with autocast():
            fake = generator(luma)
        total += float(l1_loss(fake, chroma)) * len(rgb)
        count += len(rgb)
    generator.train()
    return total / max(count, 1)


def _sample_batch(dataset: PhotoDataset, count: int) -> torch.Tensor:
    """The first ``count`` validation photos, centre-cropped: the same in every epoch's grid."""
    return torch.stack([dataset.centre_view(i) for i in range(min(count, len(dataset.photos)))])


@torch.inference_mode()
def _sample_rows(generator, samples: torch.Tensor, space, device) -> list[list[np.ndarray]]:
    generator.eval()
    rgb = samples.to(device).float() / 255.0
    luma, chroma = space.encode(rgb)
    fake = generator(luma).float()
    generated = space.decode(luma, fake, gamut_clip=True)
    gray = space.decode(luma, torch.zeros_like(fake))
    generator.train()
    to_np = lambda t: (t.clamp(0, 1).mul(255).round().byte().permute(0, 2, 3, 1).cpu().numpy())
    return [list(row) for row in zip(to_np(gray), to_np(generated), to_np(samples.float() / 255.0))]


def _append_log(path: Path, row: dict) -> None:
    rows = [r for r in read_log(path) if int(r["epoch"]) < int(row["epoch"])] + [row]
    atomic_write_text(path, _csv_text(rows))


def _truncate_log(path: Path, last_epoch: int) -> None:
    """After a resume, drop rows of epochs that were not committed (no duplicates)."""
    rows = read_log(path)
    kept = [r for r in rows if int(r["epoch"]) <= last_epoch]
    if len(kept) != len(rows):
        atomic_write_text(path, _csv_text(kept))


def _csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LOG_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) and not math.isnan(v) else v) for k, v in row.items()})
    return buffer.getvalue()


def _state_identity(recipe: Recipe) -> dict:
    return {"arch": recipe.model.arch, "generator": recipe.model.generator,
            "discriminator": recipe.model.discriminator, "discriminator_kwargs": recipe.model.discriminator_kwargs}


def _save_state(path: Path, recipe: Recipe, epoch: int, generator, discriminator, opt_g, opt_d) -> None:
    state = {
        "epoch": epoch,
        "identity": repr(sorted(_state_identity(recipe).items())),
        "generator": generator.state_dict(),
        "opt_g": opt_g.state_dict(),
        "rng": torch.get_rng_state(),
    }
    if discriminator is not None:
        state["discriminator"] = discriminator.state_dict()
        state["opt_d"] = opt_d.state_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _load_state(path: Path, recipe: Recipe, generator, discriminator, opt_g, opt_d) -> int:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable state gets the same advice
        raise RuntimeError(f"resume state {path} is unreadable ({err}); delete it to start over, "
                           "or set train.resume=false") from None
    if state.get("identity") != repr(sorted(_state_identity(recipe).items())):
        raise RuntimeError(f"resume state {path} was made by a different model recipe; use another "
                           "train.out, or train.resume=false to start over (this overwrites that run)")
    generator.load_state_dict(state["generator"])
    try:
        opt_g.load_state_dict(state["opt_g"])
    except ValueError as err:   # e.g. train.tune_encoder_blocks changed: other parameter groups
        raise RuntimeError(f"resume state {path} was made with other optimizer settings ({err}); keep the "
                           "recipe's train.tune_encoder_blocks, or use another train.out") from None
    if discriminator is not None and "discriminator" in state:
        discriminator.load_state_dict(state["discriminator"])
        opt_d.load_state_dict(state["opt_d"])
    torch.set_rng_state(state["rng"])
    return int(state["epoch"])
