"""The JSON API for integrations, token-authenticated, described in the OpenAPI schema."""
