"""The image processing pipeline: one definition, run by the local runner or by Step Functions."""
