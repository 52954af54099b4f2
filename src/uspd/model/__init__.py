"""Neural classifier: torch network + training (optional `train` extra), torch-free runtime.

Inference needs only numpy: `from uspd.model.runtime import NeuralDetector`.
Training needs torch: `uspd.model.net`, `uspd.model.train`.
"""
