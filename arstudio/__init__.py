"""ARStudio: a workbench for learning, training and exploring autoregressive models."""

__version__ = "0.1.0"
