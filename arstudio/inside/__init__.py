"""Looking inside a model: what each position can see and what each sampler stage does, computed from the
model itself (its masks, its gradients, its attention), for the window's Inside view and for notebooks."""
