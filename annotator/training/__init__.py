"""Training and evaluation of the emotion models: corpus readers, trainers, metrics, calibration.

Never imported when annotating a recording: inference lives in `annotator.emotion`.
"""
