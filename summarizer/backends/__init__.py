"""Inference backends, the model manifest and chunk assembly."""
