"""The ready models shipped with ARStudio: their recipes, cards and checkpoints (resources/zoo/)."""
