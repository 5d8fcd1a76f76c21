"""XED French lines are projections of English ones: no model trains on the translation of a held-out line."""

from __future__ import annotations

import numpy as np

from vocnlp.training.datasets import LabelledSplit, TrainingData
from vocnlp.training.xed_sources import source_pairs, without_held_out_translations

# (English line, its French translation, XED label numbers): a tiny XED folder in the published format.
LINES = [
    ("I am so angry at you !", "Je suis tellement en colère contre toi !", "1"),
    ("I'm scared of the dark .", "J'ai peur du noir.", "4"),
    ("What a wonderful surprise !", "Quelle merveilleuse surprise !", "5,7"),
    ("Thank you , I trust you completely .", "Merci, je te fais entièrement confiance.", "8"),
    ("He died last night .", "Il est mort hier soir.", "6"),
]
# A French line with different labels from its closest English line is not taken for its translation.
UNMATCHED_FRENCH = ("Tu me dégoûtes.", "3")


def _xed_folder(tmp_path):
    folder = tmp_path / "xed"
    folder.mkdir()
    (folder / "en-annotated.tsv").write_text("".join(f"{en}\t{labels}\n" for en, _, labels in LINES), "utf-8")
    french = [(fr, labels) for _, fr, labels in LINES] + [UNMATCHED_FRENCH]
    (folder / "fr-projections.tsv").write_text("".join(f"{fr}\t{labels}\n" for fr, labels in french), "utf-8")
    return tmp_path


def _split(name, texts, language):
    return LabelledSplit(name, list(texts), np.asarray(["x"] * len(texts)), ["x"], language)


def test_translations_are_paired_by_meaning_and_labels(tmp_path):
    pairs = dict(source_pairs(_xed_folder(tmp_path)))
    assert pairs == {fr: en for en, fr, _ in LINES}


def test_training_and_dev_rows_that_translate_a_held_out_line_are_removed(tmp_path):
    root = _xed_folder(tmp_path)
    en = [en for en, _, _ in LINES]
    fr = [fr for _, fr, _ in LINES] + [UNMATCHED_FRENCH[0]]
    # English sources of French test lines 0-1 in training, of French dev line 2 in training; French line 3 in
    # dev translates English test line 3; line 4 is in training in both languages and stays.
    train = [_split("xed_en_train", [en[0], en[1], en[2], en[4]], "en"), _split("xed_fr_train", [fr[4], fr[5]], "fr")]
    dev = [_split("xed_en_dev", [], "en"), _split("xed_fr_dev", [fr[2], fr[3]], "fr")]
    test = [_split("xed_en_test", [en[3]], "en"), _split("xed_fr_test", [fr[0], fr[1]], "fr")]
    data = TrainingData("toy", train, dev, test, root=root)
    clean = without_held_out_translations(data, log=lambda _: None)
    assert clean.train[0].texts == [en[4]] and clean.train[1].texts == [fr[4], fr[5]]
    assert clean.dev[1].texts == [fr[2]]
    assert clean.test == data.test
    assert clean.removed_translations == {"xed_en_train": 3, "xed_fr_dev": 1}
    assert len(clean.train[0].y) == 1


def test_data_without_a_public_root_or_without_both_languages_is_left_alone(tmp_path):
    english_only = TrainingData(
        "toy",
        [_split("a", ["I'm scared of the dark ."], "en")],
        [],
        [_split("b", ["He died last night ."], "en")],
        root=_xed_folder(tmp_path),
    )
    assert without_held_out_translations(english_only) is english_only
    users = TrainingData(
        "file:x.csv", [_split("a", ["J'ai peur du noir."], "fr")], [], [_split("b", ["I'm scared of the dark ."], "en")]
    )
    assert without_held_out_translations(users) is users
