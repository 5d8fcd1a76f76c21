"""Generate the bundled synthetic bilingual survey dump with planted drivers.

Each respondent mentions 0–3 themes, written as French or English sentences
(5 % mix both). Scores are drawn from a model with known effects:

* NPS: billing errors (−4.2) and repeat contacts / effort (−3.8) drive
  detractors; friendly staff (+1.0) lifts promoters; other themes have small
  negative effects.
* Churn: long waits (+2.4 on the log-odds) drive churn; the rest barely matter.

Noise is realistic: short answers ("RAS", "ok"), typos, accents dropped, all
caps, empty comments, invalid scores ("N/A", 11, -1), duplicate ids. The
phrases are written independently of the taxonomy's seed phrases, so finding
the themes is a real test of the zero-shot stage. The truth file lists the
planted themes of every row.
"""

from __future__ import annotations

import csv
import math
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import numpy as np

PHRASES: dict[str, dict[str, list[str]]] = {
    "billing": {
        "en": [
            "My last invoice had a charge I never agreed to.",
            "They took the money twice this month.",
            "The amount on the bill was completely wrong.",
            "Billed for an option I cancelled long ago.",
            "Three months of wrong bills and still no correction.",
            "There was a mistake on my invoice again.",
            "They debited far more than the agreed amount.",
            "Got overcharged and had to prove it myself.",
        ],
        "fr": [
            "Ma dernière facture comportait des frais que je n'ai jamais acceptés.",
            "Ils m'ont prélevé deux fois ce mois-ci.",
            "Le montant de la facture était complètement faux.",
            "Facturé pour une option résiliée depuis longtemps.",
            "Trois mois de factures fausses et toujours pas de correction.",
            "Encore une erreur sur ma facture.",
            "Prélèvement bien supérieur au montant prévu.",
            "On m'a surfacturé et j'ai dû le prouver moi-même.",
        ],
    },
    "effort": {
        "en": [
            "I must have phoned them five times for the same thing.",
            "Every time I call I have to explain everything again from scratch.",
            "Had to ring back over and over before anyone did anything.",
            "Third call this week and nothing has moved.",
            "I keep contacting them and nobody follows up.",
            "It took six calls and two emails to sort this out.",
        ],
        "fr": [
            "J'ai téléphoné au moins cinq fois pour la même chose.",
            "À chaque appel il faut tout réexpliquer depuis le début.",
            "J'ai multiplié les appels avant que quelqu'un bouge.",
            "Troisième appel cette semaine et rien n'a bougé.",
            "Je les contacte sans arrêt et personne ne fait le suivi.",
            "Il a fallu six appels et deux mails pour régler ça.",
        ],
    },
    "waiting": {
        "en": [
            "Spent almost an hour on hold before speaking to anyone.",
            "The waiting time on the hotline is ridiculous.",
            "I waited two weeks for a simple answer.",
            "Nobody picks up, you just wait and wait.",
            "Queue music for 45 minutes, unacceptable.",
            "Far too long to get through to an adviser.",
        ],
        "fr": [
            "Presque une heure en ligne avant de parler à quelqu'un.",
            "Le temps d'attente à la hotline est ridicule.",
            "Deux semaines d'attente pour une simple réponse.",
            "Personne ne décroche, on attend et on attend.",
            "45 minutes de musique d'attente, inadmissible.",
            "Beaucoup trop long pour joindre un conseiller.",
        ],
    },
    "staff": {
        "en": [
            "The lady I spoke to was lovely and really helpful.",
            "Very friendly adviser, took the time to explain.",
            "Staff in the shop were welcoming and kind.",
            "The technician was polite and cheerful.",
            "Great person on the phone, patient and warm.",
            "Really nice customer service rep.",
        ],
        "fr": [
            "La dame que j'ai eue était adorable et très serviable.",
            "Conseiller très sympathique qui a pris le temps d'expliquer.",
            "Personnel de la boutique accueillant et gentil.",
            "Le technicien était poli et de bonne humeur.",
            "Interlocutrice au top, patiente et chaleureuse.",
            "Une conseillère vraiment agréable.",
        ],
    },
    "price": {
        "en": [
            "Way too pricey compared with other providers.",
            "The subscription costs too much for what it is.",
            "They raised the price again without asking.",
            "I pay more every year for the same thing.",
        ],
        "fr": [
            "Bien trop cher par rapport aux autres opérateurs.",
            "L'abonnement coûte trop cher pour ce que c'est.",
            "Ils ont encore augmenté le tarif sans demander.",
            "Je paie plus chaque année pour la même chose.",
        ],
    },
    "digital": {
        "en": [
            "The app crashes every time I open my bills.",
            "Could not log into the customer portal for days.",
            "The website is a maze, impossible to find anything.",
            "Password reset on the site never works.",
        ],
        "fr": [
            "L'appli plante dès que j'ouvre mes factures.",
            "Impossible d'accéder à l'espace client pendant des jours.",
            "Le site est un labyrinthe, on ne trouve rien.",
            "La réinitialisation du mot de passe sur le site ne marche jamais.",
        ],
    },
    "delivery": {
        "en": [
            "The engineer didn't turn up for the appointment.",
            "My router arrived ten days late.",
            "They cancelled the installation the day before.",
            "Nobody came on the day booked for the install.",
        ],
        "fr": [
            "Le technicien ne s'est pas présenté au rendez-vous.",
            "Ma box est arrivée avec dix jours de retard.",
            "Ils ont annulé l'installation la veille.",
            "Personne n'est venu le jour prévu pour l'installation.",
        ],
    },
    "quality": {
        "en": [
            "Internet drops out several times a day.",
            "The line was down for a whole week.",
            "The signal is terrible in my area.",
            "Service keeps cutting off in the evening.",
        ],
        "fr": [
            "Internet se coupe plusieurs fois par jour.",
            "La ligne a été coupée pendant une semaine entière.",
            "Le réseau est catastrophique dans mon quartier.",
            "Le service coupe sans cesse le soir.",
        ],
    },
}
PRAISE = {
    "en": [
        "Overall very happy with the service.",
        "Everything works, nothing to complain about.",
        "Great service, I recommend.",
    ],
    "fr": [
        "Globalement très satisfait du service.",
        "Tout fonctionne, rien à redire.",
        "Super service, je recommande.",
    ],
}
SHORT = ["ok", "RAS", "rien à signaler", "nothing to add", "n/a", "...", "bien", "fine", "no comment", "-", "RAS merci"]
POSITIVE_THEMES = {"staff"}

