"""A whole comment's USE v3 vector from its sentences' token features: only the tokens around each junction are
run through the encoder again.

USE v3 (:mod:`vocnlp.modeling.encoders.use_fast`) sums every token's features over the text and runs its
sentence layers on that sum. A token's features depend only on the ids within ``RECEPTIVE`` positions of it (two
convolution layers, each reading two tokens either side). When a comment's tokens are its sentences' tokens in
order, perhaps with a few tokens between them (the comma a clause split dropped), every comment token farther
than that from a junction has the features it has in its sentence alone. The comment's sum is then its
sentences' sums, minus their features that the junctions change (and their own start and end pieces), plus the
comment's own features there, computed on short patches of its tokens: the same sum as embedding it whole, to
float rounding. A comment whose tokens do not line up with its sentences' (a capitalised comment whose sentences
were not, pieces the tokenizer merges across the cut) is embedded whole.
"""

from __future__ import annotations

from dataclasses import dataclass

RECEPTIVE = 4  # two layers of windows reaching two tokens either side


@dataclass
class JoinPlan:
    """How one whole text's token sum is made from its parts' sums.

    ``subtract``: (part number, start, stop) ranges of a part's own tokens (with its start and end pieces) whose
    features differ in the whole; ``patches``: (token ids, keep start, keep stop), pieces of the whole's tokens
    whose middle tokens ``keep start..keep stop-1`` are the whole's tokens not shared with a part.
    """

    length: int
    subtract: list[tuple[int, int, int]]
    patches: list[tuple[list[int], int, int]]


def _find(whole: list[int], body: list[int], start: int, stop: int) -> int:
    """First position ``p`` in ``start..stop-len(body)`` where ``whole[p:p+len(body)] == body``, or -1."""
    size = len(body)
    for p in range(start, stop - size + 1):
        if whole[p : p + size] == body:
            return p
    return -1


def plan_join(whole: list[int], parts: list[list[int]]) -> JoinPlan | None:
    """The plan for ``whole`` (token ids with its start and end pieces) from ``parts`` (each with its own), or
    None when the parts' tokens are not found in the whole, in order."""
    end = len(whole) - 1  # the whole's end piece
    placed: list[tuple[int, int]] = []
    cursor = 1
    for part in parts:
        body = part[1:-1]
        at = _find(whole, body, cursor, end) if body else -1
        if at < 0:
            return None
        placed.append((at, at + len(body)))
        cursor = at + len(body)
    shared = [False] * len(whole)
    subtract: list[tuple[int, int, int]] = []
    for number, ((first, stop), part) in enumerate(zip(placed, parts)):
        length = len(part)  # the part alone: start piece, body, end piece
        # The part alone matches the whole on its left when it starts the whole (both begin with the start
        # piece, then nothing), and on its right when it ends it.
        left_same, right_same = first == 1, stop == end
        keep_from = 0 if left_same else RECEPTIVE + 1  # windows from here on stay clear of the part's start piece
        keep_to = length if right_same else length - RECEPTIVE - 1
        if keep_from >= keep_to:
            subtract.append((number, 0, length))
            continue
        if keep_from > 0:
            subtract.append((number, 0, keep_from))
        if keep_to < length:
            subtract.append((number, keep_to, length))
        # Alone position q is whole position first + q - 1.
        for q in range(keep_from, keep_to):
            shared[first + q - 1] = True
    patches = []
    position = 0
    while position < len(whole):
        if shared[position]:
            position += 1
            continue
        run_end = position
        while run_end < len(whole) and not shared[run_end]:
            run_end += 1
        lo, hi = max(0, position - RECEPTIVE), min(len(whole), run_end + RECEPTIVE)
        patches.append((whole[lo:hi], position - lo, run_end - lo))
        position = run_end
    return JoinPlan(len(whole), subtract, patches)


__all__ = ["JoinPlan", "RECEPTIVE", "plan_join"]
