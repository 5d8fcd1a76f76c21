"""Survey-phrase sentiment rules: what they decide, that they say so, that they can be switched off, and errors."""

from __future__ import annotations

import pandas as pd
import pytest

from vocnlp import analyze, load_config
from vocnlp.components.sentiment_rules import load_rules
from vocnlp.errors import ConfigError
from vocnlp.resources import resource_path

COMMENTS = [
    "RAS",
    "No complaints whatsoever.",
    "Rien à redire, livraison rapide.",
    "Not happy with the delivery.",
    "The staff were lovely.",
    "Aucun problème avec la livraison. Par contre la facture était encore fausse !",
]


@pytest.fixture(scope="module")
def with_and_without_rules():
    frame = pd.DataFrame({"comment": COMMENTS})
    off = load_config()
    off.stage("sentiment").params["rules"] = None
    return analyze(frame), analyze(frame, off)


def test_rules_decide_non_answers_and_negations_and_name_the_rule(with_and_without_rules):
    on, _ = with_and_without_rules
    c = on.comments
    assert c["sentiment"].tolist()[:4] == ["neutral", "positive", "positive", "negative"]
    assert c["sentiment_rule"].tolist()[:4] == [
        "non_answer",
        "negated_complaint",
        "negated_complaint",
        "negated_praise",
    ]
    assert pd.isna(c.loc[4, "sentiment_rule"])
    # A non-answer expresses no emotion; "no complaints" is not anger.
    assert c.loc[0, "emotions"] == "neutral"
    assert not set(c.loc[1, "emotions"].split(";")) & {"anger", "frustration", "disappointment", "worry"}
    assert {s["name"]: s.get("rules") for s in on.meta["stages"]}["sentiment"] == "configs/sentiment_rules.yaml"


def test_a_negated_complaint_sentence_gives_its_theme_a_positive_sentiment(with_and_without_rules):
    on, _ = with_and_without_rules
    m = on.mentions[on.mentions["comment_id"] == on.comments.loc[5, "comment_id"]].set_index("theme_id")
    assert m.loc["delivery", "sentiment"] == "positive"
    assert m.loc["billing", "sentiment"] == "negative"


def test_switched_off_rules_leave_the_model_alone_and_leave_other_comments_unchanged(with_and_without_rules):
    on, off = with_and_without_rules
    assert off.comments["sentiment_rule"].isna().all()
    untouched = on.comments["sentiment_rule"].isna()
    assert untouched.any()
    pd.testing.assert_frame_equal(
        on.comments.loc[untouched, ["sentiment", "sentiment_score", "emotions"]],
        off.comments.loc[untouched, ["sentiment", "sentiment_score", "emotions"]],
    )
    assert (on.comments["sentiment"] != off.comments["sentiment"]).any()


def test_non_answers_match_whole_comments_only():
    rules = load_rules(resource_path("configs/sentiment_rules.yaml"))
    assert rules.non_answer(["RAS.", "n/a", "Rien à signaler !", "Nothing to report", "Néant", "  -  "]).all()
    assert not rules.non_answer(["RAS sauf la facture qui est fausse", "No, the bill is wrong", "Nothing works"]).any()
    kinds = rules.sentence_rules(
        [
            "pas mal de problèmes de réseau",
            "pas mal du tout",
            "No problem at all",
            "No problems, but not happy with the price",
        ]
    )
    assert kinds.tolist() == [None, "negated_complaint", "negated_complaint", None]  # conflict: left to the model


def test_a_solved_problem_is_praise_unless_negated_or_solved_by_the_customer():
    rules = load_rules(resource_path("configs/sentiment_rules.yaml"))
    kinds = rules.sentence_rules(
        [
            "The adviser solved my problem in five minutes.",
            "Problème résolu rapidement.",
            "Le conseiller a réglé mon souci.",
            "My issue is still not resolved.",
            "Mon problème n'est toujours pas réglé.",
            "They never fixed my problem.",
            "I fixed the problem myself.",
            "J'ai réglé le problème moi-même.",
        ]
    )
    assert kinds.tolist() == [
        "negated_complaint",
        "negated_complaint",
        "negated_complaint",
        "negated_praise",
        "negated_praise",
        None,
        None,
        None,
    ]  # negated solving matches both: the model's call


def test_a_problem_denied_only_in_the_past_is_not_praise():
    # "Never had a problem before" opens a complaint; "no problems so far" is praise.
    rules = load_rules(resource_path("configs/sentiment_rules.yaml"))
    kinds = rules.sentence_rules(
        [
            "Never had any issues in the past.",
            "Ten years a customer, never had a problem before",
            "Jamais eu de souci avant.",
            "No problems so far.",
            "Aucun souci jusqu'ici.",
        ]
    )
    assert kinds.tolist() == [None, None, None, "negated_complaint", "negated_complaint"]
    comment = analyze(pd.DataFrame({"comment": ["Never had any issues in the past. Now the app crashes every day."]}))
    assert comment.comments.loc[0, "sentiment"] == "negative"


