"""The pipeline: the stage registry and contract (``registry``) and the runner that loads the stages once and
applies them chunk by chunk, then scores and ranks drivers (``runner``)."""
