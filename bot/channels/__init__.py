"""Channel adapters: each turns a provider's request into an InboundMessage and a reply into its format."""
