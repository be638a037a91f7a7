"""The training loop: a transformers Llama decoder, bf16 autocast (CPU or CUDA), time-budgeted,
resumable."""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm
from transformers import LlamaConfig, LlamaForCausalLM

from .data import SpecialIds, Stream, fim_transform, windows


@dataclass(frozen=True, slots=True)
class TrainConfig:
    hidden: int = 320
    layers: int = 6
    heads: int = 5
    intermediate: int = 864
    seq_len: int = 512
    batch: int = 16
    lr: float = 8e-4
    min_lr: float = 5e-5
    warmup_steps: int = 200
    weight_decay: float = 0.1
    fim_rate: float = 0.5
    spm_share: float = 0.2
    minutes: float = 95.0
    steps: int = 0  # >0: stop after this many steps and run the cosine over them, not minutes
    corpus: str = "extended"  # "stdlib" or "extended" (see training/corpus.py)
    seed: int = 1234
    threads: int = 2
    bf16: bool = True
    device: str = "cpu"  # or "cuda": the same loop on a GPU (train there, export on the CPU)
    eval_every_s: float = 600.0
    ckpt_every_s: float = 300.0


def make_model(cfg: TrainConfig, vocab_size: int, sp: SpecialIds) -> LlamaForCausalLM:
    """A fresh decoder, initialised from ``cfg.seed`` so a run from scratch repeats exactly."""
    torch.manual_seed(cfg.seed)
    # A plain dict: LlamaConfig takes rope_theta through **kwargs in recent transformers.
    settings: dict = {
        "vocab_size": vocab_size,
        "hidden_size": cfg.hidden,
        "intermediate_size": cfg.intermediate,
        "num_hidden_layers": cfg.layers,
        "num_attention_heads": cfg.heads,
        "num_key_value_heads": cfg.heads,
        "max_position_embeddings": 1024,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "bos_token_id": sp.eot,
        "eos_token_id": sp.eot,
    }
    config = LlamaConfig(**settings)
    return LlamaForCausalLM(config)


def device_works(device: str) -> bool:
    """Whether this machine has ``device`` ("cuda", "cuda:1", ...): a tensor can be made there."""
    try:
        torch.empty(1, device=device)
    except (RuntimeError, AssertionError, ValueError):
        return False
    return True


def hardware(cfg: TrainConfig) -> str:
    """What a run trains on, for the model card: the CPU and its threads, or the GPU's name."""
    if cfg.device == "cpu":
        return f"{platform.processor() or platform.machine()}, {cfg.threads} threads, CPU"
    return f"{torch.cuda.get_device_name(torch.device(cfg.device))}, GPU"


def _autocast(cfg: TrainConfig):
    """bf16 autocast on the run's device (off with ``bf16: false``)."""
    return torch.autocast(torch.device(cfg.device).type, dtype=torch.bfloat16, enabled=cfg.bf16)


