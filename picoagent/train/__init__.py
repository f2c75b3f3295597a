"""Training picoagent's own models: tasks, trajectories, datasets, LoRA fine-tuning, GGUF export.

Importing this package imports nothing heavy: torch, transformers and peft (the `train`
extra) are imported only inside `fit` and `export`.
"""
