"""annotator: turn a recorded meeting into an emotion-tagged transcript, offline."""

__version__ = "0.1.0"