THEME_WEIGHTS = {
    "billing": 0.14,
    "effort": 0.12,
    "waiting": 0.15,
    "staff": 0.17,
    "price": 0.13,
    "digital": 0.10,
    "delivery": 0.09,
    "quality": 0.10,
}
NPS_EFFECTS = {
    "billing": -4.2,
    "effort": -3.8,
    "waiting": -1.0,
    "price": -1.0,
    "digital": -0.8,
    "delivery": -1.2,
    "quality": -1.4,
    "staff": 1.0,
    "praise": 1.0,
}
CHURN_EFFECTS = {"waiting": 2.4, "billing": 0.4, "effort": 0.5, "price": 0.5, "quality": 0.5, "staff": -0.4}
NPS_BASE, NPS_NOISE, CHURN_BASE = 8.4, 1.2, -2.8

COLUMNS = ["id_client", "commentaire", "note_recommandation", "resilie", "date_reponse", "segment"]


def _typo(text: str, rng: np.random.Generator) -> str:
    letters = [i for i, c in enumerate(text[:-1]) if c.isalpha() and text[i + 1].isalpha()]
    if not letters:
        return text
    i = int(rng.choice(letters))
    if rng.random() < 0.5:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _compose(themes: list[str], lang_mode: str, rng: np.random.Generator) -> str:
    parts = []
    for k, theme in enumerate(themes):
        lang = lang_mode if lang_mode != "mixed" else ("fr" if k % 2 == 0 else "en")
        pool = PHRASES[theme][lang] if theme != "praise" else PRAISE[lang]
        parts.append(str(rng.choice(pool)))
    if len(parts) == 2 and (themes[0] in POSITIVE_THEMES) != (themes[1] in POSITIVE_THEMES) and rng.random() < 0.5:
        # "Lovely adviser but the bill was wrong": one sentence, two polarities.
        lang = lang_mode if lang_mode != "mixed" else "en"
        joiner = " mais " if lang == "fr" else " but "
        return parts[0].rstrip(".") + joiner + parts[1][0].lower() + parts[1][1:]
    return " ".join(parts)