def lr_at(cfg: TrainConfig, step: int, frac: float) -> float:
    """Warmup by steps, then a cosine over the time budget (the step count is not known ahead)."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    frac = min(1.0, max(0.0, frac))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * frac))


@torch.no_grad()
def evaluate(model, valid: list[np.ndarray], valid_chars: int, eot: int, cfg: TrainConfig) -> dict:
    """Left-to-right loss on the held-out files: nats per token and bits per character."""
    model.eval()
    total_nats, total_tokens = 0.0, 0
    for ids in valid:
        seq = np.concatenate([[eot], ids])
        for pos in range(0, len(seq) - 1, cfg.seq_len):
            chunk = torch.from_numpy(seq[pos : pos + cfg.seq_len + 1]).unsqueeze(0)
            if chunk.shape[1] < 2:
                continue
            chunk = chunk.to(cfg.device)
            with _autocast(cfg):
                logits = model(chunk[:, :-1]).logits.float()
            loss = torch.nn.functional.cross_entropy(logits[0], chunk[0, 1:], reduction="sum")
            total_nats += float(loss)
            total_tokens += chunk.shape[1] - 1
    model.train()
    return {
        "valid_nats_per_token": total_nats / max(1, total_tokens),
        "valid_bits_per_char": total_nats / math.log(2) / max(1, valid_chars),
        "valid_tokens": total_tokens,
    }


@torch.no_grad()
def evaluate_fim(
    model, valid: list[np.ndarray], newline_ids: np.ndarray, sp: SpecialIds, cfg: TrainConfig
) -> dict:
    """Loss on the middle and end token of fixed line-aligned holes in the held-out files (PSM)."""
    model.eval()
    rng = np.random.default_rng(0)  # the same holes at every evaluation
    total, count = 0.0, 0
    for ids in valid:
        mask = np.isin(ids, newline_ids)
        for j, (w, m) in enumerate(windows(ids, mask, cfg.seq_len - 8, rng)):
            if j >= 4 or len(w) < 16:
                break
            s = fim_transform(w, m, sp, rng, spm_share=0.0)
            x = torch.from_numpy(s.ids).unsqueeze(0).to(cfg.device)
            with _autocast(cfg):
                logits = model(x[:, :-1]).logits.float()
            nll = torch.nn.functional.cross_entropy(logits[0], x[0, 1:], reduction="none")
            middle = torch.from_numpy(s.weight[1:]).bool().to(cfg.device)
            # Only the middle and the end token: the prefix is ordinary left-to-right text.
            first_mid = int(np.flatnonzero(s.ids == sp.middle)[0])
            middle[:first_mid] = False
            total += float(nll[middle].sum())
            count += int(middle.sum())
    model.train()
    return {"valid_fim_nats_per_token": total / max(1, count), "valid_fim_tokens": count}


def train(
    model,
    train_files,
    valid_files,
    valid_chars: int,
    newline_ids: np.ndarray,
    sp: SpecialIds,
    cfg: TrainConfig,
    work: Path,
    state: dict | None = None,
) -> dict:
    """Trains until the time budget is spent; checkpoints to ``work/ckpt.pt`` as it goes."""
    torch.manual_seed(cfg.seed)
    if cfg.device == "cpu":
        torch.set_num_threads(cfg.threads)
    model.to(cfg.device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0},
        ],
        lr=cfg.lr,
        betas=(0.9, 0.95),
        fused=True,
    )
    state = state or {"step": 0, "elapsed": 0.0, "tokens": 0, "log": []}
    # Kept with the state: --export-only on another machine still names where this run trained.
    state["hardware"] = hardware(cfg)
    if "optimizer" in state:
        opt.load_state_dict(state.pop("optimizer"))
    stream = Stream(
        train_files,
        newline_ids,
        sp,
        cfg.seq_len,
        cfg.batch,
        cfg.fim_rate,
        cfg.seed + state["step"],
        cfg.spm_share,
    )
    budget = cfg.minutes * 60 if not cfg.steps else float("inf")
    t0 = time.monotonic() - state["elapsed"]
    last_ckpt = last_eval = time.monotonic()
    if cfg.steps:
        bar = tqdm(total=cfg.steps, initial=state["step"], unit="step", desc="training")
    else:
        bar = tqdm(total=int(budget), initial=int(state["elapsed"]), unit="s", desc="training")
    model.train()
    for batch, weight in stream.batches():
        elapsed = time.monotonic() - t0
        if elapsed >= budget or (cfg.steps and state["step"] >= cfg.steps):
            break
        frac = state["step"] / cfg.steps if cfg.steps else elapsed / budget
        lr = lr_at(cfg, state["step"], frac)
        for g in opt.param_groups:
            g["lr"] = lr
        x = torch.from_numpy(batch).to(cfg.device)
        with _autocast(cfg):
            logits = model(x[:, :-1]).logits
        w = torch.from_numpy(weight[:, 1:]).float().reshape(-1).to(cfg.device)
        per_token = torch.nn.functional.cross_entropy(
            logits.float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="none"
        )
        loss = (per_token * w).sum() / w.sum().clamp(min=1.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        state["tokens"] += x.shape[0] * (x.shape[1] - 1)
        state["elapsed"] = time.monotonic() - t0
        bar.update((state["step"] if cfg.steps else int(state["elapsed"])) - bar.n)
        if state["step"] % 20 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{lr:.2e}", tok=state["tokens"])
            state["log"].append([state["step"], round(state["elapsed"], 1), round(loss.item(), 4)])
        now = time.monotonic()
        if now - last_eval > cfg.eval_every_s:
            last_eval = now
            ev = {
                **evaluate(model, valid_files, valid_chars, sp.eot, cfg),
                **evaluate_fim(model, valid_files, newline_ids, sp, cfg),
            }
            state.setdefault("evals", []).append(
                {"step": state["step"], "tokens": state["tokens"], **ev}
            )
            tqdm.write(json.dumps(state["evals"][-1]))
        if now - last_ckpt > cfg.ckpt_every_s:
            last_ckpt = now
            save_checkpoint(model, opt, state, cfg, work)
    bar.close()
    save_checkpoint(model, opt, state, cfg, work)
    # The model alone in fp16 (a sixth of ckpt.pt): what a GPU run sends back for --export-only.
    fp16 = {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()}
    torch.save({"model": fp16, "state": state, "config": asdict(cfg)}, work / "final-fp16.pt")
    return state


def save_checkpoint(model, opt, state: dict, cfg: TrainConfig, work: Path) -> None:
    tmp = work / "ckpt.pt.tmp"
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "state": state,
            "config": asdict(cfg),
        },
        tmp,
    )
    tmp.replace(work / "ckpt.pt")
