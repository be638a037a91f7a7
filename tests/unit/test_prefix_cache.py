"""The prefix cache's bookkeeping and the prompt window that keeps a cached prefix valid."""

from __future__ import annotations

from completion.prefix_cache import MAX_REUSE_TAIL, MIN_STATIC_TOKENS, PrefixCache
from completion.prompt import prefix_window


def _ids(n: int, start: int = 0) -> tuple[int, ...]:
    return tuple(range(start, start + n))


def test_first_prompt_caches_up_to_the_cut_and_the_next_reuses_it():
    cache = PrefixCache(1 << 20, 100)
    first = cache.plan(_ids(300), cut=280)
    assert first.static == _ids(280) and first.rest == _ids(20, 280) and not first.hit
    # The user typed on the same line: the prompt grew after the cached prefix.
    second = cache.plan(_ids(310), cut=280)
    assert second.static == _ids(280) and second.rest == _ids(30, 280) and second.hit
    assert cache.hits == 1 and cache.held_bytes == 280 * 100


def test_a_long_tail_makes_a_new_longer_prefix():
    cache = PrefixCache(1 << 20, 100)
    cache.plan(_ids(300), cut=280)
    grown = 280 + MAX_REUSE_TAIL + 50
    plan = cache.plan(_ids(grown + 10), cut=grown)
    assert plan.static == _ids(grown) and not plan.hit


def test_an_edit_above_the_cursor_does_not_reuse_a_stale_prefix():
    cache = PrefixCache(1 << 20, 100)
    cache.plan(_ids(300), cut=280)
    edited = (999, *_ids(299, 1))
    plan = cache.plan(edited, cut=280)
    assert not plan.hit and plan.static == edited[:280]


def test_the_budget_resets_everything_when_a_new_prefix_does_not_fit():
    cache = PrefixCache(500 * 100, 100)  # room for 500 cached tokens
    assert not cache.plan(_ids(300), cut=290).reset
    plan = cache.plan(_ids(300, 10_000), cut=290)  # another document: 580 tokens in all
    assert plan.reset and cache.resets == 1 and cache.held_bytes == 290 * 100
    assert cache.held_bytes <= cache.budget


def test_short_prompts_zero_budget_and_oversized_prefixes_are_not_cached():
    assert PrefixCache(1 << 20, 100).plan(_ids(40), cut=MIN_STATIC_TOKENS - 1).static == ()
    assert PrefixCache(0, 100).plan(_ids(300), cut=280).static == ()
    # A budget smaller than the prefix caches the part of it that fits.
    small = PrefixCache(100 * 100, 100)
    assert small.plan(_ids(300), cut=280).static == _ids(100)
    again = small.plan(_ids(310), cut=290)  # and reuses it, without resetting
    assert again.static == _ids(100) and again.hit and not again.reset and small.resets == 0
    assert PrefixCache(1000, 100).plan(_ids(300), cut=280).static == ()
    # At least one token always follows the static prefix.
    plan = PrefixCache(1 << 20, 1).plan(_ids(100), cut=100)
    assert len(plan.rest) == 1


class _CharTokenizer:
    """One token per character: enough to test where a window starts."""

    def encode(self, text, add_special_tokens=False):
        return type("E", (), {"ids": list(range(len(text)))})()

    def encode_batch(self, lines, add_special_tokens=False):
        return [self.encode(line) for line in lines]

    def decode(self, ids):
        return "x" * len(ids)


def test_a_snapped_window_stays_put_while_the_user_types():
    tok = _CharTokenizer()
    body = "".join(f"line_{i:04d} = {i}\n" for i in range(400))
    starts, plain = set(), set()
    for typed in range(1, 40):
        prefix = body + "value = compute(" + "a" * typed
        window = prefix_window(tok, prefix, 600, snap=192)
        assert prefix.endswith(window) and window.endswith("a" * typed)
        assert len(window) <= 600 and len(window) > 600 - 192 - 20
        starts.add(len(prefix) - len(window))
        plain.add(len(prefix) - len(prefix_window(tok, prefix, 600)))
    assert len(starts) == 1  # one start for the whole line: the cached prefix stays valid
    assert len(plain) > 1  # without snapping it moves as the line grows


def test_a_window_that_fits_is_never_shortened():
    tok = _CharTokenizer()
    prefix = "import os\n\ndef main():\n    return os."
    assert prefix_window(tok, prefix, 600, snap=192) == prefix


def test_the_cut_is_after_the_last_newline_before_the_cursor_line():
    from completion.prefix_cache import line_cut

    nl = frozenset({10})
    assert line_cut((1, 2, 10, 3, 4, 10, 5, 6), nl, None) == 6
    # In a FIM prompt the suffix section (from its marker, 99) never goes into the prefix.
    assert line_cut((1, 10, 2, 3, 99, 10, 4, 98), nl, 99) == 2
    assert line_cut((1, 2, 3), nl, None) == 0


def test_warming_pays_only_for_a_prefix_that_is_not_kept():
    cache = PrefixCache(1 << 20, 100)
    assert cache.worth_warming(_ids(300), cut=280)  # nothing kept yet
    cache.plan(_ids(300), cut=280)
    assert not cache.worth_warming(_ids(310), cut=280)  # the kept prefix serves it
    # Far down the file (a tail too long to reuse) or another window: worth it again.
    assert cache.worth_warming(_ids(280 + MAX_REUSE_TAIL + 20), cut=400)
    assert cache.worth_warming(_ids(300, start=5000), cut=280)
    # Never for prefixes too short to cache, nor with caching off.
    assert not cache.worth_warming(_ids(MIN_STATIC_TOKENS), cut=MIN_STATIC_TOKENS - 1)
    assert not PrefixCache(0, 100).worth_warming(_ids(300, start=5000), cut=280)
