"""Stage-level behaviour: language id, sentence splitting, taxonomy validation, theme evidence."""

from __future__ import annotations

import pandas as pd
import pytest

from vocnlp.components.text import LanguageId, SentenceSplit, split_clauses
from vocnlp.errors import ConfigError
from vocnlp.taxonomy.schema import load_taxonomy


def test_language_id_prefers_expected_and_abstains_on_short():
    lid = LanguageId(expected=["fr", "en"])
    lid.setup(None)
    assert lid.identify("La facture était fausse et personne ne répond") == "fr"
    assert lid.identify("The bill was wrong and nobody answers") == "en"
    assert lid.identify("ok") == "und"
    assert lid.identify("Die Rechnung war falsch und niemand antwortet am Telefon") == "de"


def test_sentence_split_keeps_abbreviations_and_line_breaks():
    split = SentenceSplit()
    split.setup(None)
    out = split.split(["Vu M. Dupont hier. Très bien !\nMais la facture est fausse", "one sentence"], ["fr", "en"])
    assert out[0] == ["Vu M. Dupont hier.", "Très bien !", "Mais la facture est fausse"]
    assert out[1] == ["one sentence"]


def test_lines_that_skip_the_parse_split_as_spacy_would(monkeypatch):
    """Lines with no sentence-ending character before their closing punctuation skip spaCy; the result must be
    the sentencizer's, including its whitespace tokens and non-ASCII sentence ends."""
    import vocnlp.components.text as text

    lines = ["Great service!!!", "Fin.  ?", "Fin. ?", "Bien !\t", "Non ! ! !", "...", "!!", "3.5 stars", "ok",
             "Wait... what?!", "Bien。Merci", "¿Qué? No sé", "Très bien …", "Vu M. Dupont hier. Très bien !",
             "Service rapide, mais facture fausse", "Hello ! World", "a . b", "x \u2026 y"]  # fmt: skip
    split = SentenceSplit()
    split.setup(None)
    fast = split.split(lines, ["fr"] * len(lines))
    assert not text._may_hold_sentences("Great service!!!") and text._may_hold_sentences("Fin.  ?")
    monkeypatch.setattr(text, "_may_hold_sentences", lambda line: True)
    assert fast == split.split(lines, ["fr"] * len(lines))


def test_sentence_split_vocabulary_is_renewed_without_changing_the_split(monkeypatch):
    """spaCy keeps every new word for a pipeline's life; the splitter builds its pipelines afresh past a bound
    (memory flat over a long dump), and what it splits does not depend on when that happened."""
    import vocnlp.components.spacy_vocabulary as vocabulary

    texts = [f"Commande {i} livrée en retard, colis abîmé. Service client injoignable ({i}x)." for i in range(60)]
    reference = SentenceSplit()
    reference.setup(None)
    expected = reference.split(texts, ["fr"] * len(texts))
    monkeypatch.setattr(vocabulary, "NEW_STRINGS_LIMIT", 20)
    renewed = SentenceSplit()
    renewed.setup(None)
    first = renewed._pipeline("fr")
    out = [renewed.split([t], ["fr"])[0] for t in texts]
    assert out == expected
    assert renewed._pipeline("fr") is not first  # built again at least once
    assert len(renewed._pipeline("fr").vocab.strings) < len(reference._pipeline("fr").vocab.strings)


@pytest.mark.parametrize(
    "sentence,mode,pieces",
    [
        (
            "Conseillère adorable mais la facture est fausse.",
            "contrast",
            ["Conseillère adorable", "mais la facture est fausse."],
        ),
        ("Good prices, terrible app.", "punctuation", ["Good prices", "terrible app."]),
        ("Good prices, terrible app.", "contrast", ["Good prices, terrible app."]),
        # Additive "mais aussi" and short openers ("Bonjour,") are not turning points.
        ("Non seulement cher mais aussi lent.", "punctuation", ["Non seulement cher mais aussi lent."]),
        ("Bonjour, je voudrais résilier.", "punctuation", ["Bonjour, je voudrais résilier."]),
        ("Friendly staff but the bill was wrong.", "off", ["Friendly staff but the bill was wrong."]),
    ],
)
def test_clause_split_cuts_at_turning_points_only(sentence, mode, pieces):
    assert split_clauses(sentence, mode) == pieces


def test_sentence_split_rejects_unknown_clause_mode():
    with pytest.raises(ValueError, match="clauses must be one of"):
        SentenceSplit(clauses="commas")