def generate(rows: int = 2000, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """Return (survey rows, truth rows) for ``rows`` respondents."""
    rng = np.random.default_rng(seed)
    names = list(THEME_WEIGHTS)
    weights = np.asarray([THEME_WEIGHTS[t] for t in names])
    weights = weights / weights.sum()
    survey, truth = [], []
    start = date(2026, 1, 1)
    for i in range(rows):
        u = rng.random()
        lang_mode = "fr" if u < 0.5 else ("en" if u < 0.95 else "mixed")
        kind_u = rng.random()
        themes: list[str]
        if kind_u < 0.03:
            kind, themes, text = "empty", [], ("" if rng.random() < 0.7 else "   ")
        elif kind_u < 0.10:
            kind, themes, text = "short", [], str(rng.choice(SHORT))
        elif kind_u < 0.14:
            kind, themes = "praise", []
            text = _compose(["praise"], lang_mode, rng)
        else:
            kind = "themes"
            k = int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
            themes = list(rng.choice(names, size=k, replace=False, p=weights))
            text = _compose(themes, lang_mode, rng)
        if kind in {"themes", "praise"}:
            if rng.random() < 0.08:
                text = _typo(text, rng)
            if lang_mode == "fr" and rng.random() < 0.10:
                text = _strip_accents(text)
            if any(t not in POSITIVE_THEMES for t in themes) and rng.random() < 0.03:
                text = text.upper()
        effects = themes + (["praise"] if kind == "praise" else [])
        latent = NPS_BASE + sum(NPS_EFFECTS.get(t, 0) for t in effects) + rng.normal(0, NPS_NOISE)
        nps = int(min(10, max(0, round(latent))))
        logit = CHURN_BASE + sum(CHURN_EFFECTS.get(t, 0) for t in effects)
        churned = rng.random() < 1 / (1 + math.exp(-logit))
        respondent = f"C{100000 + i}"
        survey.append(
            {
                "id_client": respondent,
                "commentaire": text,
                "note_recommandation": str(nps),
                "resilie": "oui" if churned else "non",
                "date_reponse": (start + timedelta(days=int(rng.integers(0, 181)))).strftime("%d/%m/%Y"),
                "segment": "Professionnels" if rng.random() < 0.3 else "Particuliers",
            }
        )
        truth.append(
            {
                "id_client": respondent,
                "kind": kind,
                "language": lang_mode,
                "planted_themes": ";".join(sorted(themes)),
                "nps_true": nps,
                "churned_true": int(churned),
            }
        )
    _inject_invalid(survey, rng)
    return survey, truth


def _inject_invalid(survey: list[dict], rng: np.random.Generator) -> None:
    """Invalid scores, missing flags and duplicate ids, as real exports have."""
    picks = rng.choice(len(survey), size=24, replace=False)
    for j, value in zip(picks[:15], ["N/A"] * 4 + ["11"] * 3 + ["-1"] * 3 + [""] * 5):
        survey[int(j)]["note_recommandation"] = value
    for j in picks[15:20]:
        survey[int(j)]["resilie"] = ""
    for a, b in zip(picks[20:22], picks[22:24]):
        survey[int(b)]["id_client"] = survey[int(a)]["id_client"]


def write_sample(path: str | Path, rows: int = 2000, seed: int = 7) -> list[Path]:
    """Write the survey as ';'-separated UTF-8-with-BOM CSV (as French Excel does) and its truth file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    survey, truth = generate(rows, seed)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter=";")
        writer.writeheader()
        writer.writerows(survey)
    truth_path = path.with_name(path.stem + "_truth.csv")
    with truth_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(truth[0]))
        writer.writeheader()
        writer.writerows(truth)
    return [path, truth_path]
