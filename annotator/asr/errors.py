"""The one error every part of speech recognition raises when a model cannot be used."""


class ModelLoadError(Exception):
    """A Whisper model (or the package it needs) cannot be loaded; the message says why in one
    line, with the install command or flag that fixes it where there is one."""
