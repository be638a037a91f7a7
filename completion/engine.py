"""Loads a CTranslate2 decoder with its tokenizer and draws n candidates with per-token entropy."""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from pathlib import Path

import numpy as np

from .backend import ModelInfo, decode_pieces, token_stats
from .decoding import calls, step_callback
from .errors import (
    GenerationCancelled,
    ModelLoadError,
    NotADecoderModelError,
    TokenizerNotFoundError,
)
from .fim import detect, ends_with_prefix, family_label, for_format, stop_tokens
from .healing import heal
from .modeldir import (
    auto_threads,
    check_model_dir,
    declared_languages,
    model_hash,
    read_meta,
    resolve_compute,
    resolve_device,
)
from .prefix_cache import WINDOW_SNAP_CHARS, PrefixCache, kv_bytes_per_token, line_cut
from .prompt import Prompt, TokenText
from .types import Sample, SamplingPolicy

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "default"
# Prompt + generation window used when the caller does not set one.
MAX_AUTO_CONTEXT = 4096


def _release_at_exit(ref: weakref.ref) -> None:
    engine = ref()
    if engine is not None:
        engine.generator = None


class CT2Engine:
    """A CTranslate2 generator plus its tokenizer.

    Args:
        model_dir: a CTranslate2 model directory with tokenizer.json (None: the shipped model).
        device: "auto" (CUDA when CTranslate2 sees a GPU), "cpu" or "cuda".
        compute_type: "auto" (int8 on CPU, int8_float16 on GPU) or any CTranslate2 compute type.
        threads: intra-op threads on CPU; 0 = automatic: one thread for small models (see
            ``auto_threads``), CTranslate2's default (all cores) for the rest.
        context_tokens: prompt + generation budget; default: entropy-complete.json's
            ``context_length`` (2048 if absent), at most 4096.
        prompt_format: "fim", "prefix" (ignore the text after the cursor), or "auto": the
            model's entropy-complete.json ``prompt_format``, else FIM when the tokenizer has it.
        repeatable: the same request gives the same samples whatever ran before it (each
            sampled call after the first reloads the generator, ~15 ms for the shipped model:
            CTranslate2 seeds a worker thread's random generator once, issue 1757). The
            benchmark turns it on.
        prefix_cache_mb: memory for prompt prefixes kept computed between calls (the lines
            above the cursor, see ``prefix_cache``); 0 turns the reuse off; None: room for four
            full windows, at most 512 MiB.
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        device: str = "auto",
        compute_type: str = "auto",
        threads: int = 0,
        context_tokens: int | None = None,
        prompt_format: str = "auto",
        repeatable: bool = False,
        prefix_cache_mb: int | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        self.repeatable = repeatable
        self._sampled = False  # whether the generator's worker has drawn random numbers yet

        path = Path(model_dir).expanduser() if model_dir else DEFAULT_MODEL_DIR
        check_model_dir(path)
        meta = read_meta(path)
        dev = resolve_device(device)
        ctype = resolve_compute(dev, compute_type)
        try:
            self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception as e:  # tokenizers raises a bare Exception on bad JSON
            raise TokenizerNotFoundError(f"{path}/tokenizer.json cannot be read: {e}") from e
        if threads == 0 and dev == "cpu":
            threads = auto_threads(path)
        self._load_args = (str(path), dev, ctype, threads)
        per_token = kv_bytes_per_token(path / "model.bin", dev)
        # A model's own maximum (32k for Qwen2.5-Coder) would make whole-file prompts and slow
        # CPU completions: the window is capped unless the caller asks for more.
        window = int(context_tokens or min(int(meta.get("context_length", 2048)), MAX_AUTO_CONTEXT))
        budget = min(512 << 20, 4 * window * per_token)
        if prefix_cache_mb is not None:
            budget = prefix_cache_mb << 20
        self.prefix_cache = PrefixCache(budget, per_token)
        try:
            self.generator = self._new_generator()
            # Destroying a generator during interpreter teardown aborted the process
            # ("terminate called without an active exception"): release it at exit instead,
            # while Python is still whole.
            atexit.register(_release_at_exit, weakref.ref(self))
        except (RuntimeError, ValueError) as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            if "Unsupported model" in msg or "encoder" in msg.lower():
                raise NotADecoderModelError(f"{path} is not a decoder-only model: {msg}") from e
            raise ModelLoadError(f"cannot load {path} on {dev}/{ctype}: {msg}") from e
        vocab = self.tokenizer.get_vocab()
        self.template = detect(vocab)
        fmt = meta.get("prompt_format", "fim") if prompt_format == "auto" else prompt_format
        # What prompts use: a model's card may prefer prefix-only or suffix-first prompts even
        # when its tokenizer has FIM tokens (whichever the model completes best).
        try:
            self.prompt_template = for_format(self.template, fmt)
        except ValueError as e:
            raise ModelLoadError(str(e)) from None
        # Every special token ends a candidate: the end/FIM tokens of the family, and any other
        # control token the tokenizer has, so that none is ever shown to a user as text.
        specials = [
            t.content for t in self.tokenizer.get_added_tokens_decoder().values() if t.special
        ]
        self.stops = tuple(
            dict.fromkeys(
                [*stop_tokens(vocab, self.template), *(t for t in specials if t in vocab)]
            )
        )
        self.stop_ids = frozenset(vocab[t] for t in self.stops)
        self.vocab_text = TokenText(self.tokenizer)
        self.newline_ids = frozenset(i for i, t in enumerate(self.vocab_text.text) if "\n" in t)
        self._id_to_token = [
            self.tokenizer.id_to_token(i) for i in range(len(self.vocab_text.text))
        ]
        self.info = ModelInfo(
            path=str(path),
            model_id=model_hash(path),
            family=family_label(self.template, self.prompt_template),
            device=dev,
            compute_type=self.generator.compute_type,
            context_tokens=window,
            vocab_size=len(vocab),
            languages=declared_languages(meta.get("languages")),
            window_snap=WINDOW_SNAP_CHARS if budget > 0 else 0,
        )
        t = self.prompt_template
        # Where the prefix section of a prefix-suffix-middle prompt ends (a new static prefix
        # must end before it); suffix-first and prefix-only prompts end with the prefix.
        psm = None if ends_with_prefix(t) else t
        self._prefix_end_id = self.tokenizer.token_to_id(psm.suffix) if psm else None

    def _new_generator(self):
        import ctranslate2

        path, dev, ctype, threads = self._load_args
        return ctranslate2.Generator(path, device=dev, compute_type=ctype, intra_threads=threads)

    def _reload(self) -> None:
        """A fresh generator: a new worker thread, and no cached prefixes."""
        self.generator = self._new_generator()
        self.prefix_cache.clear()

    def _seed(self, seed: int) -> None:
        """Seeds the random stream of the next sampled call (see ``repeatable``)."""
        import ctranslate2

        if self.repeatable and self._sampled:
            # A fresh worker thread seeds its generator from the seed set just before it runs.
            self._reload()
        ctranslate2.set_random_seed(seed)
        self._sampled = True

    def forward(self, ids: tuple[int, ...], **options):
        """One ``generate_batch`` call continuing ``ids``, from its cached prefix when there is
        one (the prompt's tokens are forwarded at once, not returned); returns its result."""
        plan = self.prefix_cache.plan(ids, line_cut(ids, self.newline_ids, self._prefix_end_id))
        if plan.reset:
            self._reload()
        static = {"static_prompt": self._tokens(plan.static)} if plan.static else {}
        return self.generator.generate_batch(
            [self._tokens(plan.rest)], include_prompt_in_result=False, **static, **options
        )[0]

    def warm_prefix(self, prompt: Prompt) -> bool:
        """Computes and keeps the stable prefix of ``prompt`` (the lines above the cursor) unless
        one is already kept; True when it did. The server calls it when an edit moves the
        cursor to another line, while the editor waits before asking."""
        cut = line_cut(prompt.ids, self.newline_ids, self._prefix_end_id)
        if not self.prefix_cache.worth_warming(prompt.ids, cut):
            return False
        self.forward(prompt.ids, max_length=1, sampling_topk=1)
        return True

    def _tokens(self, ids) -> list[str]:
        return [self._id_to_token[i] for i in ids]

    def generate(
        self,
        prompt: Prompt,
        policy: SamplingPolicy,
        cancel: threading.Event | None = None,
        stop_at_newline: bool = False,
        stats: dict[str, float] | None = None,
    ) -> tuple[list[Sample], float]:
        """``Engine.generate``: all sampled candidates come from one call with
        ``num_hypotheses``, the prompt's cached prefix serves every call, and every token gets
        its log-prob and the entropy of the full next-token distribution."""
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("cancelled before generation")
        t_start = time.perf_counter()
        first: list[float] = []
        head_ids: list[int] = []
        head_lp: list[float] = []
        head_ent: list[float] = []
        ids = list(prompt.ids)
        n_sampled = policy.n - (1 if policy.include_greedy else 0)
        if n_sampled > 0:
            # Before healing: with ``repeatable`` this may reload the generator, which would
            # drop the prefix healing just cached.
            self._seed(policy.seed)
        if prompt.heal_ids:
            head_ids, head_lp, head_ent = heal(self.forward, prompt, self.vocab_text)
            ids += head_ids
            if stop_at_newline and head_ids[0] in self.newline_ids:
                stop_at_newline = False
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("cancelled before generation")
        room = max(1, min(policy.max_new_tokens, self.info.context_tokens - len(ids)))
        runs = calls(policy)
        samples: list[Sample] = []
        ent_time = 0.0
        # Giving up is for one call: with a greedy and a sampled call, one could give up while
        # the other shows a candidate, next to a cut-off one.
        give_up = policy.give_up if len(runs) == 1 else None
        gave_up: list[int] = []
        for opts, greedy in runs:
            healed_text = bool(head_ids) and head_ids[0] not in self.newline_ids
            on_step = step_callback(
                opts["num_hypotheses"],
                self.stop_ids,
                self.newline_ids,
                started_all=healed_text,
                stop_at_newline=stop_at_newline,
                cancel=cancel,
                first=first,
                give_up=give_up,
                start_sum=sum(head_lp),
                head="".join(self.vocab_text.text[i] for i in head_ids)[len(prompt.heal_text) :],
                gave_up=gave_up,
                pieces=self.vocab_text.text,
            )
            if give_up is not None and greedy:
                # Greedy steps carry their log-prob only with scores (sampled ones always do).
                opts = {**opts, "return_scores": True}
            res = self.forward(
                tuple(ids),
                max_length=room,
                return_logits_vocab=True,
                return_end_token=True,
                # Once every hypothesis has text on its line, a newline ends each one on its own
                # (CTranslate2 drops it from the batch) instead of decoding on until all end.
                end_token=list(self.stop_ids | self.newline_ids)
                if stop_at_newline and healed_text
                else list(self.stop_ids),
                callback=on_step,
                **opts,
            )
            if cancel is not None and cancel.is_set():
                raise GenerationCancelled("cancelled during generation")
            t = time.perf_counter()
            for seq, rows in zip(res.sequences_ids, res.logits):
                lps, ents = list(head_lp), list(head_ent)
                for tid, row in zip(seq, rows):
                    lp, ent = token_stats(np.asarray(row), tid)
                    lps.append(lp)
                    ents.append(ent)
                samples.append(Sample(tuple(head_ids + list(seq)), tuple(lps), tuple(ents), greedy))
            ent_time += time.perf_counter() - t
        if stats is not None and first:
            stats["first_token"] = first[0] - t_start
        if stats is not None and gave_up:
            stats["gave_up_at"] = gave_up[0]
        return samples, ent_time

    def decode_pieces(self, prompt: Prompt, ids: tuple[int, ...]) -> tuple[str, list[int]]:
        """Generated ids -> text and each token's start offset (``backend.decode_pieces``)."""
        return decode_pieces(self.tokenizer, prompt, ids)
