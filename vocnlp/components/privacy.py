"""The personal-data masking stage: models, evidence, reports and exports only ever see masked text."""

from __future__ import annotations

from typing import Literal, Sequence

from vocnlp.components.pii import KINDS, PiiMasker
from vocnlp.pipeline.registry import Batch, Stage, live_rows, register_stage


@register_stage("mask_pii")
class MaskPersonalData(Stage):
    """Replace e-mails, phones, IBANs, card numbers and person names with ``[EMAIL]``, ``[PHONE]``...

    Runs after language identification (phone formats and the French name
    model depend on it) and before everything else, so that evidence
    sentences, representative comments and the exported text column are all
    masked. ``enabled: false`` (or ``vocnlp run --keep-personal-data``) keeps
    the text as written. Adds ``pii_masked``: the kinds masked in each comment.
    """

    requires = ()
    assigns = ("pii_masked",)

    def __init__(
        self,
        enabled: bool = True,
        kinds: Sequence[Literal["email", "phone", "iban", "card", "person"]] = KINDS,
        person_names: bool = True,
    ):
        self.enabled = enabled
        self.masker = PiiMasker(kinds, person_names=person_names)

    def setup(self, context) -> None:
        """Load the French name model once, with the other models (not inside the first chunk)."""
        if self.enabled:
            self.masker.load()

    def __call__(self, batch: Batch) -> Batch:
        """Rewrite ``_text`` masked; add ``text_masked`` (for the outputs) and ``pii_masked``."""
        comments = batch.comments
        if not self.enabled:
            comments["pii_masked"] = ""
            return batch
        live = live_rows(comments)
        texts = comments["_text"].tolist()
        languages = comments["language"].tolist() if "language" in comments else ["fr"] * len(texts)
        index = [i for i, ok in enumerate(live) if ok]
        masked = self.masker.mask_many([texts[i] for i in index], [languages[i] for i in index])
        kinds = [""] * len(texts)
        for i, (text, found) in zip(index, masked):
            texts[i] = text
            kinds[i] = ";".join(found)
        comments["_text"] = texts
        comments["text_masked"] = texts
        comments["pii_masked"] = kinds
        return batch

    def describe(self) -> dict:
        """What is masked and with which name model."""
        return {
            **super().describe(),
            "enabled": self.enabled,
            "kinds": list(self.masker.kinds),
            "person_names": "spaCy fr_core_news_sm entities on French comments, plus titles and cues"
            if self.masker.person_names
            else "off",
        }
