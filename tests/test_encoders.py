"""Whole-comment vectors built from the sentences' token features (vocnlp/modeling/encoders/joined.py)."""

from __future__ import annotations

import numpy as np
import pytest

from vocnlp.modeling.encoders.joined import RECEPTIVE, plan_join


def _feature(tokens: list[int], position: int) -> int:
    """A stand-in for a token's features: any function of the ids within RECEPTIVE positions (outside: padding)."""
    window = tuple(
        tokens[p] if 0 <= p < len(tokens) else None for p in range(position - RECEPTIVE, position + RECEPTIVE + 1)
    )
    return hash(window) % 1_000_003


def _total(tokens: list[int], start: int = 0, stop: int | None = None) -> int:
    return sum(_feature(tokens, p) for p in range(start, len(tokens) if stop is None else stop))


def test_a_join_plan_rebuilds_the_whole_texts_token_sum_from_its_parts():
    for seed in range(300):
        rng = np.random.default_rng(seed)
        bodies = [list(rng.integers(3, 12, rng.integers(1, 14))) for _ in range(rng.integers(1, 5))]
        # Between parts, sometimes a token the split dropped (a comma); sometimes one before the first part too.
        whole = [1]
        for body in bodies:
            whole += [99] * int(rng.integers(0, 2)) + [int(t) for t in body]
        whole += [99] * int(rng.integers(0, 2)) + [2]
        parts = [[1, *map(int, body), 2] for body in bodies]
        plan = plan_join(whole, parts)
        assert plan is not None and plan.length == len(whole)
        rebuilt = sum(_total(part) for part in parts)
        rebuilt -= sum(_total(parts[number], start, stop) for number, start, stop in plan.subtract)
        rebuilt += sum(_total(patch, start, stop) for patch, start, stop in plan.patches)
        assert rebuilt == _total(whole), seed


def test_parts_whose_tokens_are_not_in_the_whole_in_order_have_no_plan():
    assert plan_join([1, 5, 6, 7, 2], [[1, 6, 2], [1, 5, 2]]) is None
    assert plan_join([1, 5, 6, 2], [[1, 5, 6, 7, 2]]) is None


@pytest.mark.parametrize("precision", ["float32", "auto"])
def test_a_comment_built_from_its_sentences_gets_the_vector_of_the_whole_comment(precision):
    from vocnlp.components.embed import unshout
    from vocnlp.components.text import SentenceSplit
    from vocnlp.modeling.encoders.backends import MultilingualUSE

    comments = [
        "The app crashed twice this week. Support never answered my emails, and I waited ten days for a refund.",
        "Livraison en retard de trois jours. Le livreur était aimable, mais le colis était abîmé.",
        "Great prices, terrible app",
        "I called. Then I called again. Nobody knew anything about my contract!",
        "FACTURE FAUSSE. J'AI APPELÉ TROIS FOIS ET PERSONNE NE RÉPOND.",
        "ok. fine.",
    ]
    split = SentenceSplit()
    split.setup(None)
    sentences = split.split(comments, ["en", "fr", "en", "en", "fr", "en"])
    texts = sorted({unshout(s) for parts in sentences for s in parts})
    index = {text: i for i, text in enumerate(texts)}
    joins = [[index[unshout(s)] for s in parts] for parts in sentences]
    wholes = [unshout(c) for c in comments]
    encoder = MultilingualUSE(precision=precision)
    parts, built = encoder.encode_joined(texts, wholes, joins)
    assert np.array_equal(parts, encoder.encode(texts))  # the sentences' own vectors are untouched
    whole = encoder.encode(wholes)
    cosine = (built * whole).sum(axis=1)
    # float32 products: the same sum to float rounding; bfloat16 products round each batch a little differently.
    assert cosine.min() > (0.99999 if encoder.precision == "float32" else 0.999), cosine
