"""The flow engine: documents, a pure interpreter and a validator. It imports nothing else of baro."""
