"""The flow engine: documents, a pure interpreter, a validator and a gettext extractor."""