def test_an_intent_to_leave_is_a_complaint_but_coming_from_a_competitor_is_not():
    rules = load_rules(resource_path("configs/sentiment_rules.yaml"))
    leaving = [
        "I am going to switch to a competitor.",
        "I'm cancelling my subscription.",
        "Moving to a cheaper mobile network.",
        "I will take my business elsewhere.",
        "Je vais partir à la concurrence.",
        "Je vais résilier.",
        "Je change d'opérateur dès que possible.",
    ]
    staying = [
        "I switched from a competitor and I am very happy.",
        "Cheaper than the competition.",
        "How do I close my account?",
        "I'd like to switch to another plan.",
        "Moins cher que la concurrence.",
        "Comment résilier mon contrat ?",
        "J'ai changé d'opérateur pour vous.",
    ]
    assert rules.sentence_rules(leaving).tolist() == ["negated_praise"] * len(leaving)
    assert rules.sentence_rules(staying).tolist() == [None] * len(staying)
    comment = analyze(pd.DataFrame({"comment": ["Good app. I am going to switch to a competitor anyway."]}))
    assert comment.comments.loc[0, "sentiment"] in ("negative", "mixed")


def test_review_verdicts_warn_off_or_recommend_and_decide_the_comment():
    rules = load_rules(resource_path("configs/sentiment_rules.yaml"))
    warns = [
        "A FUIIIIIR !!!",
        "fuyez cette assurance",
        "Je vous conseille de fuir.",
        "a éviter ,",
        "Je DECONSEILLE.",
        "je recommande pas",
        "Passez votre chemin.",
        "Avoid this company.",
        "Steer clear.",
        "Total rip-off.",
    ]
    recommends = [
        "Je recommande vivement.",
        "je vous la recommande sans hésiter",
        "Highly recommend them!",
        "Can not recommend them enough.",
    ]
    neither = [
        "Which plan would you recommend?",
        "To avoid delays they called ahead.",
        "Don't use that line publicly.",
        "Pour éviter les frais, appelez avant.",
        "I can't recommend this company.",
    ]
    assert rules.sentence_rules(warns).tolist() == ["warns_off"] * len(warns)
    assert rules.sentence_rules(recommends).tolist() == ["recommends"] * len(recommends)
    assert rules.sentence_rules(neither).tolist() == [None] * len(neither)
    # A verdict speaks for the review: polite or factual sentences around it do not make it positive or mixed.
    review = (
        "A fuir. Assuré depuis 10 ans, un bris de glace et un accrochage. La conseillère était aimable au téléphone."
    )
    c = analyze(pd.DataFrame({"comment": [review]})).comments
    assert c.loc[0, "sentiment"] == "negative" and "warns_off" in c.loc[0, "sentiment_rule"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("negated_praise:\n  en: ['(unclosed']\n", r"negated_praise/en pattern '\(unclosed' is not a valid"),
        ("negated_prase:\n  en: [x]\n", "unknown key"),
        ("confidence: 0.2\n", "confidence must be"),
        ("non_answer: [ras]\n", "must map languages"),
    ],
)
def test_rule_file_errors_say_what_and_where(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_rules(path)
    with pytest.raises(ConfigError, match="file not found"):
        load_rules(tmp_path / "missing.yaml")


def test_the_word_gate_never_changes_which_rule_decides():
    """Each pattern runs only on sentences holding one of its required words (rule_gates); the kinds found must be
    those of every regex run on every sentence, case tricks included (re matches ſ for s and ı for i)."""
    import re

    import numpy as np

    from vocnlp.components.rule_gates import required_words
    from vocnlp.components.sentiment_rules import KINDS, SENTENCE_KINDS, load_rules

    rules = load_rules("configs/sentiment_rules.yaml")
    # Both groups are required: the one whose shortest word is longest is kept.
    assert required_words(re.compile(r"^(?!.*\?)\b(solved|fixed)\s+(\w+\s+){0,2}problems?\b", re.I)) == ("problem",)
    assert required_words(re.compile(r"\b(solved|fixed)\s+it", re.I)) == ("fixed", "solved")
    assert required_words(re.compile(r"(\w+ )?maybe", re.I)) == ("maybe",)
    assert required_words(re.compile(r"\w+", re.I)) is None
    base = [
        "No problems at all, the issue was fixed quickly.",
        "I thought this issue was fixed!",
        "I would not recommend them. Avoid this company.",
        "Je recommande vivement, aucun souci.",
        "Ne marche pas, à fuir !!!",
        "Highly recommend",
        "Great staff.",
        "",
    ]
    sentences = base + [s.upper() for s in base] + [s.replace("s", "ſ").replace("i", "ı") for s in base]
    sentences += [s.replace("I", "İ") for s in base]

    def every_regex(texts):
        out = np.full(len(texts), None, dtype=object)
        for i, text in enumerate(texts):
            hits = [k for k in SENTENCE_KINDS if any(p.search(text) for p in rules.patterns[k])]
            if hits and len({KINDS[k] for k in hits}) == 1:
                out[i] = hits[0]
        return out

    gated = rules.sentence_rules(sentences)
    assert list(gated) == list(every_regex(sentences))
    assert sum(kind is not None for kind in gated) >= 8
