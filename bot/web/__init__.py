"""HTTP endpoints the providers call, one router per provider."""
