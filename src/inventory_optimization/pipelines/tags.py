"""Tags that cut across stages (kedro-viz shows every tag as a filter).

Each pipeline module also defines ``STAGE_TAG``, its stage's name, carried by all its nodes.
"""

INGESTION = "ingestion"  # nodes that read or write a source's raw tables
MODEL_TRAINING = "model_training"  # the per-model-family nodes that learn
KEY_OUTPUTS = "key_outputs"  # nodes writing what stakeholders read