def _write(tmp_path, text):
    path = tmp_path / "tax.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body,needle",
    [
        (
            "themes:\n  - id: a\n    name: {en: A, fr: A}\n    seeds: {en: [x]}\n  - id: a\n    name: {en: B, fr: B}\n"
            "    seeds: {en: [y]}\n",
            "duplicate ids",
        ),
        ("themes:\n  - id: a\n    name: {en: A}\n    seeds: {en: [x]}\n", "name in English and French"),
        (
            "themes:\n  - id: a\n    name: {en: A, fr: A}\n    subthemes:\n"
            "      - id: b.x\n        name: {en: X, fr: X}\n"
            "        seeds: {en: [x]}\n",
            "does not start with 'a.'",
        ),
        ("themes:\n  - id: a\n    name: {en: A, fr: A}\n", "no seed phrases"),
    ],
)
def test_taxonomy_validation_errors(tmp_path, body, needle):
    with pytest.raises(ConfigError, match=needle):
        load_taxonomy(_write(tmp_path, body))


def test_mixed_comment_gets_theme_level_evidence(pipeline):
    from vocnlp import analyze

    one_sentence = analyze(pd.DataFrame({"comment": ["Conseillère adorable mais la facture est fausse."]}))
    clauses = one_sentence.mentions.set_index("theme_id")
    assert clauses.loc["billing", "evidence"] == "mais la facture est fausse."
    assert clauses.loc["billing", "sentiment"] == "negative" and clauses.loc["staff", "sentiment"] == "positive"
    assert one_sentence.comments["sentiment"].iloc[0] == "mixed"

    result = analyze(
        pd.DataFrame(
            {"comment": ["The adviser was really kind and patient. But I was charged twice on my last invoice."]}
        )
    )
    mentions = result.mentions.set_index("theme_id")
    assert {"staff", "billing"} <= set(mentions.index)
    assert "charged twice" in mentions.loc["billing", "evidence"]
    assert "kind" in mentions.loc["staff", "evidence"]
    assert mentions.loc["billing", "sentiment"] == "negative" and mentions.loc["staff", "sentiment"] == "positive"


def test_capitals_are_embedded_in_sentence_case_only_when_shouted():
    from vocnlp.components.embed import unshout

    assert unshout("FACTURÉ DEUX FOIS CE MOIS-CI !") == "Facturé deux fois ce mois-ci !"
    assert unshout("« JE PAIE PLUS »") == "« Je paie plus »"
    assert unshout("RAS") == "RAS"  # too short to be shouting
    assert unshout("I HATE this new app") == "I HATE this new app"  # one word in capitals is emphasis
    # ASCII text is counted by its own path: the same share of capitals decides (11 of 13 letters: shouting).
    assert unshout("...BILLED TWICE, ok") == "...Billed twice, ok"
    assert unshout("BILLED TWICe, ok") == "BILLED TWICe, ok"  # 10 of 13
    assert unshout("ABC_DEF 123") == "Abc_def 123"  # the underscore and digits are not letters


def test_non_answers_get_no_theme_even_under_a_low_threshold(pipeline):
    from vocnlp.components.themes import Themes

    encoder = pipeline.context.encoder
    stage = Themes(threshold=0.2, model=None)  # the seeds alone
    stage.setup(pipeline.context)
    vectors = encoder.encode(["fine", "RAS", "rien à signaler", "the bill was wrong twice"])
    chosen, best, _ = stage.assign(vectors)
    assert (best[:3].max(axis=1) >= 0.2).all()  # without the non-answer rule these would all get a theme
    assert not chosen[:3].any()
    assert chosen[3, stage.index.theme_ids.index("billing")]
    stage._no_theme = None
    assert stage.assign(vectors)[0][:3].any(axis=1).all()


def test_second_theme_of_a_clause_must_be_close_to_the_first(pipeline):
    from vocnlp.components.themes import Themes

    vectors = pipeline.context.encoder.encode(["I waited two weeks for a simple answer"])
    loose, strict = Themes(threshold=0.2, margin=0.0, model=None), Themes(threshold=0.2, margin=0.05, model=None)
    for stage in (loose, strict):
        stage.setup(pipeline.context)
    chosen, best, _ = loose.assign(vectors)
    assert chosen.sum() == 2 and sorted(best[0])[-2] < best[0].max() - 0.05
    assert strict.assign(vectors)[0].sum() == 1
