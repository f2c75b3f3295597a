"""Training the default model on its own trajectories: the task factory (factory.py) and, beside it,
trajectories, datasets, LoRA fitting and GGUF export. Heavy dependencies are imported only where used."""
