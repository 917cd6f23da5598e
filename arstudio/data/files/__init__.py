"""Readers for the user's own files: images, IDX, numpy arrays, audio and text."""
