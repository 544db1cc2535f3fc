"""One inbound message through the conversation: contact, where it waits, the engine, the actions, the answer.

Channels hand it an `InboundMessage` and a way to write the answer; it stores everything in the
caller's transaction and returns what to say, structured (`Handled.answer`) and as written.
"""
