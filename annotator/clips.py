"""Old name of annotator.saved_clips, kept only until the pipeline imports the new one."""

from annotator.saved_clips import save_clips

__all__ = ["save_clips"]
