"""Emotion models: speech (voice), face (expression) and their fusion."""
