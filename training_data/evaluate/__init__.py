"""The offline evaluator: ``python -m training_data.evaluate`` (see ``__main__``)."""
