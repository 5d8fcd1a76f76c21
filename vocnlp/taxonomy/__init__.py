"""The theme taxonomy and its life: the schema and industry packs, edits and remapping a finished run, the review
queue, zero-shot calibration from judged mentions, and discovery of themes the taxonomy lacks."""
